/**
 * The one source of conntrail's Deno permission flags: `conntrail permissions`,
 * the `start` task, the compile script and the README's table all come from
 * here, so what a user reads is what the tool asks for.
 *
 * @module
 */
import type { OperatingSystem } from "../platform/platform.ts";
import type { CollectorName } from "../collect/collector.ts";
import { autoCollectorOrder } from "../collect/create_collector.ts";
import { monitorEnv } from "./environment.ts";
import { syslogNetHosts, type SyslogTarget } from "../parse/syslog_url.ts";

/** One permission, and why conntrail needs it. */
export interface PermissionNeed {
  /** A Deno flag: `--allow-run=ss`, `--allow-read=/etc/passwd`, `--allow-all`. */
  flag: string;
  why: string;
  /** True when the work runs without it and only leaves something out (and says so). */
  optional: boolean;
}

type Os = OperatingSystem;

/** What the collectors need on an OS, for one collector name. */
export function collectorPermissions(collector: CollectorName, os: Os, input?: string): PermissionNeed[] {
  if (input !== undefined) {
    return input === "-"
      ? []
      : [{ flag: `--allow-read=${input}`, why: `read the saved output "${input}"`, optional: false }];
  }
  const name = collector === "auto" ? autoCollectorOrder(os)[0] ?? "netstat" : collector;
  const needs: PermissionNeed[] = [];
  const tool = (program: string, why: string, optional = false) =>
    needs.push({ flag: `--allow-run=${program}`, why, optional });
  if (name === "proc") {
    needs.push({
      flag: "--allow-all",
      why: "read /proc/net and /proc/<pid>/fd directly (Deno grants /proc only with --allow-all)",
      optional: false,
    });
    return needs;
  }
  if (name === "ss") {
    tool("ss", "list TCP and UDP sockets with `ss -tunapeH`");
    tool(
      "cat",
      "read UDP's sockets and the TCP counts from /proc/net (`cat /proc/net/sockstat … udp6`, and TCP's rows " +
        "where a tick needs no byte counters): a fraction of an `ss` run, which lists them without it",
      true,
    );
  }
  if (name === "netstat") tool("netstat", "list TCP and UDP sockets with `netstat`");
  if (name === "lsof") tool("lsof", "list TCP and UDP sockets with `lsof -F`");
  if (os === "linux") {
    tool("find", "read process paths from /proc/<pid>/exe", true);
    needs.push({ flag: "--allow-read=/etc/passwd", why: "show user names instead of uids", optional: true });
    if (name === "ss") {
      needs.push({
        flag: "--allow-sys=uid",
        why: "know whether it runs as root, to say truly why a socket shows no process",
        optional: true,
      });
    }
  } else if (os === "darwin") {
    tool("ps", "read process paths (`ps -o comm`)", true);
  } else if (os === "windows") {
    tool("tasklist", "name the processes that own sockets");
    tool("powershell", "read process paths (Get-Process)", true);
  }
  return needs;
}

/**
 * What a one-shot reading (`snapshot`) of the `ss` collector adds on Linux: it names the sockets' processes by
 * a walk of its own, `find` over /proc/<pid>/fd and `cat` of /proc/<pid>/stat for the names, which costs about
 * half the CPU of `ss -p` (Deno reads /proc only with `--allow-all`). Without them it runs `ss -p`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ownerWalkPermissions } from "./permissions.ts";
 * deepStrictEqual(ownerWalkPermissions("auto", "linux").map((n) => n.flag), ["--allow-run=find", "--allow-run=cat"]);
 * deepStrictEqual(ownerWalkPermissions("auto", "linux", "ss.txt"), []);
 * ```
 */
export function ownerWalkPermissions(collector: CollectorName, os: Os, input?: string): PermissionNeed[] {
  const name = collector === "auto" ? autoCollectorOrder(os)[0] ?? "netstat" : collector;
  if (input !== undefined || os !== "linux" || name !== "ss") return [];
  return [
    {
      flag: "--allow-run=find",
      why: "walk /proc/<pid>/fd for the sockets' processes (half the CPU of `ss -p`, which runs without it)",
      optional: true,
    },
    {
      flag: "--allow-run=cat",
      why: "name the processes that walk finds (`cat /proc/<pid>/stat`)",
      optional: true,
    },
  ];
}

