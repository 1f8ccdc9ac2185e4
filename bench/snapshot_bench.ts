/**
 * Snapshot cost at 10,000 established loopback connections (20,000 sockets)
 * plus 1,000 connected UDP sockets, against `ss -tunap` run in the same
 * process at the same moment (the baseline of each group).
 *
 *   cold:   a new collector (runs `ss -tunapeH`, parses, reads paths)
 *   warm:   the same collector again (runs `ss -tunaeH`, owners from the inode cache)
 *   parser: parseSs on the captured output, reported in lines/s
 */
import { createSsCollector } from "../lib/collect/ss_collector.ts";
import { toolRunner } from "../lib/collect/run_tool.ts";
import { toConnections } from "../lib/model/direction.ts";
import { parseSs } from "../lib/parse/ss.ts";
import { startSocketFarm } from "./_socket_farm.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const CONNECTIONS = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 10_000);
const UDP = Number(Deno.env.get("BENCH_UDP") ?? 1_000);
const farm = await startSocketFarm(CONNECTIONS, UDP);
globalThis.addEventListener("unload", () => farm.stop());

const ssBaseline = async () => {
  await toolRunner(platform.programs)("ss", ["-tunap"]);
};
const snapshot = async (collector: ReturnType<typeof createSsCollector>) => {
  const { sockets } = await collector.collect();
  return toConnections(sockets, "t");
};
const warmCollector = createSsCollector({ platform });
await warmCollector.collect();

const capture = (await toolRunner(platform.programs)("ss", ["-tunapeH"])).stdout;
const lines = capture.split("\n").length;
// Parser throughput, printed as lines/s (deno bench reports time per run).
{
  const rounds = 20;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) parseSs(capture);
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `parseSs: ${lines} lines, ${Math.round((lines * rounds) / seconds).toLocaleString("en")} lines/s`,
  );
}

Deno.bench({ name: "ss -tunap (baseline)", group: "cold", baseline: true, fn: ssBaseline });
Deno.bench({
  name: "conntrail cold snapshot",
  group: "cold",
  fn: async () => void await snapshot(createSsCollector({ platform })),
});

Deno.bench({ name: "ss -tunap (baseline)", group: "warm", baseline: true, fn: ssBaseline });
Deno.bench({
  name: "conntrail warm snapshot (owners cached)",
  group: "warm",
  fn: async () => void await snapshot(warmCollector),
});

Deno.bench({ name: `parseSs ${lines} lines`, group: "parser", fn: () => void parseSs(capture) });
