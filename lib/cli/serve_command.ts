import type { CollectorName } from "../collect/collector.ts";
import { listedText, verdictFor } from "../enrich/threat_verdict.ts";
import { isSystemError, PermissionError } from "../model/errors.ts";
import { UsageError } from "./usage_error.ts";
import { alertList, ALERTS_LISTED } from "./monitor_report.ts";
import { monitorFilter } from "../monitor/monitor_filter.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import { accessPolicy, hostWithPort, isLoopbackHost, newToken } from "../web/access_policy.ts";
import { EventStream } from "../web/event_stream.ts";
import { type AddressView, LiveView } from "../web/live_view.ts";
import { paceText, PollPace } from "../web/poll_pace.ts";
import { webHandler } from "../web/web_handler.ts";
import type { GeoFlags } from "./geo_config.ts";
import type { HistoryFlags } from "./history_config.ts";
import type { KernelEventFlags } from "./kernel_events.ts";
import type { ThreatFlags } from "./threat_intel.ts";
import { fanOut } from "../monitor/fan_out.ts";
import { ScrollOutput } from "../monitor/scroll_output.ts";
import type { EventFormat } from "../render/event_record.ts";
import type { SyslogFlags } from "./syslog_config.ts";
import { openSession } from "./session.ts";
import type { HttpServer, Network, ServeHandler } from "../platform/platform.ts";
import { type CommandIo, warnLine } from "./command_io.ts";
import { collectorOf, liveOwnerWalk } from "./command_collector.ts";
import { monitorEnv } from "./environment.ts";
import { stoppablePrograms } from "./stoppable_programs.ts";

/** Options of `conntrail serve`. */
export interface ServeOptions extends ThreatFlags, GeoFlags, HistoryFlags, SyslogFlags, KernelEventFlags {
  host: string;
  port: number;
  /** `--token`; one is generated when the host is not loopback. */
  token?: string;
  /** Pages that may follow live events at once. */
  maxClients: number;
  timeUnit: number;
  width: number;
  resolveNames: boolean;
  dnsServer?: string;
  filterLocal: boolean;
  /** Seconds; stop by itself after this long. */
  duration?: number;
  collector: CollectorName;
  /** `--format`: also print every event on stdout (the event log), in this format. */
  format?: "text" | EventFormat;
  /** `--traffic`: count bytes (top talkers and the throughput chart). */
  traffic: boolean;
}

/** Closed process rows kept in memory. */
const MAX_CLOSED_ROWS = 2_000;

function listen(
  options: ServeOptions,
  serve: { network: Network; handler: ServeHandler; signal: AbortSignal; onListen: (port: number) => void },
): HttpServer {
  const where = hostWithPort(options.host, options.port);
  try {
    return serve.network.serve({
      hostname: options.host,
      port: options.port,
      signal: serve.signal,
      onListen: serve.onListen,
    }, serve.handler);
  } catch (error) {
    if (isSystemError(error, "NotCapable")) {
      const flag = `--allow-net=${where}`;
      throw new PermissionError(`cannot listen on ${where}: permission denied; run with ${flag}`, flag);
    }
    if (isSystemError(error, "AddrInUse")) {
      throw new UsageError(`cannot listen on ${where}: the port is in use; choose another with --port`);
    }
    if (isSystemError(error, "AddrNotAvailable")) {
      throw new UsageError(`cannot listen on ${where}: no interface of this machine has that address`);
    }
    throw error;
  }
}

/**
 * `conntrail serve`: run the monitor with the web page as its output. The
 * page and its API answer on `--host:--port` until Ctrl+C, SIGTERM or
 * `--duration`; history is recorded as the monitor records it.
 */
export async function runServe(options: ServeOptions, io: CommandIo): Promise<number> {
  // From the start: a signal while the session opens, or while the first reading walks every process's
  // descriptors, stops the run then (the tools it runs killed), not once they are done.
  const stopper = new AbortController();
  const detach = io.onSignals(() => stopper.abort(), () => {});
  try {
    return await serveUntil(options, io, stopper);
  } finally {
    detach();
  }
}