/**
 * What a live reading (monitor, serve) of the `ss` collector adds on Linux: a large dump of the kernel's
 * sockets (from 5,000 on) is read through `stdbuf -o 256K ss …`, a third of the pipe reads and half the
 * reader's CPU at 10,000 connections; the monitor in scroll mode also runs `stdbuf -oL ss -E -tinOH` for
 * each closing connection's final counters, and reads the counters every 10th poll. Without it, plain `ss` (the
 * same sockets) and the counters at every poll. It also keeps one `sed -nu` running that prints /proc/net's
 * tables on request (`sed_file_reader.ts`): no program started a poll for them (one `cat` a poll without it).
 * They add no power the collector lacks: `--allow-run=find` already runs what `find -exec` would.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { liveDumpPermissions } from "./permissions.ts";
 * deepStrictEqual(liveDumpPermissions("auto", "linux").map((n) => n.flag), ["--allow-run=stdbuf", "--allow-run=sed"]);
 * deepStrictEqual(liveDumpPermissions("netstat", "linux"), []);
 * ```
 */
export function liveDumpPermissions(collector: CollectorName, os: Os): PermissionNeed[] {
  const name = collector === "auto" ? autoCollectorOrder(os)[0] ?? "netstat" : collector;
  if (os !== "linux" || name !== "ss") return [];
  return [{
    flag: "--allow-run=stdbuf",
    why: "read a large socket dump (`ss -taiD -`) in 64 kB pipe reads, `stdbuf -o 256K` around ss " +
      "(a third of the reads at 10,000 connections); in scroll mode, `stdbuf -oL ss -E -tinOH` for exact bytes " +
      "at close, the counters read every 10th poll",
    optional: true,
  }, {
    flag: "--allow-run=sed",
    why: "keep one `sed -nu` running that prints /proc/net's tables each poll (its `r` command): no `cat` " +
      "started a poll",
    optional: true,
  }];
}

/**
 * V8's code-generation flags, which every conntrail command runs with (each
 * command's `--v8-flags`, `permissions --flags`, the binaries, the start
 * task's inner run): `--max-opt=2`, Maglev V8's top tier (no Turbofan).
 * It is in for memory, at no CPU that the goals feel (maxopt36's note: the
 * bundle against main's, alternating, each side first in some rounds, load
 * 0.0-1.9): at 1,000 connections peak RSS 58.7-59.1 vs 61.6-61.8 MiB, CPU per
 * tick 0.021-0.024 vs 0.022-0.028 s; at 10,000 peak about 5 MiB lower (median
 * 86.1 vs 91.2 MiB), CPU per tick +0.002 s (3.5 %) on average over 12 pairs,
 * 6 with each side first (median +0.0015; with the flag second, -0.0015),
 * inside the runs' spread (0.054-0.084 s; 0.14x psutil there); a snapshot at
 * 25,200 sockets the same CPU (600 ms) and 2.9 MiB less (55.9 vs 58.8 MiB);
 * start to first line at 1,000 the same (0.30 s). Maglev inlines one level
 * deep, and no call that ran in under 95 % of the function's calls when it
 * compiled: the per-connection loops are written for it (indexed, not for-of;
 * no DataView; no time in ms passed per connection).
 *
 * Such a flag changes V8's flag hash, and Deno's code cache keeps one entry a
 * module, written under one hash: a run under other code-generation flags
 * rejects the entry and rewrites it (maxopt36's note: `--max-opt=2` against
 * none, each run of the other kind recompiles the bundle). So no conntrail
 * command may run without them. The heap flags below do not change the hash.
 */
export const CODE_V8_FLAGS = "--max-opt=2";

/** The V8 flags of a command with no heap settings of its own: the code-generation flags alone. */
export const COMMAND_V8_FLAGS = `--v8-flags=${CODE_V8_FLAGS}`;

/**
 * V8 settings for the long-running monitor (and `serve`): the code-generation
 * flags ({@linkcode CODE_V8_FLAGS}), and heap settings. A small young
 * generation and a capped old one make V8 collect garbage before it grows the
 * heap, which keeps the resident set under 200 MB through a day of a million
 * distinct IPs (bench/monitor_memory_bench.ts); the monitor's own data is
 * bounded at a few tens of MB.
 *
 * `--no-concurrent-recompilation`: V8 optimizes a hot function on the main
 * thread instead of on a worker thread. A compile's scratch memory is
 * malloc'd by the thread that compiles, and glibc keeps a worker thread's
 * arena once it has grown: at 1,000 connections those arenas held 4-6 MiB of
 * the monitor's resident set, about 1 with this flag (peak 74.5 -> 72 MiB;
 * at 10,000 about 2 MiB less), for the same CPU (the same compiles, moved to
 * the main thread). `--single-threaded-gc` was measured and left out: at
 * 10,000 connections the old generation grew 6-8 MB further between marks.
 * None of these heap flags changes V8's flag hash (a code-generation flag
 * such as `--no-maglev` or `--single-threaded` does: see CODE_V8_FLAGS).
 */
