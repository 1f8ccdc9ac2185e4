/**
 * `conntrail snapshot` as a whole process (issues 23 and 21), against `ss -tunap` at the same moment: each
 * command runs under GNU time (CPU of the process and its waited-for children, peak RSS), with stdout read
 * to the end, alternately, several rounds; the median is reported. conntrail runs as `deno task start`
 * would: `deno run` with the flags `conntrail permissions --flags snapshot` prints. The farm, `ss` and
 * conntrail run in a network namespace of the bench's own when it can make one (root), so that other
 * programs' sockets are not listed (`ss -p` still reads every process's descriptors, in any namespace:
 * other programs' open files make both ss and conntrail dearer).
 *
 * Sizes (BENCH_TABLE_CONNECTIONS, established loopback connections, each with 10 % as many UDP sockets):
 *   10,000 (21,000 sockets): the table, target CPU <= 1.5 x ss (issue 23)
 *   12,000 (25,200 sockets): `--format json`, target CPU <= 1.2 x ss and peak RSS <= 64 MiB (issue 21)
 *   20,000 (42,000 sockets): the table again (issue 23's second size)
 *
 * Beside them, to show where the time goes (floors): what conntrail runs (UDP's text `ss -uaneH -s`, then the TCP
 * dump `ss -taD -` of the families the summary names, and beside them its own walk of the descriptors, `find /proc`
 * then `find -L /proc/<pid>/fd …`, then `cat` of the owners' stat; `ss -tunapeH` where find or cat cannot run), Deno running an
 * empty script under the same flags, `conntrail --version` (start-up and argument parsing),
 * `conntrail snapshot --input` of a capture of the same sockets (everything but running ss), and
 * `--format json` run by bench/_snapshot_direct.ts (the command without main.ts and its modules), and the
 * table and json with an `ss` (answering UDP's text, the dump or the text by its arguments) and a `find` first on
 * PATH that print captures (the live path, all but listing
 * and walking: the part of the cost that is conntrail's own, which does not move with the descriptors open on
 * the machine).
 *
 * BENCH_BUNDLE=1 runs conntrail as it ships: dist/js/conntrail.js (`deno task bundle` first) with `--no-config`,
 * as `deno task start` and the install do; the floors then come from the bundle too (all but the json without
 * main.ts, which is the sources' by nature). Without it, main.ts.
 *
 * BENCH_COMPARE=DIR adds `--format json` of another checkout (say a worktree of main, bundled too with
 * BENCH_BUNDLE=1), run right after this one's in every round with the flags its own `permissions --flags
 * snapshot` prints: a change against its base in one run. BENCH_ONLY=ss,json,json@base measures only the runs
 * named (ss, table, json, json@base and the floors: ssListing, walk, ssAsRun, empty, version, fromCapture,
 * direct, fakeSs, fakeSsJson), for more rounds in the same time.
 *
 * Also, in this process: rendering the table for the connections read
 * (`connectionsTableChunks`) beside `JSON.stringify` of the same connections.
 */
import { createSsCollector } from "../lib/collect/ss_collector.ts";
import { findSocketsArgs, PROCESS_FOLDERS_ARGS } from "../lib/collect/socket_owner_walk.ts";
import { UDP_LISTING_ARGS } from "../lib/collect/udp_listing.ts";
import { dumpFamilies, SS_DUMP_TCP_WITHOUT_COUNTERS } from "../lib/collect/ss_tcp_dump.ts";
import { splitSsSummary } from "../lib/parse/ss.ts";
import { toConnections } from "../lib/model/direction.ts";
import type { Connection } from "../lib/model/connection.ts";
import { parseSs } from "../lib/parse/ss.ts";
import { connectionsTableChunks } from "../lib/render/connections_table.ts";
import { fileURLToPath } from "node:url";
import { benchNetns } from "./_netns.ts";
import { hasGnuTime, MAIN, median, type ProcessCost, processCost } from "./_process_cost.ts";
import { startSocketFarm } from "./_socket_farm.ts";
import { printedFlags } from "./_printed_flags.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const SIZES = (Deno.env.get("BENCH_TABLE_CONNECTIONS") ?? "10000,12000,20000").split(",").map(Number);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);
/** Issue 23: the table at 10,000 connections (+1,000 UDP) costs at most 1.5 x ss -tunap. */
const TABLE_TARGET = { connections: 10_000, cpu: 1.5 };
/** Issue 21: `--format json` at 25,000 sockets (12,000 connections + 1,200 UDP) at most 1.2 x ss, 64 MiB. */
const JSON_TARGET = { connections: 12_000, cpu: 1.2, rssMib: 64 };

