/**
 * `conntrail snapshot` (the table) as a whole process at 10,000 and 20,000
 * established loopback connections (20,000 and 40,000 sockets) plus 10 % as
 * many connected UDP sockets, against `ss -tunap` at the same moment: the two
 * run alternately, several rounds, each under GNU time (CPU with children,
 * peak RSS), with stdout read to the end. conntrail runs as `deno task start`
 * would run it: `deno run` with the flags `conntrail permissions --flags
 * snapshot` prints. The target at 10,000: CPU at most 1.5 × ss. The farm,
 * `ss` and conntrail run in a network namespace of the bench's own when it
 * can make one (root), so that other programs' sockets do not count.
 *
 * The same with `--format json` (issue 21: at 25k sockets <= 1.2 × ss, <= 64 MiB).
 *
 * Beside them, to show where conntrail's time goes: `conntrail --version`
 * (start-up alone) and `conntrail snapshot --input` of a capture of the same
 * sockets (everything but running `ss`).
 *
 * Also, in this process: rendering the table for the connections read
 * (`connectionsTableChunks`) beside `JSON.stringify` of the same connections.
 */
import { createSsCollector } from "../lib/collect/ss_collector.ts";
import { toConnections } from "../lib/model/direction.ts";
import type { Connection } from "../lib/model/connection.ts";
import { parseSs } from "../lib/parse/ss.ts";
import { connectionsTableChunks } from "../lib/render/connections_table.ts";
import { benchNetns } from "./_netns.ts";
import { hasGnuTime, MAIN, median, type ProcessCost, processCost } from "./_process_cost.ts";
import { startSocketFarm } from "./_socket_farm.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const SIZES = (Deno.env.get("BENCH_TABLE_CONNECTIONS") ?? "10000,20000").split(",").map(Number);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);

const flags = new TextDecoder().decode(
  (await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", MAIN, "permissions", "--flags", "snapshot"],
  })
    .output()).stdout,
).trim().split(" ").filter((flag) => flag !== "");

function summary(runs: readonly ProcessCost[]) {
  return {
    cpuMs: median(runs.map((r) => r.cpuMs)),
    wallMs: median(runs.map((r) => r.wallMs)),
    peakRssMb: median(runs.map((r) => r.peakRssMb)),
    firstLineMs: median(runs.map((r) => r.firstLineMs)),
  };
}

function line(name: string, s: ReturnType<typeof summary>): string {
  return `  ${name.padEnd(22)} CPU ${s.cpuMs.toFixed(0)} ms, wall ${s.wallMs.toFixed(0)} ms, ` +
    `peak RSS ${s.peakRssMb.toFixed(1)} MB, first line after ${s.firstLineMs.toFixed(0)} ms`;
}

const netns = benchNetns();
let stopFarm = () => {};
globalThis.addEventListener("unload", () => {
  stopFarm();
  netns.remove();
});
console.log(
  `table bench: ${netns.name === null ? "no network namespace (not root?)" : `in netns ${netns.name}`}`,
);

let rendered: Connection[] = [];
try {
  for (const connections of SIZES) {
    const farm = await startSocketFarm(connections, connections / 10, netns.wrap);
    stopFarm = () => farm.stop();
    try {
      if (!hasGnuTime()) {
        console.log("table bench: /usr/bin/time (GNU time) is not installed; whole-process costs left out");
      } else {
        const ss: ProcessCost[] = [];
        const snapshot: ProcessCost[] = [];
        const json: ProcessCost[] = [];
        const startup: ProcessCost[] = [];
        const fromCapture: ProcessCost[] = [];
        const [captureCommand, captureArgs] = netns.wrap("ss", ["-tunapeH"]);
        const captured = await Deno.makeTempFile({ suffix: ".txt" });
        await Deno.writeFile(
          captured,
          (await new Deno.Command(captureCommand, { args: captureArgs }).output()).stdout,
        );
        const deno = (args: string[]) => netns.wrap(Deno.execPath(), ["run", "--quiet", ...args]);
        for (let round = 0; round < ROUNDS; round++) {
          ss.push(await processCost(...netns.wrap("ss", ["-tunap"])));
          snapshot.push(await processCost(...deno([...flags, MAIN, "snapshot"])));
          json.push(await processCost(...deno([...flags, MAIN, "snapshot", "--format", "json"])));
          startup.push(await processCost(...deno([MAIN, "--version"])));
          fromCapture.push(
            await processCost(...deno([`--allow-read=${captured}`, MAIN, "snapshot", "--input", captured])),
          );
        }
        await Deno.remove(captured);
        const base = summary(ss);
        const ours = summary(snapshot);
        const ratio = ours.cpuMs / base.cpuMs;
        console.log(
          `snapshot table, ${connections.toLocaleString("en")} connections + ` +
            `${(connections / 10).toLocaleString("en")} UDP (${
              (median(snapshot.map((r) => r.lines)) - 1).toLocaleString("en")
            } rows), median of ${ROUNDS}:\n` +
            `${line("ss -tunap (baseline)", base)}\n${line("conntrail snapshot", ours)}\n` +
            `${line("  --format json", summary(json))} (CPU ${
              (summary(json).cpuMs / base.cpuMs).toFixed(2)
            } × ss)\n` +
            `${line("  of which start-up", summary(startup))} (conntrail --version)\n` +
            `${line("  all but ss", summary(fromCapture))} (snapshot --input of a capture)\n` +
            `  ratio                  CPU ${ratio.toFixed(2)} × ss, peak RSS ${
              (ours.peakRssMb / base.peakRssMb).toFixed(1)
            } × ss` +
            (connections === 10_000 ? ` (target CPU <= 1.5 × ss: ${ratio <= 1.5 ? "met" : "NOT MET"})` : ""),
        );
      }
      const [command, args] = netns.wrap("ss", ["-tunapeH"]);
      const capture = new TextDecoder().decode((await new Deno.Command(command, { args }).output()).stdout);
      rendered = toConnections(parseSs(capture).sockets, new Date().toISOString());
    } finally {
      farm.stop();
      stopFarm = () => {};
    }
  }
} catch (error) {
  console.log(`table bench failed: ${error instanceof Error ? error.message : error}`);
} finally {
  netns.remove();
}
if (rendered.length === 0) {
  rendered = toConnections(
    (await createSsCollector({ platform }).collect()).sockets,
    new Date().toISOString(),
  );
}

// In this process: the render alone, for the connections read at the last size, beside JSON.stringify of the
// same connections (what `--format json` does, and what took 1.5 s when the table took 2.5 minutes).
const render = () => {
  let bytes = 0;
  for (const chunk of connectionsTableChunks(rendered)) bytes += chunk.length;
  return bytes;
};
Deno.bench({
  name: `connectionsTableChunks, ${rendered.length.toLocaleString("en")} rows`,
  group: "render",
  fn: () => void render(),
});
Deno.bench({
  name: `JSON.stringify, ${rendered.length.toLocaleString("en")} rows (baseline)`,
  group: "render",
  baseline: true,
  fn: () => void JSON.stringify(rendered),
});
