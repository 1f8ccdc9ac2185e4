/**
 * One monitoring session: the enrichment (reverse DNS, geo, names from DNS
 * answers), the alerting (block lists, AbuseIPDB, `--expect`), the history and
 * the sinks (syslog, `--log-dir`) that `monitor` and `serve` share, opened
 * once and closed in order. The commands only choose an output.
 *
 * @module
 */
import type { Machine } from "../platform/platform.ts";
import type { Collector } from "../collect/collector.ts";
import type { BlocklistFilesIo } from "../enrich/blocklist_files.ts";
import type { DnsNames } from "../enrich/dns_names.ts";
import type { PtrResolver, ReverseDns } from "../enrich/reverse_dns.ts";
import type { AddressInfo, DescribeAddress } from "../model/address_info.ts";
import type { Connection } from "../model/connection.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import { AlertWatch } from "../monitor/alert_watch.ts";
import type { ConnectionLog } from "../monitor/connection_log.ts";
import { fanOut } from "../monitor/fan_out.ts";
import { HistoryRecorder } from "../monitor/history_recorder.ts";
import type { MonitorOutput } from "../monitor/monitor_output.ts";
import { type MonitorLoopOptions, type MonitorRunResult, runMonitor } from "../monitor/run_monitor.ts";
import type { SyslogOutput } from "../monitor/syslog_output.ts";
import { Tracker } from "../monitor/tracker.ts";
import type { GroupBy } from "../model/tracked_row.ts";
import type { RecordContext } from "../render/event_record.ts";
import type { LogFormat } from "../render/log_records.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import { type GeoFlags, type OpenedGeo, openGeo } from "./geo_config.ts";
import { type HistoryFlags, memoryHistory, openMonitorHistory } from "./history_config.ts";
import {
  type KernelEventFlags,
  type KernelEvents,
  type KernelEventsIo,
  openKernelEvents,
} from "./kernel_events.ts";
import { type NameFlags, openNames } from "./names_config.ts";
import { openRecordContext } from "./record_context.ts";
import { openSyslog, requireSyslogPermissions, type SyslogFlags } from "./syslog_config.ts";
import { openThreatIntel, pollAlerts, type ThreatFlags, type ThreatIntel } from "./threat_intel.ts";

/** The flags a session reads: what `monitor` and `serve` share, and `--log-dir`, which only `monitor` has. */
export interface SessionFlags
  extends ThreatFlags, GeoFlags, HistoryFlags, SyslogFlags, KernelEventFlags, NameFlags {
  logDir?: string;
  logFormat?: LogFormat[];
}

/** What a session reads from and talks to; main.ts passes the real ones, tests fakes. */
export interface SessionPlatform extends Machine {
  collector: Collector;
  now: () => Date;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Environment variables the run may read. */
  env: ReadonlyMap<string, string>;
  /** PTR lookups instead of the network's DNS (tests). */
  resolver?: PtrResolver;
  /** AbuseIPDB requests instead of the platform's network (tests). */
  fetch?: typeof fetch;
  /** Reads block lists and resolves their domains instead of the machine (tests). */
  lists?: BlocklistFilesIo;
  /** This process's id, for syslog headers. */
  pid?: number;
  /** How `--trace` and `--sniff-dns` start their tools; the default runs bpftrace, ss -E and tcpdump. */
  kernelEvents?: Pick<KernelEventsIo, "openTrace" | "startSniffer" | "startFinalCounters">;
}

/** How the command wants the session to talk and record. */
export interface SessionChoices {
  /** One line for the user; untrusted text (lists, DNS, servers) is made safe before it. */
  note: (line: string) => void;
  /** The output's event format, which syslog follows unless `--syslog-format` says otherwise. */
  format: string | undefined;
  /** Whether the output writes records (ECS, OCSF, …) that name the host: the record context is read once. */
  recordsNeeded: boolean;
  /** A reverse-DNS answer arrived: redraw what shows names. */
  onNameAnswer: () => void;
  /** Alerts kept, in full, for the exit summary (0: only counted). */
  alertsListed: number;
}

