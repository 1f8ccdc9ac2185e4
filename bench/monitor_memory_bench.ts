/**
 * The monitor's memory bound: bench/_monitor_day.ts (1,000,000 distinct remote
 * IPs over a simulated day of 86,400 one-second polls) run twice in child
 * processes — with the heap settings the monitor ships with
 * (`MONITOR_V8_FLAGS`) and, as the baseline, with V8's defaults — printing the
 * peak resident set of each (MiB). The target is under 150 MiB (issue 21).
 */
import { fileURLToPath } from "node:url";
import { MONITOR_V8_FLAGS } from "../lib/cli/permissions.ts";

const DAY = fileURLToPath(new URL("./_monitor_day.ts", import.meta.url));
const IPS = Deno.env.get("BENCH_IPS") ?? "1000000";

function simulateDay(v8Flags: string[]): { peakRssMb: number; rowsInMemory: number; seconds: number } {
  const output = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", ...v8Flags, DAY, IPS, "86400"],
    stderr: "inherit",
  }).outputSync();
  if (!output.success) throw new Error("bench/_monitor_day.ts failed");
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

const shipped = simulateDay([MONITOR_V8_FLAGS]);
const defaults = simulateDay([]);
console.log(
  `monitor memory, ${
    Number(IPS).toLocaleString("en")
  } IPs over a simulated day: peak RSS ${shipped.peakRssMb} MiB ` +
    `with ${MONITOR_V8_FLAGS} (${shipped.rowsInMemory} rows in memory, ${shipped.seconds}s) vs ` +
    `${defaults.peakRssMb} MiB with V8 defaults (baseline); ratio ${
      (shipped.peakRssMb / defaults.peakRssMb).toFixed(2)
    }; ` +
    `target < 150 MiB: ${shipped.peakRssMb < 150 ? "met" : "NOT MET"}`,
);
