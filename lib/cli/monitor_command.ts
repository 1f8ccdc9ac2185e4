import type { Collector } from "../collect/collector.ts";
import type { AddressInfo, DescribeAddress } from "../model/address_info.ts";
import type { PtrResolver } from "../enrich/reverse_dns.ts";
import { openNames } from "./names_config.ts";
import { PermissionError, UnusableFileError } from "../model/errors.ts";
import { IpRangeSet } from "../model/ip_range_set.ts";
import { type MonitorRunResult, runMonitor } from "../monitor/run_monitor.ts";
import type { Connection } from "../model/connection.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import { alertText } from "../render/event_line.ts";
import { secondsText } from "../render/elapsed_text.ts";
import { monitorFilter } from "../monitor/monitor_filter.ts";
import type { MonitorOutput } from "../monitor/monitor_output.ts";
import { RefreshOutput } from "../monitor/refresh_output.ts";
import { ScrollOutput } from "../monitor/scroll_output.ts";
import { Tracker } from "../monitor/tracker.ts";
import { parseBlocklist } from "../parse/blocklist.ts";
import { Dashboard } from "../render/dashboard.ts";
import { frequentIpsFile } from "../render/frequent_ips.ts";
import { readKeys, Terminal, type TerminalDevice } from "../render/terminal.ts";
import { renderTimelineExport } from "../render/timeline_export.ts";
import { ConnectionLog } from "../monitor/connection_log.ts";
import { readUserFile, writeUserFile } from "../platform/user_files.ts";
import { type BlocklistFilesIo, MAX_LIST_BYTES } from "../enrich/blocklist_files.ts";
import { AlertWatch } from "../monitor/alert_watch.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import type { MonitorOptions } from "./parse_args.ts";
import { DEFAULT_BLOCKLIST, openThreatIntel, pollAlerts } from "./threat_intel.ts";
import { leftOutNote, unreadable } from "./environment.ts";
import { openGeo } from "./geo_config.ts";
import { memoryHistory, openMonitorHistory } from "./history_config.ts";
import { HistoryRecorder } from "../monitor/history_recorder.ts";
import { EgressTally } from "../monitor/egress_tally.ts";
import type { EgressSummary } from "../model/egress.ts";
import { renderEgressReport } from "../render/egress_report.ts";
import { renderExpectList } from "../render/expect_list.ts";
import { watchStopFile } from "./stop_file.ts";
import { fanOut } from "../monitor/fan_out.ts";
import { openRecordContext } from "./record_context.ts";
import { openSyslog, requireSyslogPermissions } from "./syslog_config.ts";
import { type KernelEventsIo, openKernelEvents } from "./kernel_events.ts";
import type { DnsNames } from "../enrich/dns_names.ts";

/** What `conntrail monitor` reads from and writes to; main.ts passes the real ones. */
export interface MonitorCommandIo {
  collector: Collector;
  now: () => Date;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  stdoutIsTerminal: boolean;
  write: (text: string) => Promise<void>;
  /** One line for stderr. */
  warn: (line: string) => void;
  /** Environment variables the run may read (NO_COLOR, GITHUB_ACTIONS), and those it was not allowed to. */
  env: { values: Map<string, string>; denied: string[] };
  terminal: TerminalDevice;
  /** PTR lookups; the default asks through Deno.resolveDns. */
  resolver?: PtrResolver;
  /** AbuseIPDB requests; the default is the global fetch. */
  fetch?: typeof fetch;
  /** Reads block lists and resolves their domains; the default uses Deno. */
  lists?: BlocklistFilesIo;
  /** Called with the stop function once the run starts: main.ts wires signals to it. */
  onStart?: (stop: () => void, redraw: () => void) => () => void;
  /** This process's id, for syslog headers. */
  pid?: number;
  /** How `--trace` and `--sniff-dns` start their tools; the default runs bpftrace, ss -E and tcpdump. */
  kernelEvents?: Pick<KernelEventsIo, "openTrace" | "startSniffer">;
}

/** Alerts the exit summary lists in full. */
const ALERTS_LISTED = 20;

