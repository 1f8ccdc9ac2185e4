import { monitorFilter } from "../monitor/monitor_filter.ts";
import type { MonitorOutput } from "../monitor/monitor_output.ts";
import type { RefreshOutput } from "../monitor/refresh_output.ts";
import { ScrollOutput } from "../monitor/scroll_output.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import type { MonitorOptions } from "./parse_args.ts";
import { DEFAULT_BLOCKLIST } from "./threat_intel.ts";
import { leftOutNote, monitorEnv } from "./environment.ts";
import { type CommandIo, warnLine } from "./command_io.ts";
import { collectorOf, liveOwnerWalk } from "./command_collector.ts";
import { watchStopFile } from "./stop_file.ts";
import { requireSyslogPermissions } from "./syslog_config.ts";
import { filterRanges } from "./filter_ranges.ts";
import { ALERTS_LISTED, reportMonitorRun, requireReportFiles, rowNoun } from "./monitor_report.ts";
import { openSession } from "./session.ts";
import { stoppablePrograms } from "./stoppable_programs.ts";
import { thousands } from "../model/thousands.ts";

/** Closed rows kept in memory; older closed rows are dropped (counted in the export). */
const MAX_CLOSED_ROWS = 10_000;
/** Longest a scroll line waits for its address's name. */
const NAME_WAIT_MS = 1000;

/**
 * Polls between two readings of the byte counters where no output shows a rate per poll (see
 * {@linkcode sparseCounters}): the status line's, so that each status line's totals and rate (over the last 10
 * polls) are read as at every poll. At 10,000 connections the counters are 25-30 ms of CPU a poll (the dump
 * with `tcp_info`, 440 bytes a socket, instead of 124 without); every 10th poll leaves a tenth of that.
 */
export const COUNTERS_EVERY = 10;

/**
 * Whether the byte counters may be read only every {@linkcode COUNTERS_EVERY} polls, with each closing
 * connection's exact counters from the kernel's destroy events (`ss -E`): with `--traffic` on Linux with ss, in
 * scroll mode (text, NDJSON, ECS, OCSF: lines, logs, syslog and history take bytes at a close, and the status
 * line's totals) without `-o` (the export's timeline marks each time unit idle or active by the bytes it moved).
 * Not on the dashboard (rates per row per poll, idle cells) nor in `serve` (its page shows rates per poll).
 */
