/**
 * What `conntrail monitor` says and writes once the run has stopped: the
 * summary line, the alerts, the timeline export (`-o`), the frequent-IP file,
 * where the log and history went, the egress files, and the exit code
 * `--fail-on` asks for.
 *
 * @module
 */
import type { EgressSummary } from "../model/egress.ts";
import type { MonitorRunResult } from "../monitor/run_monitor.ts";
import type { Tracker } from "../monitor/tracker.ts";
import { bytesText } from "../render/byte_units.ts";
import { secondsText } from "../render/elapsed_text.ts";
import { alertText } from "../render/event_line.ts";
import type { Files, Platform } from "../platform/platform.ts";
import { PermissionError } from "../model/errors.ts";
import { userFiles } from "../platform/user_files.ts";
import type { MonitorOptions } from "./parse_args.ts";
import type { ListedAlert, Session } from "./session.ts";

/** Alerts the exit summary lists in full. */
export const ALERTS_LISTED = 20;

const ROW_NOUNS = { ip: "IPs", process: "processes", connection: "connections" } as const;

/** What a row of this grouping is called in counts: IPs, processes, connections. */
export function rowNoun(groupBy: MonitorOptions["groupBy"]): string {
  return ROW_NOUNS[groupBy];
}

function summary(options: MonitorOptions, tracker: Tracker, result: MonitorRunResult): string {
  const noun = ROW_NOUNS[options.groupBy];
  const times = result.pollTimes;
  return `conntrail: ${result.polls} polls over ${Math.round(result.runtimeMs / 1000)}s ` +
    `(time unit ${options.timeUnit}s, ${tracker.totalColumns} columns) | ${tracker.uniqueRowCount} unique ${noun}, ` +
    `${tracker.activeRowCount} active at the end | ${tracker.openConnectionCount} connections open` +
    (tracker.traffic === null
      ? ""
      : ` | sent ${bytesText(tracker.traffic.machine.sent)}, received ${
        bytesText(tracker.traffic.machine.received)
      }`) +
    (result.failedPolls > 0 ? ` | ${result.failedPolls} polls failed` : "") +
    (times.overran > 0
      ? ` | Interval: ${options.timeUnit}s (polls took ${secondsText(times.meanMs / 1000)} on average, ` +
        `up to ${
          secondsText(times.maxMs / 1000)
        }; ${times.overran} of ${times.count} longer than the interval)`
      : "") +
    (result.alerts > 0 ? ` | ${result.alerts} alert${result.alerts === 1 ? "" : "s"}` : "");
}