/** Closed rows kept in memory; older closed rows are dropped (counted in the export). */
const MAX_CLOSED_ROWS = 10_000;
/** Longest a scroll line waits for its address's name. */
const NAME_WAIT_MS = 1000;

/** Skipped lines of a filter file said one by one; the rest are counted. */
const JUNK_LINES_SAID = 10;

const ROW_NOUNS = { ip: "IPs", process: "processes", connection: "connections" } as const;

async function hiddenRanges(
  files: readonly string[],
  warn: (line: string) => void,
): Promise<IpRangeSet | null> {
  if (files.length === 0) return null;
  const starts: Uint32Array[] = [];
  const ends: Uint32Array[] = [];
  const v6: { first: bigint; last: bigint }[] = [];
  for (const file of files) {
    // The block-list reader keeps entries in typed arrays: a file of millions of entries fits the heap.
    const list = parseBlocklist(
      await readUserFile(file, { maxBytes: MAX_LIST_BYTES, what: "a filter file" }),
    );
    if (list.overLimit !== null) {
      throw new UnusableFileError(`"${file}" holds ${list.overLimit}, the most a filter file may hold`);
    }
    const junk = [
      ...list.skipped.map((s) => ({ at: Number(s.line.split(":")[0]), why: "not an IP address or CIDR" })),
      ...list.domains.slice(0, JUNK_LINES_SAID).map((d) => ({
        at: d.line,
        why: "a domain; a filter file holds IPs and CIDRs",
      })),
    ].sort((a, b) => a.at - b.at);
    for (const { at, why } of junk.slice(0, JUNK_LINES_SAID)) warn(`note: ${file}:${at} skipped: ${why}`);
    const more = list.skippedCount + list.domains.length - Math.min(junk.length, JUNK_LINES_SAID);
    if (more > 0) warn(`note: ${file}: ${more.toLocaleString("en")} more lines skipped`);
    starts.push(list.v4.starts);
    ends.push(list.v4.ends);
    for (const range of list.v6) v6.push(range);
  }
  return IpRangeSet.fromNumbers(concatenated(starts), concatenated(ends), v6);
}