async function serveUntil(options: ServeOptions, io: CommandIo, stopper: AbortController): Promise<number> {
  const write = io.stdout;
  const warn = warnLine(io);
  const env = io.readEnv(monitorEnv(io.os));
  const token = options.token ?? (isLoopbackHost(options.host) ? null : newToken());
  const note = (line: string) => warn(safeTerminalText(line));
  const session = await openSession(
    options,
    {
      ...io,
      collector: collectorOf({ ...options, ...liveOwnerWalk(options.trace ?? false) }, {
        ...io,
        programs: stoppablePrograms(io.programs, stopper.signal),
      }),
      env: env.values,
    },
    {
      note,
      format: options.format,
      recordsNeeded: (options.syslog ?? []).length > 0 ||
        (options.format !== undefined && options.format !== "text"),
      onNameAnswer: () => {},
      alertsListed: ALERTS_LISTED,
    },
  );
  const { describe, threat } = session;
  const risk = (ip: string): Pick<AddressView, "risk_level" | "abuse_score" | "blocklist"> => {
    const verdict = verdictFor(ip, threat.sources);
    return {
      ...(verdict.listed === null ? {} : { blocklist: listedText(verdict.listed) }),
      ...(verdict.reputation === null
        ? {}
        : { risk_level: verdict.reputation.risk_level, abuse_score: verdict.reputation.abuse_score }),
    };
  };
  // With an event log on stdout, the server's own lines go to stderr.
  const say = options.format === undefined ? write : (text: string) => Promise.resolve(warn(text.trimEnd()));
  const eventLog = options.format === undefined ? null : new ScrollOutput({
    format: options.format,
    ...(session.context === undefined ? {} : { context: session.context }),
    color: false,
    describe,
    rowNoun: "processes",
    githubActions: false,
    nameWaitMs: 0,
    write: write,
    writeAside: warn,
  });

  const tracker = session.tracker({
    width: options.width,
    groupBy: "process",
    maxClosedRows: MAX_CLOSED_ROWS,
    // The page's timelines count time units, like the dashboard's: a slow poll does not shrink them.
    timeUnitSeconds: options.timeUnit,
    traffic: options.traffic,
  });
  let live: LiveView | null = null;
  const events = new EventStream({
    maxClients: options.maxClients,
    initial: () => live?.stateEvents() ?? [],
  });
  const pace = new PollPace(options.timeUnit * 1000, {
    onFirstOverrun: (report) =>
      note(
        `note: a poll's work took ${
          (report.poll_ms / 1000).toFixed(2)
        }s, longer than the ${options.timeUnit}s ` +
          "time unit: the page updates as often as polls finish (a longer --time-unit keeps up)",
      ),
  });
  live = new LiveView(tracker, {
    timeUnitSeconds: options.timeUnit,
    width: options.width,
    describe,
    risk,
    publish: (event, data) => events.publish(event, data),
    pace: { pace, now: () => io.now().getTime() },
  });
  // Set once the port is bound (the system picks it for --port 0), before any request is answered.
  let policy = accessPolicy(options.host, options.port, token);
  const handler = webHandler({
    live,
    events,
    history: () => session.recorder?.store ?? null,
    policy: () => policy,
    now: () => io.now().getTime(),
    log: (line) => warn(safeTerminalText(line)),
  });
  let server: HttpServer | null = null;
  let result = null;
  await session.startKernelEvents(stopper.signal);
  try {
    // Stopped while the session opened: nothing is served (Deno.serve given a signal that has aborted already
    // serves on for good).
    if (!stopper.signal.aborted) {
      server = listen(options, {
        network: io.network,
        handler,
        signal: stopper.signal,
        onListen: (bound) => (policy = accessPolicy(options.host, bound, token)),
      });
      const port = server.port;
      const url = `http://${hostWithPort(options.host, port)}/${token === null ? "" : `?token=${token}`}`;
      await say(`conntrail: serving on ${url} (Ctrl+C stops)\n`);
      result = await session.run(
        tracker,
        {
          timeUnitMs: options.timeUnit * 1000,
          durationMs: options.duration === undefined ? undefined : options.duration * 1000,
          keep: monitorFilter({ filterLocal: options.filterLocal, hidden: null, outgoing: false }),
        },
        fanOut([live, ...(eventLog === null ? [] : [eventLog])]),
        stopper.signal,
      );
    }
  } finally {
    stopper.abort();
    events.close();
    await session.close();
    await server?.finished;
  }
  if (result === null) return 0;
  for (const line of session.syslog?.summary() ?? []) warn(`conntrail: ${line}`);
  const paced = pace.report();
  const recorder = session.recorder;
  await say(
    `conntrail: served ${result.polls} polls over ${Math.round(result.runtimeMs / 1000)}s` +
      (paced === null ? "" : `; ${paceText(paced)}`) +
      (result.failedPolls === 0 ? "" : `; ${result.failedPolls} polls failed`) +
      (events.dropped === 0 ? "" : `; ${events.dropped} pages dropped for not keeping up`) +
      (recorder === null ? "" : ` | history: ${recorder.location} (${recorder.written} events recorded)`) +
      "\n",
  );
  // As the monitor's summary does: an alert of the run is not only on a page that may be closed by now.
  for (const line of alertList(session.alertsListed, session.alertCount)) await say(`${line}\n`);
  return 0;
}