/** The exit summary's list of alerts: the first ones in full, then how many more. */
export function alertList(alerts: readonly ListedAlert[], total: number) {
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
  io: {
    files: Files;
    report: (line: string) => Promise<void> | void;
    warn: (line: string) => void;
    stepSummary?: string;
  },
): Promise<void> {
  // The files' renderers are imported by the runs that write them.
  const markdown = options.report !== undefined || io.stepSummary
    ? (await import("../render/egress_report.ts")).renderEgressReport(egress)
    : "";
  if (options.report !== undefined) {
    await userFiles(io.files).writeUserFile(options.report, markdown);
    await io.report(`report written to ${options.report}`);
  }
  if (io.stepSummary) {
    try {
      await userFiles(io.files).writeUserFile(io.stepSummary, markdown + "\n", { append: true });
    } catch (error) {
      io.warn(`warning: job summary not written: ${error instanceof Error ? error.message : error}`);
    }
  }
  if (options.writeExpect !== undefined) {
    const { renderExpectList } = await import("../render/expect_list.ts");
    await userFiles(io.files).writeUserFile(options.writeExpect, renderExpectList(egress.destinations));
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

/** A finished monitor run, as the report reads it. */
export interface FinishedRun {
  options: MonitorOptions;
  tracker: Tracker;
  result: MonitorRunResult;
  session: Session;
  /**
   * The egress summary, given when the run ended; null when the run writes no egress file (no `--report`,
   * `--write-expect` nor job summary), and tallied none.
   */
  egress: ((endedAt: Date) => EgressSummary) | null;
  /** The dashboard was shown (it suggests `-o` when no export was asked for). */
  refresh: boolean;
}

/** Where the report goes. */
export interface MonitorReportIo {
  /** Where the report, expect list, step summary and export are written. */
  files: Files;
  now: () => Date;
  write: (text: string) => Promise<void>;
  warn: (line: string) => void;
  /** `GITHUB_STEP_SUMMARY` when running in GitHub Actions. */
  stepSummary: string | undefined;
}

/**
 * Check, before the run, that every file the report will write may be written
 * (`-o`, `--report`, `--write-expect`, and the frequent-IP file of
 * `--save-threshold` in the working directory): one sentence naming the flag
 * ends the run at once instead of after it.
 */
export function requireReportFiles(
  options: Pick<MonitorOptions, "output" | "report" | "writeExpect" | "saveThreshold">,
  machine: Pick<Platform, "mayWrite">,
): void {
  const paths = [
    options.output,
    options.report,
    options.writeExpect,
    options.saveThreshold === undefined ? undefined : ".",
  ];
  for (const path of paths) {
    if (path !== undefined && !machine.mayWrite(path)) {
      const flag = `--allow-write=${path}`;
      throw new PermissionError(`cannot write "${path}": permission denied; run with ${flag}`, flag);
    }
  }
}

/**
 * Say how the run went and write the files it was asked for; returns the exit
 * code (3 when a `--fail-on` condition was met). With an event format on
 * stdout, the report goes to stderr.
 */
export async function reportMonitorRun(run: FinishedRun, io: MonitorReportIo): Promise<number> {
  const { options, tracker, result, session } = run;
  const report = options.format !== "text" ? io.warn : (line: string) => io.write(line + "\n");
  await report(summary(options, tracker, result));
  for (const line of session.syslog?.summary() ?? []) await report(`conntrail: ${line}`);
  for (const line of alertList(session.alertsListed, session.alertCount)) await report(line);
  const endedAt = io.now();
  if (options.output !== undefined) {
    const { renderTimelineExport } = await import("../render/timeline_export.ts");
    await userFiles(io.files).writeUserFile(
      options.output,
      renderTimelineExport(tracker, {
        generated: endedAt,
        timeUnitSeconds: options.timeUnit,
        groupBy: options.groupBy,
        describe: session.describe,
        attribution: session.geo.attribution,
      }),
    );
    await report(`timeline written to ${options.output}`);
  } else if (run.refresh) {
    await report("(run with -o FILE to save the timeline on exit)");
  }
  if (options.saveThreshold !== undefined) {
    const { frequentIpsFile } = await import("../render/frequent_ips.ts");
    const file = frequentIpsFile(tracker, options.saveThreshold, options.timeUnit, endedAt);
    await userFiles(io.files).writeUserFile(file.name, file.text, { flagPath: "." });
    await report(
      `${file.count} IPs present at least ${options.saveThreshold}% of the time written to ${file.name}`,
    );
  }
  const { log, recorder } = session;
  if (log !== null) await report(`log: ${log.paths.join(", ")} (${log.written} records)`);
  if (recorder !== null) await report(`history: ${recorder.location} (${recorder.written} events recorded)`);
  if (run.egress !== null) {
    await writeEgressFiles(run.egress(endedAt), options, {
      files: io.files,
      report,
      warn: io.warn,
      stepSummary: io.stepSummary,
    });
  }
  const met = options.failOn.filter((condition) => session.watch.met.has(condition));
  if (met.length > 0) {
    io.warn(
      `conntrail: --fail-on ${met.join(", ")}: ${result.alerts} ${
        result.alerts === 1 ? "alert" : "alerts"
      }; exit code 3`,
    );
    return 3;
  }
  return 0;
}