function concatenated(parts: readonly Uint32Array[]): Uint32Array {
  const all = new Uint32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

function requireWrite(path: string): void {
  if (Deno.permissions.querySync({ name: "write", path }).state !== "granted") {
    const flag = `--allow-write=${path}`;
    throw new PermissionError(`cannot write "${path}": permission denied; run with ${flag}`, flag);
  }
}

function summary(options: MonitorOptions, tracker: Tracker, result: MonitorRunResult): string {
  const noun = ROW_NOUNS[options.groupBy];
  const times = result.pollTimes;
  return `conntrail: ${result.polls} polls over ${Math.round(result.runtimeMs / 1000)}s ` +
    `(time unit ${options.timeUnit}s, ${tracker.totalColumns} columns) | ${tracker.uniqueRowCount} unique ${noun}, ` +
    `${tracker.activeRowCount} active at the end | ${tracker.openConnectionCount} connections open` +
    (result.failedPolls > 0 ? ` | ${result.failedPolls} polls failed` : "") +
    (times.overran > 0
      ? ` | Interval: ${options.timeUnit}s (polls took ${secondsText(times.meanMs / 1000)} on average, ` +
        `up to ${
          secondsText(times.maxMs / 1000)
        }; ${times.overran} of ${times.count} longer than the interval)`
      : "") +
    (result.alerts > 0 ? ` | ${result.alerts} alert${result.alerts === 1 ? "" : "s"}` : "");
}

/** The monitor's filters as the dashboard's status line names them. */
function filterNames(options: MonitorOptions): string {
  return [
    options.filterLocal ? "--filter-local" : null,
    ...options.filterFile.map((file) => `--filter-file ${safeTerminalText(file)}`),
    options.process === undefined ? null : `--process ${safeTerminalText(options.process)}`,
    options.port === undefined ? null : `--port ${options.port}`,
    options.outgoing ? "--outgoing" : null,
  ].filter((name) => name !== null).join(", ");
}

/** The exit summary's list of alerts: the first ones in full, then how many more. */
function alertList(
  alerts: readonly { event: ConnectionEvent; info: AddressInfo; at: Date }[],
  total: number,
) {
  if (total === 0) return [];
  const lines = [`alerts (${total}):`];
  for (const { event, info, at } of alerts.slice(0, ALERTS_LISTED)) {
    lines.push(`  ${alertText(event, info, at)}`);
  }
  if (total > ALERTS_LISTED) {
    lines.push(
      `  … and ${total - ALERTS_LISTED} more (every alert is in --format ndjson and --log-dir logs)`,
    );
  }
  return lines;
}

/**
 * The egress files of a run: `--report`, the GitHub Actions job summary and
 * `--write-expect`. A job summary that cannot be written is a warning (the
 * run did not ask for it by name); the others fail the run as `-o` does.
 */
async function writeEgressFiles(
  egress: EgressSummary,
  options: Pick<MonitorOptions, "report" | "writeExpect">,
  io: { report: (line: string) => Promise<void> | void; warn: (line: string) => void; stepSummary?: string },
): Promise<void> {
  const markdown = options.report !== undefined || io.stepSummary ? renderEgressReport(egress) : "";
  if (options.report !== undefined) {
    await writeUserFile(options.report, markdown);
    await io.report(`report written to ${options.report}`);
  }
  if (io.stepSummary) {
    try {
      await writeUserFile(io.stepSummary, markdown + "\n", { append: true });
    } catch (error) {
      io.warn(`warning: job summary not written: ${error instanceof Error ? error.message : error}`);
    }
  }
  if (options.writeExpect !== undefined) {
    await writeUserFile(options.writeExpect, renderExpectList(egress.destinations));
    const count = egress.destinations.length;
    if (egress.droppedDestinations > 0) {
      io.warn(
        `warning: ${egress.droppedDestinations} destinations past the first ${count} were not kept; ` +
          `${options.writeExpect} lacks them`,
      );
    }
    await io.report(
      `${count} destination${count === 1 ? "" : "s"} written to ${options.writeExpect} as an --expect list`,
    );
  }
}

/**
 * `conntrail` / `conntrail monitor`: poll, track and show connections until
 * `--count`, `--duration`, q, Ctrl+C or SIGTERM; then write the export, the
 * frequent-IP file and a summary. Returns the exit code.
 */
export async function runMonitorCommand(options: MonitorOptions, io: MonitorCommandIo): Promise<number> {
  const notes: string[] = [];
  const refresh = !options.scroll && io.stdoutIsTerminal && options.format === "text";
  let output: MonitorOutput | null = null;
  // Off the dashboard, notes go straight to stderr; on it they show in its status line as they come,
  // and are printed in full once the screen is restored.
  const note = (line: string) => {
    if (!refresh) return io.warn(line);
    notes.push(line);
    if (output instanceof RefreshOutput) output.note(line);
  };
  if (options.output !== undefined) requireWrite(options.output);
  if (options.report !== undefined) requireWrite(options.report);
  if (options.writeExpect !== undefined) requireWrite(options.writeExpect);
  if (options.saveThreshold !== undefined) requireWrite(".");
  requireSyslogPermissions(options);
  const optionalReads = [
    ...(options.blocklist.length === 0 ? [DEFAULT_BLOCKLIST] : []),
    ...(options.envFile === undefined && options.reputation ? [".env"] : []),
  ];
  const leftOut = leftOutNote(io.env.denied, unreadable(optionalReads));
  if (leftOut !== null) note(leftOut);
  // List files, DNS answers and the reputation server are untrusted: their text is made safe first.
  const threatNote = (line: string) => note(safeTerminalText(line));
  const history = await openMonitorHistory(options, {
    env: io.env.values,
    os: Deno.build.os,
    note: threatNote,
  });
  let recorder: HistoryRecorder | null = null;
  // Names from DNS answers, once --sniff-dns has started (just before the run).
  let answered: DnsNames | null = null;
  const threat = await openThreatIntel(options, {
    env: io.env.values,
    note: threatNote,
    names: options.sniffDns ? (ip, at) => answered?.lookup(ip, at) ?? null : null,
    now: () => io.now().getTime(),
    cached: history === null ? [] : await history.reputations().catch(() => []),
    onReputation: (ip, reputation) => recorder?.reputation(ip, reputation),
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
    ...(io.lists === undefined ? {} : { lists: io.lists }),
  });
  const watch = new AlertWatch(threat.sources);
  // The shipped ips.txt template lists nothing: no need to say so on every run.
  const lists = threat.blocklists.loaded.filter((l) => l.entries > 0);
  if (lists.length > 0) {
    threatNote(
      `note: block lists: ${
        lists.map((l) => `${l.path} (${l.entries.toLocaleString("en")} entries)`).join(", ")
      }`,
    );
  }
  const keep = monitorFilter({
    filterLocal: options.filterLocal,
    hidden: await hiddenRanges(options.filterFile, io.warn),
    process: options.process,
    port: options.port,
    outgoing: options.outgoing,
  });
  const githubActions = io.env.values.get("GITHUB_ACTIONS") === "true";
  const color = options.color && !io.env.values.has("NO_COLOR") && (refresh || io.stdoutIsTerminal);

  const names = openNames(options, {
    note,
    onAnswer: () => {
      if (output instanceof RefreshOutput) output.redrawSoon();
      else if (output instanceof ScrollOutput) output.drain().catch(() => {});
    },
    ...(io.resolver === undefined ? {} : { resolver: io.resolver }),
  });
  const geo = await openGeo(options, { note: threatNote });
  const place = geo.lookup;
  const describe: DescribeAddress = (ip): AddressInfo => {
    const info: AddressInfo = place === null ? {} : place.describe(ip);
    if (answered !== null) info.domain = answered.lastDomain(ip);
    return names === null ? info : { hostname: names.lookup(ip), ...info };
  };

  const tally = new EgressTally({
    describe: (ip) => place?.describe(ip) ?? {},
    expect: options.expect ?? null,
  });

  if (history !== null) {
    recorder = new HistoryRecorder(history, { describe, note: threatNote, fallback: memoryHistory });
  }

  const recordsNeeded = (options.syslog ?? []).length > 0 ||
    (options.format !== "text" && options.format !== "ndjson");
  const context = recordsNeeded ? openRecordContext(note) : undefined;
  const syslog = context === undefined
    ? null
    : await openSyslog(options, options.format, { note, describe, context, procId: io.pid ?? null });

  const tracker = new Tracker({
    width: options.width,
    groupBy: options.groupBy,
    maxClosedRows: MAX_CLOSED_ROWS,
    timeUnitMs: options.timeUnit * 1000,
    ...(options.sniffDns
      ? { domainOf: (ip: string, at: number) => answered?.lookup(ip, at)?.domain ?? null }
      : {}),
  });
  const startedAt = io.now();
  const log = options.logDir === undefined ? null : await ConnectionLog.open({
    directory: options.logDir,
    formats: options.logFormat,
    startedAt,
    describe,
  });
  const stopper = new AbortController();
  const stop = () => stopper.abort();
  const rowNoun = ROW_NOUNS[options.groupBy];
  let alertCount = 0;
  const alertsSeen: { event: ConnectionEvent; info: AddressInfo; at: Date }[] = [];
  const judge = pollAlerts(threat, watch);
  const alerts = (connections: readonly Connection[], changes: readonly ConnectionEvent[], at: Date) => {
    const raised = judge(connections, changes, at);
    for (const event of raised) {
      alertCount++;
      if (alertsSeen.length < ALERTS_LISTED) {
        const ip = event.connection.remote_ip;
        alertsSeen.push({ event, info: ip === null ? {} : describe(ip), at });
      }
    }
    return raised;
  };
  if (refresh) {
    const dashboard = new Dashboard(tracker, {
      timeUnitSeconds: options.timeUnit,
      width: options.width,
      color,
      describe,
      rowNoun,
      alertOf: (row) => (row.ip === null || row.listening ? null : watch.reasonFor(row.ip)),
      alertCount: () => alertCount,
      filterNames: filterNames(options),
      now: io.now,
    });
    const refreshOutput = new RefreshOutput(dashboard, new Terminal(io.terminal), stop);
    // What was said before the screen was there goes to its status line too.
    for (const line of notes) dashboard.note(line);
    output = refreshOutput;
  } else {
    output = new ScrollOutput({
      format: options.format,
      ...(context === undefined ? {} : { context }),
      color,
      describe,
      rowNoun,
      githubActions,
      timeUnitSeconds: options.timeUnit,
      nameWaitMs: names === null ? 0 : NAME_WAIT_MS,
      namesIdle: names === null ? undefined : () => names?.idle() ?? Promise.resolve(),
      write: io.write,
      writeAside: io.warn,
      // A line's wait for its name is in the monitor's time, like its polls.
      nowMs: () => io.now().getTime(),
    });
  }

  const kernel = await openKernelEvents(options, { os: Deno.build.os, note: threatNote, ...io.kernelEvents });
  answered = kernel.names;
  const redraw = () => (output instanceof RefreshOutput ? output.redrawSoon() : undefined);
  const detach = io.onStart?.(stop, redraw) ?? (() => {});
  const keys = new AbortController();
  let result;
  let unwatch = () => {};
  try {
    if (options.stopFile !== undefined) {
      unwatch = await watchStopFile(options.stopFile, stop, (error) => {
        note(`warning: --stop-file no longer watched: ${error instanceof Error ? error.message : error}`);
      });
    }
    const shown = output;
    // The egress report hears every event the output does.
    const tallied: MonitorOutput = {
      onPoll: (events, status, at, info) => {
        tally.record(events);
        return shown.onPoll(events, status, at, info);
      },
      close: () => shown.close(),
    };
    if (output instanceof RefreshOutput) {
      const refreshOutput = output;
      refreshOutput.start();
      readKeys((key) => refreshOutput.onKey(key), keys.signal).catch(() => {});
    }
    result = await runMonitor(tracker, {
      timeUnitMs: options.timeUnit * 1000,
      count: options.count,
      durationMs: options.duration === undefined ? undefined : options.duration * 1000,
      keep,
    }, {
      collector: io.collector,
      now: io.now,
      sleep: io.sleep,
      output: syslog === null ? tallied : fanOut([tallied, syslog]),
      log,
      history: recorder,
      note,
      stop: stopper.signal,
      alerts,
      trace: kernel.trace,
    });
  } finally {
    unwatch();
    const dns = await kernel.close();
    if (dns !== null) note(`note: ${dns}`);
    threat.close();
    keys.abort();
    detach();
    names?.close();
    await output.close();
    await syslog?.close();
    for (const line of notes) io.warn(line);
  }

  const report = options.format !== "text" ? io.warn : (line: string) => io.write(line + "\n");
  await report(summary(options, tracker, result));
  for (const line of syslog?.summary() ?? []) await report(`conntrail: ${line}`);
  for (const line of alertList(alertsSeen, alertCount)) await report(line);
  const endedAt = io.now();
  if (options.output !== undefined) {
    await writeUserFile(
      options.output,
      renderTimelineExport(tracker, {
        generated: endedAt,
        timeUnitSeconds: options.timeUnit,
        groupBy: options.groupBy,
        describe,
        attribution: geo.attribution,
      }),
    );
    await report(`timeline written to ${options.output}`);
  } else if (refresh) {
    await report("(run with -o FILE to save the timeline on exit)");
  }
  if (options.saveThreshold !== undefined) {
    const file = frequentIpsFile(tracker, options.saveThreshold, options.timeUnit, endedAt);
    await writeUserFile(file.name, file.text, { flagPath: "." });
    await report(
      `${file.count} IPs present at least ${options.saveThreshold}% of the time written to ${file.name}`,
    );
  }
  if (log !== null) await report(`log: ${log.paths.join(", ")} (${log.written} records)`);
  if (recorder !== null) await report(`history: ${recorder.location} (${recorder.written} events recorded)`);
  await writeEgressFiles(tally.summary(startedAt, endedAt), options, {
    report,
    warn: io.warn,
    stepSummary: githubActions ? io.env.values.get("GITHUB_STEP_SUMMARY") : undefined,
  });
  const met = options.failOn.filter((condition) => watch.met.has(condition));
  if (met.length > 0) {
    io.warn(`conntrail: --fail-on ${met.join(", ")}: ${result.alerts} alerts; exit code 3`);
    return 3;
  }
  return 0;
}