/** What runs as conntrail: the bundle (BENCH_BUNDLE=1) or main.ts. */
const BUNDLE = Deno.env.get("BENCH_BUNDLE") === "1";
const PROGRAM = BUNDLE ? fileURLToPath(new URL("../dist/js/conntrail.js", import.meta.url)) : MAIN;
/** The bundle runs without the repository's deno.json, as it ships. */
const CONFIG = BUNDLE ? ["--no-config"] : [];
if (BUNDLE) {
  try {
    Deno.statSync(PROGRAM);
  } catch {
    console.log(`table bench: ${PROGRAM} is missing; run deno task bundle first`);
    Deno.exit(1);
  }
}
/** The flags `program permissions --flags snapshot` prints. */
function snapshotFlags(program: string): Promise<string[]> {
  return printedFlags(program, ["snapshot"], { runFlags: CONFIG });
}
const flags = await snapshotFlags(PROGRAM);
/** Another checkout's conntrail (BENCH_COMPARE), measured as json@base beside this one's json. */
const COMPARE = Deno.env.get("BENCH_COMPARE");
const COMPARE_PROGRAM = COMPARE === undefined
  ? null
  : BUNDLE
  ? `${COMPARE}/dist/js/conntrail.js`
  : `${COMPARE}/main.ts`;
const compareFlags = COMPARE_PROGRAM === null ? [] : await snapshotFlags(COMPARE_PROGRAM);
/** The runs to measure (BENCH_ONLY), or every one. */
const ONLY = Deno.env.get("BENCH_ONLY")?.split(",").map((name) => name.trim());
const wanted = (name: string) => ONLY === undefined || ONLY.includes(name);
/** The snapshot command called without main.ts (its argument parsing and their modules). */
const DIRECT = fileURLToPath(new URL("./_snapshot_direct.ts", import.meta.url));
const EMPTY = await Deno.makeTempFile({ suffix: ".ts" });
await Deno.writeTextFile(EMPTY, "\n");

function summary(runs: readonly ProcessCost[]) {
  return {
    cpuMs: median(runs.map((r) => r.cpuMs)),
    wallMs: median(runs.map((r) => r.wallMs)),
    peakRssMb: median(runs.map((r) => r.peakRssMb)),
    firstLineMs: median(runs.map((r) => r.firstLineMs)),
  };
}

type Summary = ReturnType<typeof summary>;

/** One line of the report; `base` adds the CPU ratio. */
function line(name: string, s: Summary, base?: Summary): string {
  const ratio = base === undefined ? "" : ` = ${(s.cpuMs / base.cpuMs).toFixed(2)} x ss`;
  return `  ${name.padEnd(30)} CPU ${s.cpuMs.toFixed(0).padStart(5)} ms${ratio.padEnd(12)} peak RSS ${
    s.peakRssMb.toFixed(1).padStart(5)
  } MiB, wall ${s.wallMs.toFixed(0)} ms, first line after ${s.firstLineMs.toFixed(0)} ms`;
}

/** The flags with `path` added to their `--allow-read`. */
function withRead(flags: readonly string[], path: string): string[] {
  const read = flags.some((flag) => flag.startsWith("--allow-read="));
  return read
    ? flags.map((flag) => flag.startsWith("--allow-read=") ? `${flag},${path}` : flag)
    : [...flags, `--allow-read=${path}`];
}