export const MONITOR_V8_FLAGS =
  `--v8-flags=${CODE_V8_FLAGS},--max-semi-space-size=1,--max-old-space-size=256,--no-concurrent-recompilation`;

/** What `--format ecs|ocsf` and `--syslog` add. */
export interface RecordPermissionInput {
  /** `--format`: ECS and OCSF records name the host. */
  format?: string;
  syslog?: readonly SyslogTarget[];
  syslogCa?: string;
}

/** The host name for ECS/OCSF records and syslog headers; each syslog receiver; the `--syslog-ca` file. */
export function recordPermissions(input: RecordPermissionInput): PermissionNeed[] {
  const needs: PermissionNeed[] = [];
  const syslog = input.syslog ?? [];
  if (syslog.length > 0 || input.format === "ecs" || input.format === "ocsf") {
    needs.push({
      flag: "--allow-sys=hostname",
      why: "name this host in ECS/OCSF records and syslog headers",
      optional: true,
    });
  }
  for (const target of syslog) {
    const hosts = syslogNetHosts(target);
    needs.push({
      flag: hosts === null ? "--allow-net" : `--allow-net=${hosts.join(",")}`,
      why: `send events to syslog ${target.url}` +
        (hosts === null
          ? " (a UDP receiver named by host name is sent to whatever its name resolves to)"
          : ""),
      optional: false,
    });
  }
  if (input.syslogCa !== undefined) {
    needs.push({
      flag: `--allow-read=${input.syslogCa}`,
      why: "read the certificates to trust for tls:// receivers",
      optional: false,
    });
  }
  return needs;
}

/**
 * V8 settings for `snapshot`, which reads every socket once: the
 * code-generation flags ({@linkcode CODE_V8_FLAGS}), and the small young
 * generation, which at 21,000 sockets measured about 20 % less CPU and 18 %
 * less resident memory than V8's default (bench/table_bench.ts). No old-space
 * cap: a capture of any size still prints.
 * `--no-concurrent-recompilation`: V8 optimizes a hot function on the main
 * thread, not on a worker thread whose malloc arena then stays grown: at
 * 25,200 sockets the peak was 0.8-1.1 MiB lower, the CPU the same. Neither
 * changes V8's flag hash.
 */
export const SNAPSHOT_V8_FLAGS =
  `--v8-flags=${CODE_V8_FLAGS},--max-semi-space-size=1,--no-concurrent-recompilation`;

/**
 * What `--trace` and `--sniff-dns` add on an OS.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { kernelEventPermissions } from "./permissions.ts";
 * deepStrictEqual(kernelEventPermissions({ trace: true, sniffDns: true }, "linux").map((n) => n.flag),
 *   ["--allow-run=bpftrace", "--allow-run=stdbuf", "--allow-run=tcpdump"]);
 * ```
 */
export function kernelEventPermissions(
  input: { trace?: boolean; sniffDns?: boolean },
  os: Os,
): PermissionNeed[] {
  const needs: PermissionNeed[] = [];
  if (input.trace === true && os === "linux") {
    needs.push({
      flag: "--allow-run=bpftrace",
      why:
        "--trace: follow TCP connects, accepts and closes and UDP first sends in the kernel (bpftrace; root)",
      optional: false,
    }, {
      flag: "--allow-run=stdbuf",
      why: "--trace without bpftrace: socket closes from `ss -E`, line-buffered by stdbuf",
      optional: true,
    });
  }
  if (input.sniffDns === true && (os === "linux" || os === "darwin")) {
    needs.push({
      flag: "--allow-run=tcpdump",
      why:
        "--sniff-dns: read DNS answers on every interface (tcpdump; root) for the domain of each connection",
      optional: false,
    });
  }
  return needs;
}

/** What the monitor's flags add to its collector's permissions. */
export interface MonitorPermissionInput extends ThreatPermissionInput, RecordPermissionInput {
  /** `--trace`, `--sniff-dns`. */
  trace?: boolean;
  sniffDns?: boolean;
  collector: CollectorName;
  output?: string;
  logDir?: string;
  filterFile: readonly string[];
  saveThreshold?: number;
  report?: string;
  writeExpect?: string;
  stopFile?: string;
  /**
   * The job summary file under GitHub Actions (`GITHUB_STEP_SUMMARY`), when
   * the permissions command could read it; the monitor appends its report.
   */
  stepSummary?: string;
  /**
   * What history's read and write access must cover (the data directory, or
   * `--db`'s file); null when its place is unknown here, so the access is
   * unscoped; empty for `--store none`.
   */
  historyScope?: readonly string[] | null;
}