/** What the output shows of the timeline: how its rows are grouped and sized. */
export interface TrackerChoices {
  width: number;
  groupBy: GroupBy;
  /** Closed rows kept in memory; older ones are dropped (counted). */
  maxClosedRows: number;
  timeUnitSeconds: number;
  traffic: boolean;
}

/** An alert as the exit summary lists it. */
export interface ListedAlert {
  event: ConnectionEvent;
  info: AddressInfo;
  at: Date;
}

/** An open session; {@linkcode Session.close} ends it on every way out. */
export interface Session {
  /** What is known about an address now: geo, reverse DNS, the name asked for. */
  readonly describe: DescribeAddress;
  readonly geo: OpenedGeo;
  readonly threat: ThreatIntel;
  readonly watch: AlertWatch;
  /** Reverse DNS, when `--resolve-names`. */
  readonly names: ReverseDns | null;
  /** Who writes records (host, product), when records are written. */
  readonly context: RecordContext | undefined;
  /** The `--log-dir` files, when asked for. */
  readonly log: ConnectionLog | null;
  /** The history the run records, when there is one. */
  readonly recorder: HistoryRecorder | null;
  readonly syslog: SyslogOutput | null;
  /** For the tracker: the name a connection to `ip` at `at` was asked by (`--sniff-dns`). */
  readonly domainOf: ((ip: string, at: number) => string | null) | undefined;
  /** When the session was opened: the `--log-dir` files' time stamp. */
  readonly startedAt: Date;
  /** Alerts raised so far. */
  readonly alertCount: number;
  /** The first alerts, in full. */
  readonly alertsListed: readonly ListedAlert[];
  /**
   * A tracker for this session's polls, one row per `groupBy` with a cell per
   * time unit; with `--sniff-dns` a connection carries the name it was asked by.
   */
  tracker(options: TrackerChoices): Tracker;
  /** Start `--trace` and `--sniff-dns`; call it just before the run. A `stop` while they start ends them. */
  startKernelEvents(stop?: AbortSignal): Promise<void>;
  /** Run the monitor loop with this output (and the syslog sink beside it) until it stops. */
  run(
    tracker: Tracker,
    loop: MonitorLoopOptions,
    output: MonitorOutput,
    stop: AbortSignal,
  ): Promise<MonitorRunResult>;
  /**
   * Stop the kernel tools, list refreshes and name lookups, close the output
   * (if given) and the sinks, and the history if the loop never ran.
   */
  close(output?: MonitorOutput): Promise<void>;
}

/**
 * The collector, with the GeoIP data its sockets' addresses need loaded before
 * the poll is returned: nothing that describes them (alerts, logs, history,
 * outputs) runs first.
 */
function geoFirst(collector: Collector, prepare: OpenedGeo["prepare"]): Collector {
  return {
    get name() {
      return collector.name;
    },
    async collect(request) {
      const result = await collector.collect(request);
      await prepare(result.sockets);
      return result;
    },
  };
}

/**
 * Open what `monitor` and `serve` share. Permissions the sinks need are
 * checked first, so a missing one ends the run before anything starts.
 */