/**
 * Open file descriptors of every process on the machine: `ss -p` (and so both ss -tunap and conntrail) reads
 * each one, in any network namespace, so this sets the baseline's cost as much as the farm does.
 */
function machineDescriptors(): number | null {
  try {
    let count = 0;
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        for (const _ of Deno.readDirSync(`/proc/${entry.name}/fd`)) count++;
      } catch { /* exited, or not ours to read */ }
    }
    return count;
  } catch {
    return null;
  }
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

// A namespace for each size: the connections a stopped farm closed wait in TIME-WAIT for a minute, and would
// be counted with the next size's.
let netns = benchNetns();
let stopFarm = () => {};
globalThis.addEventListener("unload", () => {
  stopFarm();
  netns.remove();
});
console.log(
  `table bench: ${
    netns.name === null ? "no network namespace (not root?)" : "in a network namespace of its own"
  }`,
);

let rendered: Connection[] = [];
try {
  for (const [index, connections] of SIZES.entries()) {
    if (index > 0) {
      netns.remove();
      netns = benchNetns();
    }
    const farm = await startSocketFarm(connections, connections / 10, netns.wrap);
    stopFarm = () => farm.stop();
    try {
      if (!hasGnuTime()) {
        console.log("table bench: /usr/bin/time (GNU time) is not installed; whole-process costs left out");
      } else {
        const runs = {
          ss: [] as ProcessCost[],
          ssAsRun: [] as ProcessCost[],
          ssListing: [] as ProcessCost[],
          walk: [] as ProcessCost[],
          table: [] as ProcessCost[],
          json: [] as ProcessCost[],
          jsonBase: [] as ProcessCost[],
          empty: [] as ProcessCost[],
          version: [] as ProcessCost[],
          fromCapture: [] as ProcessCost[],
          fakeSs: [] as ProcessCost[],
          fakeSsJson: [] as ProcessCost[],
          direct: [] as ProcessCost[],
        };
        const [captureCommand, captureArgs] = netns.wrap("ss", ["-tunapeH"]);
        const captured = await Deno.makeTempFile({ suffix: ".txt" });
        await Deno.writeFile(
          captured,
          (await new Deno.Command(captureCommand, { args: captureArgs }).output()).stdout,
        );
        // The one-shot listing as conntrail runs it (ss_collector.ts dumpedListing): UDP's text with the summary,
        // then the TCP dump of the families the summary says have sockets. Captured too, for the fake ss below.
        const udpArgs = [...UDP_LISTING_ARGS.full];
        const [udpCommand, udpCaptureArgs] = netns.wrap("ss", udpArgs);
        const udpText = (await new Deno.Command(udpCommand, { args: udpCaptureArgs }).output()).stdout;
        const dumpArgs = [
          ...SS_DUMP_TCP_WITHOUT_COUNTERS,
          ...dumpFamilies(splitSsSummary(new TextDecoder().decode(udpText)).summary),
        ];
        const [dumpCommand, dumpCaptureArgs] = netns.wrap("ss", dumpArgs);
        const udpCaptured = await Deno.makeTempFile({ suffix: ".txt" });
        await Deno.writeFile(udpCaptured, udpText);
        const dumpCaptured = await Deno.makeTempFile({ suffix: ".bin" });
        await Deno.writeFile(
          dumpCaptured,
          (await new Deno.Command(dumpCommand, { args: dumpCaptureArgs }).output()).stdout,
        );
        // The walk as conntrail runs it: find lists the processes, then find walks their descriptor folders.
        const walkArgs = findSocketsArgs(
          new TextDecoder().decode(
            (await new Deno.Command("find", { args: [...PROCESS_FOLDERS_ARGS] }).output()).stdout,
          ).split("\n").filter((pid) => pid !== "").map((pid) => `/proc/${pid}/fd`),
        );
        const walked = await Deno.makeTempFile({ suffix: ".txt" });
        await Deno.writeFile(walked, (await new Deno.Command("find", { args: walkArgs }).output()).stdout);
        // An `ss` and a `find` (for the walk; the real one for paths) that print the captures, first on PATH:
        // the snapshot as it runs live (spawns, read as it comes, cat for the names, user names, find for
        // paths) without listing and walking every descriptor, whose cost moves with the machine while
        // conntrail's own does not.
        const fakeBin = await Deno.makeTempDir();
        // It answers by its arguments, as the snapshot asks: UDP's text, the dump, else the text of -tunapeH.
        await Deno.writeTextFile(
          `${fakeBin}/ss`,
          `#!/bin/sh\ncase "$*" in\n  "${udpArgs.join(" ")}") exec cat '${udpCaptured}' ;;\n` +
            `  "${dumpArgs.join(" ")}") exec cat '${dumpCaptured}' ;;\nesac\nexec cat '${captured}'\n`,
          { mode: 0o755 },
        );
        const realFind = new TextDecoder().decode(
          (await new Deno.Command("sh", { args: ["-c", "command -v find"] })
            .output()).stdout,
        ).trim();
        await Deno.writeTextFile(
          `${fakeBin}/find`,
          `#!/bin/sh\nif [ "$1" = -L ]; then exec cat '${walked}'; fi\nexec '${realFind}' "$@"\n`,
          { mode: 0o755 },
        );
        const withFakeSs = ([command, args]: [string, string[]]): [string, string[]] => [
          "env",
          [`PATH=${fakeBin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`, command, ...args],
        ];
        const deno = (args: string[]) => netns.wrap(Deno.execPath(), ["run", "--quiet", ...CONFIG, ...args]);
        const loadBefore = loadAverage();
        const descriptors = machineDescriptors();
        // A run that fails (on a machine busy enough, ss -p outlasts conntrail's 10 s limit on a tool) is
        // told and left out of the medians; the round goes on.
        const failures: string[] = [];
        const measure = async (into: ProcessCost[], [command, args]: [string, string[]]) => {
          const name = into === runs.jsonBase
            ? "json@base"
            : Object.entries(runs).find(([, list]) => list === into)![0];
          if (!wanted(name)) return;
          try {
            into.push(await processCost(command, args));
          } catch (error) {
            failures.push(error instanceof Error ? error.message.split("\n")[0]! : String(error));
          }
        };
        for (let round = 0; round < ROUNDS; round++) {
          await measure(runs.ss, netns.wrap("ss", ["-tunap"]));
          await measure(runs.table, deno([...flags, PROGRAM, "snapshot"]));
          await measure(runs.json, deno([...flags, PROGRAM, "snapshot", "--format", "json"]));
          if (COMPARE_PROGRAM !== null) {
            await measure(
              runs.jsonBase,
              deno([...compareFlags, COMPARE_PROGRAM, "snapshot", "--format", "json"]),
            );
          }
          await measure(runs.ssAsRun, netns.wrap("ss", ["-tunapeH"]));
          await measure(
            runs.ssListing,
            netns.wrap("sh", ["-c", `ss ${udpArgs.join(" ")} > /dev/null; ss ${dumpArgs.join(" ")}`]),
          );
          // find exits 1 when a process exits during its walk, as conntrail allows. The names: cat of the stat of
          // this process's own pid (the farm's few processes cost the same, a run of cat).
          await measure(runs.walk, [
            "sh",
            [
              "-c",
              `find ${PROCESS_FOLDERS_ARGS.map((a) => `'${a}'`).join(" ")} > /dev/null; find "$@"; ` +
              "cat /proc/$$/stat > /dev/null; exit 0",
              "sh",
              ...walkArgs,
            ],
          ]);
          await measure(runs.empty, deno([...flags, EMPTY]));
          await measure(runs.version, deno([...flags, PROGRAM, "--version"]));
          await measure(
            runs.fromCapture,
            deno([...withRead(flags, captured), PROGRAM, "snapshot", "--input", captured]),
          );
          // The sources' own (their imports need deno.json), whichever runs as conntrail.
          await measure(
            runs.direct,
            netns.wrap(Deno.execPath(), ["run", "--quiet", ...flags, DIRECT, "json"]),
          );
          await measure(runs.fakeSs, withFakeSs(deno([...flags, PROGRAM, "snapshot"])));
          await measure(
            runs.fakeSsJson,
            withFakeSs(deno([...flags, PROGRAM, "snapshot", "--format", "json"])),
          );
        }
        for (const failure of failures) console.log(`  a run failed: ${failure}`);
        await Deno.remove(captured);
        await Deno.remove(udpCaptured);
        await Deno.remove(dumpCaptured);
        await Deno.remove(walked);
        await Deno.remove(fakeBin, { recursive: true });
        const base = summary(runs.ss);
        const table = summary(runs.table);
        const json = summary(runs.json);
        const udp = connections / 10;
        const verdicts: string[] = [];
        // A run left out (BENCH_ONLY) has no median: nothing is said of it.
        const measured = (s: Summary) => !Number.isNaN(s.cpuMs);
        if (connections === TABLE_TARGET.connections && measured(table) && measured(base)) {
          const ratio = table.cpuMs / base.cpuMs;
          verdicts.push(
            `  issue 23 target, table CPU <= ${TABLE_TARGET.cpu} x ss: ${ratio.toFixed(2)} x, ` +
              (ratio <= TABLE_TARGET.cpu ? "met" : "NOT MET"),
          );
        }
        if (connections === JSON_TARGET.connections && measured(json) && measured(base)) {
          const ratio = json.cpuMs / base.cpuMs;
          verdicts.push(
            `  issue 21 target, json CPU <= ${JSON_TARGET.cpu} x ss and peak RSS <= ${JSON_TARGET.rssMib} MiB: ` +
              `${ratio.toFixed(2)} x, ${json.peakRssMb.toFixed(1)} MiB, ` +
              (ratio <= JSON_TARGET.cpu && json.peakRssMb <= JSON_TARGET.rssMib ? "met" : "NOT MET"),
          );
        }
        const lines: [string, Summary][] = [
          ["conntrail snapshot (table)", table],
          ["conntrail snapshot --format json", json],
          [`json of ${COMPARE ?? "BENCH_COMPARE"}`, summary(runs.jsonBase)],
          [`  ss ${udpArgs.join(" ")}; ss ${dumpArgs.join(" ")}`, summary(runs.ssListing)],
          ["  and its walk, find /proc + find -L + cat", summary(runs.walk)],
          ["  ss -tunapeH (without find, cat)", summary(runs.ssAsRun)],
          ["  deno, empty script", summary(runs.empty)],
          ["  conntrail --version", summary(runs.version)],
          ["  snapshot --input (all but ss)", summary(runs.fromCapture)],
          ["  json without main.ts", summary(runs.direct)],
          ["  table, ss+walk from captures", summary(runs.fakeSs)],
          ["  json, ss+walk from captures", summary(runs.fakeSsJson)],
        ];
        console.log(
          `snapshot, ${connections.toLocaleString("en")} connections + ${udp.toLocaleString("en")} UDP (` +
            `${(2 * connections + udp).toLocaleString("en")} sockets${
              runs.table.length > 0
                ? `, ${(median(runs.table.map((r) => r.lines)) - 1).toLocaleString("en")} rows`
                : ""
            }), ${
              BUNDLE ? "the bundle" : "main.ts"
            }, median of ${ROUNDS} alternating runs, load average ${loadBefore} -> ${loadAverage()}, ${
              descriptors?.toLocaleString("en") ?? "unknown"
            } descriptors open on the machine:\n` +
            [
              ...(measured(base) ? [line("ss -tunap (baseline)", base)] : []),
              ...lines.filter(([, s]) => measured(s)).map(([name, s]) =>
                line(name, s, measured(base) ? base : undefined)
              ),
              ...verdicts,
            ].join("\n"),
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
  await Deno.remove(EMPTY);
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