export function sparseCounters(options: MonitorOptions, refresh: boolean, os: string): boolean {
  return options.traffic && !refresh && options.output === undefined && os === "linux" &&
    (options.collector === "auto" || options.collector === "ss");
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

/**
 * `conntrail` / `conntrail monitor`: poll, track and show connections until
 * `--count`, `--duration`, q, Ctrl+C or SIGTERM; then write the export, the
 * frequent-IP file and a summary. Returns the exit code.
 */
export async function runMonitorCommand(options: MonitorOptions, io: CommandIo): Promise<number> {
  // From the start: a signal while the session opens, or while the first reading walks every process's
  // descriptors, stops the run then (the tools it runs killed), not once they are done.
  const stopper = new AbortController();
  let dashboard: RefreshOutput | null = null;
  const redraw = () => dashboard?.redrawSoon();
  const detach = io.onSignals(() => stopper.abort(), redraw);
  try {
    return await monitorUntil(options, io, {
      stopper,
      setDashboard: (shown) => (dashboard = shown),
    });
  } finally {
    detach();
  }
}

async function monitorUntil(
  options: MonitorOptions,
  io: CommandIo,
  run: { stopper: AbortController; setDashboard: (output: RefreshOutput) => void },
): Promise<number> {
  const { stopper } = run;
  const write = io.stdout;
  const warn = warnLine(io);
  const env = io.readEnv(monitorEnv(io.os));
  const stdoutIsTerminal = io.stdoutIsTerminal();
  const notes: string[] = [];
  const refresh = !options.scroll && stdoutIsTerminal && options.format === "text";
  // The dashboard's modules (its rows, the terminal, column widths) are imported when it is shown: a scroll run
  // has no use for them.
  let dashboardOutput: RefreshOutput | null = null;
  let scrollOutput: ScrollOutput | null = null;
  // Off the dashboard, notes go straight to stderr; on it they show in its status line as they come,
  // and are printed in full once the screen is restored.
  const note = (line: string) => {
    if (!refresh) return warn(line);
    notes.push(line);
    dashboardOutput?.note(line);
  };
  requireReportFiles(options, io);
  requireSyslogPermissions(options, io);
  const optionalReads = [
    ...(options.blocklist.length === 0 ? [DEFAULT_BLOCKLIST] : []),
    ...(options.envFile === undefined && options.reputation ? [".env"] : []),
  ];
  const leftOut = leftOutNote(env.denied, optionalReads.filter((path) => !io.mayRead(path)));
  if (leftOut !== null) note(leftOut);
  // Only for the ss collector this command makes (one the io brings, a test's scripted one, reads as it will).
  const sparse = io.collector === undefined && sparseCounters(options, refresh, io.os);
  const session = await openSession(
    sparse ? { ...options, finalCounters: true } : options,
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
        (options.format !== "text" && options.format !== "ndjson"),
      onNameAnswer: () => {
        if (dashboardOutput !== null) dashboardOutput.redrawSoon();
        else scrollOutput?.drain().catch(() => {});
      },
      alertsListed: ALERTS_LISTED,
    },
  );
  const { describe, names, watch } = session;
  // The shipped ips.txt template lists nothing: no need to say so on every run.
  const lists = session.threat.blocklists.loaded.filter((l) => l.entries > 0);
  if (lists.length > 0) {
    note(safeTerminalText(
      `note: block lists: ${
        lists.map((l) => `${l.path} (${l.entries === 1 ? "1 entry" : `${thousands(l.entries)} entries`})`)
          .join(", ")
      }`,
    ));
  }
  const keep = monitorFilter({
    filterLocal: options.filterLocal,
    hidden: await filterRanges(options.filterFile, { files: io.files, warn: warn }),
    process: options.process,
    port: options.port,
    outgoing: options.outgoing,
  });
  const githubActions = env.values.get("GITHUB_ACTIONS") === "true";
  const color = options.color && !env.values.has("NO_COLOR") && (refresh || stdoutIsTerminal);
  const stepSummary = githubActions ? env.values.get("GITHUB_STEP_SUMMARY") : undefined;
  // Destinations are tallied for the egress files alone (--report, --write-expect, the job summary): a run that
  // writes none keeps no table of them and does not go over each poll's events for it.
  const tally = options.report === undefined && options.writeExpect === undefined && !stepSummary
    ? null
    : new (await import("../monitor/egress_tally.ts")).EgressTally({
      describe: (ip) => session.geo.lookup?.describe(ip) ?? {},
      expect: options.expect ?? null,
    });
  const tracker = session.tracker({
    width: options.width,
    groupBy: options.groupBy,
    maxClosedRows: MAX_CLOSED_ROWS,
    timeUnitSeconds: options.timeUnit,
    traffic: options.traffic,
  });
  const stop = () => stopper.abort();
  let output: MonitorOutput;
  if (refresh) {
    const [{ Dashboard }, { RefreshOutput }, { Terminal }] = await Promise.all([
      import("../render/dashboard.ts"),
      import("../monitor/refresh_output.ts"),
      import("../render/terminal.ts"),
    ]);
    const dashboard = new Dashboard(tracker, {
      timeUnitSeconds: options.timeUnit,
      width: options.width,
      color,
      describe,
      rowNoun: rowNoun(options.groupBy),
      alertOf: (row) => (row.ip === null || row.listening ? null : watch.reasonFor(row.ip)),
      alertCount: () => session.alertCount,
      filterNames: filterNames(options),
      now: io.now,
    });
    const refreshOutput = new RefreshOutput(dashboard, new Terminal(io.terminal), stop);
    // What was said before the screen was there goes to its status line too.
    for (const line of notes) dashboard.note(line);
    output = dashboardOutput = refreshOutput;
    run.setDashboard(refreshOutput);
  } else {
    output = scrollOutput = new ScrollOutput({
      format: options.format,
      ...(session.context === undefined ? {} : { context: session.context }),
      color,
      describe,
      rowNoun: rowNoun(options.groupBy),
      githubActions,
      timeUnitSeconds: options.timeUnit,
      nameWaitMs: names === null ? 0 : NAME_WAIT_MS,
      namesIdle: names === null ? undefined : () => names?.idle() ?? Promise.resolve(),
      write: write,
      writeAside: warn,
      // A line's wait for its name is in the monitor's time, like its polls.
      nowMs: () => io.now().getTime(),
    });
  }

  await session.startKernelEvents(stopper.signal);
  const keys = new AbortController();
  let result;
  let unwatch = () => {};
  try {
    if (options.stopFile !== undefined) {
      unwatch = await watchStopFile(options.stopFile, {
        files: io.files,
        stop,
        onError: (error) => {
          note(`warning: --stop-file no longer watched: ${error instanceof Error ? error.message : error}`);
        },
      });
    }
    const shown = output;
    // The egress report hears every event the output does.
    const tallied: MonitorOutput = tally === null ? shown : {
      onPoll: (events, status, at, info) => {
        tally.record(events);
        tally.ownersLearned(tracker.ownersLearned().map((learned) => learned.connection));
        return shown.onPoll(events, status, at, info);
      },
      close: () => shown.close(),
    };
    if (dashboardOutput !== null) {
      const refreshOutput = dashboardOutput;
      refreshOutput.start();
      const { readKeys } = await import("../render/terminal.ts");
      readKeys(io.terminal, (key) => refreshOutput.onKey(key), keys.signal).catch(() => {});
    }
    result = await session.run(
      tracker,
      {
        timeUnitMs: options.timeUnit * 1000,
        count: options.count,
        durationMs: options.duration === undefined ? undefined : options.duration * 1000,
        keep,
        ...(sparse ? { countersEvery: COUNTERS_EVERY } : {}),
      },
      tallied,
      stopper.signal,
    );
  } finally {
    unwatch();
    keys.abort();
    await session.close(output);
    for (const line of notes) warn(line);
  }
  return await reportMonitorRun({
    options,
    tracker,
    result,
    session,
    egress: tally === null ? null : (endedAt) => tally.summary(session.startedAt, endedAt),
    refresh,
  }, {
    files: io.files,
    now: io.now,
    write: write,
    warn: warn,
    stepSummary,
  });
}
