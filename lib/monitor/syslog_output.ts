import type { DescribeAddress } from "../model/address_info.ts";
import { rowAddress } from "../model/direction.ts";
import type { ConnectionEvent, MonitorEvent, StatusEvent } from "../model/monitor_event.ts";
import { isoWithOffset } from "../model/timestamp.ts";
import { type EventFormat, eventRecord, type RecordContext } from "../render/event_record.ts";
import { SYSLOG_FACILITY_LOCAL0, SYSLOG_SEVERITY, syslogMessage } from "../render/syslog_message.ts";
import type { SyslogSink, SyslogStats } from "../store/syslog_sink.ts";
import type { MonitorOutput } from "./monitor_output.ts";
import { thousands } from "../model/thousands.ts";

/** Options of a {@linkcode SyslogOutput}. */
export interface SyslogOutputOptions {
  /** The JSON each message carries. */
  format: EventFormat;
  describe: DescribeAddress;
  context: RecordContext;
  /** This process's id, for the header's PROCID. */
  procId: number | null;
}

function severity(event: MonitorEvent): number {
  if (event.event !== "ALERT") return SYSLOG_SEVERITY.info;
  return event.severity === "warning" ? SYSLOG_SEVERITY.warning : SYSLOG_SEVERITY.error;
}

/**
 * Every event as one RFC 5424 message to each syslog receiver: app-name
 * `conntrail`, the event kind (`NEW`, `CLOSED`, `STATE`, `ALERT`, `STATUS`) as
 * MSGID, facility local0, severity info (alerts: warning or err), and the
 * event's JSON as the message. A poll only queues; it never waits for a
 * receiver. Names are what is known when the poll happens.
 */
export class SyslogOutput implements MonitorOutput {
  readonly #sinks: readonly SyslogSink[];
  readonly #options: SyslogOutputOptions;
  #stats: { url: string; stats: SyslogStats }[] | null = null;

  constructor(sinks: readonly SyslogSink[], options: SyslogOutputOptions) {
    this.#sinks = sinks;
    this.#options = options;
  }

  onPoll(events: readonly ConnectionEvent[], status: StatusEvent | null, at: Date): Promise<void> {
    const timestamp = isoWithOffset(at);
    const { format, describe, context, procId } = this.#options;
    const send = (event: MonitorEvent) => {
      const info = event.event === "STATUS" ? {} : describe(rowAddress(event.connection));
      const record = eventRecord(event, info, { format, context });
      if (record === null) return;
      const message = syslogMessage({
        facility: SYSLOG_FACILITY_LOCAL0,
        severity: severity(event),
        timestamp,
        hostname: context.host.hostname,
        appName: "conntrail",
        procId,
        msgId: event.event,
      }, record);
      for (const sink of this.#sinks) sink.send(message);
    };
    for (const event of events) send(event);
    if (status !== null) send(status);
    return Promise.resolve();
  }

  /** Send what is queued (each receiver gets a few seconds), then count what was left. */
  async close(): Promise<void> {
    if (this.#stats !== null) return;
    const stats = await Promise.all(this.#sinks.map((sink) => sink.close()));
    this.#stats = this.#sinks.map((sink, i) => ({ url: sink.target.url, stats: stats[i] as SyslogStats }));
  }

  /** One line per receiver for the end of the run: `syslog tcp://…: 120 events sent, 0 dropped`. */
  summary(): string[] {
    return (this.#stats ?? this.#sinks.map((sink) => ({ url: sink.target.url, stats: sink.stats }))).map(
      ({ url, stats }) =>
        `syslog ${url}: ${thousands(stats.sent)} events sent, ${thousands(stats.dropped)} dropped`,
    );
  }
}