/** Read and write access for history: optional for the monitor, which falls back to memory. */
export function historyPermissions(
  scope: readonly string[] | null,
  access: "read" | "write",
  optional: boolean,
): PermissionNeed[] {
  const where = scope === null
    ? "the data directory (run `permissions` with --allow-env=XDG_DATA_HOME,HOME to scope this)"
    : scope.join(", ");
  const suffix = scope === null ? "" : `=${scope.join(",")}`;
  const needs: PermissionNeed[] = [{
    flag: `--allow-read${suffix}`,
    why: `read history in ${where}`,
    optional,
  }];
  if (access === "write") {
    needs.push({ flag: `--allow-write${suffix}`, why: `keep history in ${where}`, optional });
  }
  return needs;
}

/** What block lists, `--expect`, reputation and names add (the monitor and `conntrail check`). */
export interface ThreatPermissionInput {
  resolveNames: boolean;
  dnsServer?: string;
  blocklist?: readonly string[];
  expect?: string;
  envFile?: string;
  /** `--geo-path DIR`: the user's GeoIP databases (the embedded one needs no permission). */
  geoPath?: string;
}

/** The network and file permissions of threat intelligence: lists, `.env`, AbuseIPDB, DNS. */
export function threatPermissions(input: ThreatPermissionInput): PermissionNeed[] {
  const needs: PermissionNeed[] = [];
  needs.push({
    flag: "--allow-net",
    why: "resolve domains in block lists, ask AbuseIPDB when ABUSEAPI is set" +
      (input.resolveNames ? `, ask ${input.dnsServer ?? "the system's DNS servers"} for names` : ""),
    optional: true,
  });
  const blocklists = input.blocklist ?? [];
  if (blocklists.length === 0) {
    needs.push({
      flag: "--allow-read=ips.txt",
      why: "read the default block list ips.txt when present",
      optional: true,
    });
  }
  for (const file of blocklists) {
    needs.push({ flag: `--allow-read=${file}`, why: `read the block list "${file}"`, optional: false });
  }
  if (input.expect !== undefined) {
    needs.push({
      flag: `--allow-read=${input.expect}`,
      why: "read the allowed destinations",
      optional: false,
    });
  }
  if (input.geoPath !== undefined) {
    needs.push({
      flag: `--allow-read=${input.geoPath}`,
      why: "read the GeoIP databases in the --geo-path directory",
      optional: false,
    });
  }
  needs.push(
    input.envFile === undefined
      ? {
        flag: "--allow-read=.env",
        why: "read the AbuseIPDB settings from .env when present",
        optional: true,
      }
      : { flag: `--allow-read=${input.envFile}`, why: "read the AbuseIPDB settings", optional: false },
  );
  return needs;
}

/** The permissions of `conntrail monitor` with these flags on an OS. */
export function monitorPermissions(options: MonitorPermissionInput, os: Os): PermissionNeed[] {
  const needs = [
    ...collectorPermissions(options.collector, os),
    ...ownerWalkPermissions(options.collector, os),
    ...liveDumpPermissions(options.collector, os),
  ];
  needs.push(...kernelEventPermissions(options, os));
  needs.push({
    flag: `--allow-env=${monitorEnv(os).join(",")}`,
    why:
      "honour NO_COLOR, fold the log and annotate alerts under GitHub Actions and append to its job summary, " +
      "read the AbuseIPDB settings, find the history",
    optional: true,
  });
  needs.push(...threatPermissions(options));
  for (const file of options.filterFile) {
    needs.push({ flag: `--allow-read=${file}`, why: `read the filter list "${file}"`, optional: false });
  }
  if (options.output !== undefined) {
    needs.push({
      flag: `--allow-write=${options.output}`,
      why: "write the timeline export on exit",
      optional: false,
    });
  }
  if (options.report !== undefined) {
    needs.push({
      flag: `--allow-write=${options.report}`,
      why: "write the Markdown report on exit",
      optional: false,
    });
  }
  if (options.writeExpect !== undefined) {
    needs.push({
      flag: `--allow-write=${options.writeExpect}`,
      why: "write the destinations seen as an --expect list on exit",
      optional: false,
    });
  }
  if (options.stepSummary !== undefined) {
    needs.push({
      flag: `--allow-write=${options.stepSummary}`,
      why: "append the report to the GitHub Actions job summary",
      optional: true,
    });
  }
  if (options.stopFile !== undefined) {
    needs.push({
      flag: `--allow-read=${options.stopFile}`,
      why: "see when the stop file appears",
      optional: false,
    });
  }
  if (options.saveThreshold !== undefined) {
    needs.push({
      flag: "--allow-write=.",
      why: "write the frequent-IP file in the current directory",
      optional: false,
    });
  }
  const historyScope = options.historyScope === undefined ? [] : options.historyScope;
  if (historyScope === null || historyScope.length > 0) {
    needs.push(...historyPermissions(historyScope, "write", true));
  }
  if (options.logDir !== undefined) {
    needs.push({
      flag: `--allow-write=${options.logDir}`,
      why: "write the connection logs",
      optional: false,
    });
  }
  needs.push(...recordPermissions(options));
  return needs;
}