export async function openSession(
  flags: SessionFlags,
  platform: SessionPlatform,
  choices: SessionChoices,
): Promise<Session> {
  const note = choices.note;
  // List files, DNS answers and the reputation server are untrusted: their text is made safe first.
  const safeNote = (line: string) => note(safeTerminalText(line));
  requireSyslogPermissions(flags, platform);
  const history = await openMonitorHistory(flags, { ...platform, note: safeNote });
  let recorder: HistoryRecorder | null = null;
  // Names from DNS answers, once --sniff-dns has started (just before the run).
  let answered: DnsNames | null = null;
  const threat = await openThreatIntel(flags, {
    machine: platform,
    env: platform.env,
    note: safeNote,
    names: flags.sniffDns ? (ip, at) => answered?.lookup(ip, at) ?? null : null,
    now: () => platform.now().getTime(),
    cached: history === null ? [] : await history.reputations().catch(() => []),
    onReputation: (ip, reputation) => recorder?.reputation(ip, reputation),
    ...(platform.fetch === undefined ? {} : { fetch: platform.fetch }),
    ...(platform.lists === undefined ? {} : { lists: platform.lists }),
  });
  const watch = new AlertWatch(threat.sources);
  const names = openNames(flags, {
    network: platform.network,
    note,
    onAnswer: choices.onNameAnswer,
    ...(platform.resolver === undefined ? {} : { resolver: platform.resolver }),
  });
  // The embedded GeoIP data is loaded at the first public address a poll lists (see geoFirst), not before.
  const geo = await openGeo(flags, { note: safeNote, lazy: true, files: platform.files });
  const describe: DescribeAddress = (ip): AddressInfo => {
    const info: AddressInfo = geo.lookup === null ? {} : geo.lookup.describe(ip);
    if (answered !== null) info.domain = answered.lastDomain(ip);
    return names === null ? info : { hostname: names.lookup(ip), ...info };
  };
  if (history !== null) {
    recorder = new HistoryRecorder(history, { describe, note: safeNote, fallback: memoryHistory });
  }
  const context = choices.recordsNeeded ? openRecordContext(platform, note) : undefined;
  const syslog = context === undefined ? null : await openSyslog(flags, choices.format, {
    machine: platform,
    note,
    describe,
    context,
    procId: platform.pid ?? null,
  });
  const startedAt = platform.now();
  const log = flags.logDir === undefined
    ? null
    : await (await import("../monitor/connection_log.ts")).ConnectionLog.open({
      files: platform.files,
      directory: flags.logDir,
      formats: flags.logFormat ?? [],
      startedAt,
      describe,
    });

  let kernel: KernelEvents | null = null;
  let looped = false;
  let alertCount = 0;
  const alertsListed: ListedAlert[] = [];
  const judge = pollAlerts(threat, watch);
  const alerts = (connections: readonly Connection[], changes: readonly ConnectionEvent[], at: Date) => {
    const raised = judge(connections, changes, at);
    for (const event of raised) {
      alertCount++;
      if (alertsListed.length < choices.alertsListed) {
        const ip = event.connection.remote_ip;
        alertsListed.push({ event, info: ip === null ? {} : describe(ip), at });
      }
    }
    return raised;
  };

  const domainOf = flags.sniffDns
    ? (ip: string, at: number) => answered?.lookup(ip, at)?.domain ?? null
    : undefined;
  return {
    describe,
    geo,
    threat,
    watch,
    names,
    context,
    log,
    get recorder() {
      return recorder;
    },
    syslog,
    domainOf,
    tracker: (choices) =>
      new Tracker({
        width: choices.width,
        groupBy: choices.groupBy,
        maxClosedRows: choices.maxClosedRows,
        timeUnitMs: choices.timeUnitSeconds * 1000,
        ...(domainOf === undefined ? {} : { domainOf }),
        traffic: choices.traffic,
      }),
    startedAt,
    get alertCount() {
      return alertCount;
    },
    alertsListed,
    async startKernelEvents(stop) {
      kernel = await openKernelEvents(flags, {
        machine: platform,
        note: safeNote,
        ...(stop === undefined ? {} : { stop }),
        ...platform.kernelEvents,
      });
      answered = kernel.names;
      // The tracer names the processes of the connections it sees open: the collector need not walk for them.
      const trace = kernel.trace;
      if (trace?.ownerOf !== undefined) {
        platform.collector.takeOwnersFrom?.((socket) => trace.ownerOf?.(socket));
      }
    },
    run(tracker, loop, output, stop) {
      looped = true;
      return runMonitor(tracker, loop, {
        collector: geoFirst(platform.collector, geo.prepare),
        now: platform.now,
        sleep: platform.sleep,
        output: syslog === null ? output : fanOut([output, syslog]),
        log,
        history: recorder,
        note,
        stop,
        alerts,
        trace: kernel?.trace ?? null,
        finalCounters: kernel?.finalCounters ?? null,
      });
    },
    async close(output) {
      await platform.collector.close?.();
      const dns = await kernel?.close() ?? null;
      if (dns !== null) note(`note: ${dns}`);
      threat.close();
      names?.close();
      await output?.close();
      await syslog?.close();
      // The monitor loop closes the history and the log; when it never ran, they are closed here.
      if (!looped) {
        await log?.flush();
        await history?.close();
      }
    },
  };
}