/**
 * Merge needs into Deno flags: one `--allow-run=a,b`, one `--allow-read=x,y`
 * and so on, in a stable order; `--allow-all` alone when it is needed.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { denoFlags } from "./permissions.ts";
 * deepStrictEqual(denoFlags([
 *   { flag: "--allow-run=ss", why: "", optional: false },
 *   { flag: "--allow-run=find", why: "", optional: true },
 *   { flag: "--allow-read=/etc/passwd", why: "", optional: true },
 * ]), ["--allow-read=/etc/passwd", "--allow-run=ss,find"]);
 * deepStrictEqual(denoFlags([
 *   { flag: "--allow-net=127.0.0.1:53", why: "", optional: true },
 *   { flag: "--allow-net", why: "", optional: true },
 * ]), ["--allow-net"]);
 * ```
 */
export function denoFlags(needs: readonly PermissionNeed[]): string[] {
  if (needs.some((n) => n.flag === "--allow-all")) return ["--allow-all"];
  const byKind = new Map<string, string[]>();
  // A kind asked for without a value (`--allow-net`) allows everything of that kind.
  const unscoped = new Set<string>();
  for (const { flag } of needs) {
    const [kind = flag, value] = flag.split("=", 2);
    const values = byKind.get(kind) ?? [];
    if (value === undefined) unscoped.add(kind);
    else if (!values.includes(value)) values.push(value);
    byKind.set(kind, values);
  }
  return [...byKind.keys()].sort().map((kind) => {
    const values = byKind.get(kind) ?? [];
    return values.length > 0 && !unscoped.has(kind) ? `${kind}=${values.join(",")}` : kind;
  });
}

/** The compile targets of the release, with the OS each runs on. */
export const COMPILE_TARGETS: readonly { target: string; os: Os }[] = [
  { target: "x86_64-unknown-linux-gnu", os: "linux" },
  { target: "aarch64-unknown-linux-gnu", os: "linux" },
  { target: "x86_64-apple-darwin", os: "darwin" },
  { target: "aarch64-apple-darwin", os: "darwin" },
  { target: "x86_64-pc-windows-msvc", os: "windows" },
];

/**
 * The flags a compiled binary for an OS embeds: everything its commands may
 * need there (the default collector, its fallback, process paths and names),
 * and nothing else. A compiled binary cannot be granted more at run time, so
 * `--input FILE` there reads stdin (`--input - < FILE`).
 */
export function compileFlags(os: Os): string[] {
  const needs = autoCollectorOrder(os).flatMap((collector) => [
    ...collectorPermissions(collector, os),
    ...ownerWalkPermissions(collector, os),
  ]);
  needs.push(
    ...kernelEventPermissions({ trace: true, sniffDns: true }, os),
    ...monitorPermissions({ collector: "auto", resolveNames: true, filterFile: [], format: "ecs" }, os)
      .filter((
        n,
      ) => n.flag.startsWith("--allow-env") || n.flag === "--allow-net" || n.flag.startsWith("--allow-sys")),
    // Files are named at run time (-o, --log-dir, --filter-file, --input), which a compiled binary cannot be
    // granted later; `deno run` with `conntrail permissions --flags` scopes these to the exact paths.
    { flag: "--allow-read", why: "read the files named on the command line", optional: true },
    { flag: "--allow-write", why: "write the exports and logs named on the command line", optional: true },
  );
  return [...denoFlags(needs), MONITOR_V8_FLAGS];
}
