import type { DescribeAddress } from "../model/address_info.ts";
import type { Connection } from "../model/connection.ts";
import { rowAddress } from "../model/direction.ts";
import { timerDelay } from "../model/timer_delay.ts";
import type { ConnectionEvent, StatusEvent } from "../model/monitor_event.ts";
import { eventLine, statusLine } from "../render/event_line.ts";
import { alertAnnotation, GITHUB_END_GROUP, githubGroup } from "../render/github_commands.ts";
import { type EventFormat, eventRecord, type RecordContext } from "../render/event_record.ts";
import type { MonitorOutput } from "./monitor_output.ts";
import { thousands } from "../model/thousands.ts";

/** Options of a {@linkcode ScrollOutput}. */
export interface ScrollOutputOptions {
  /** Text lines, or one JSON object a line: conntrail's NDJSON, ECS or OCSF. */
  format: "text" | EventFormat;
  /** The host and product ECS and OCSF records name. */
  context?: RecordContext;
  color: boolean;
  describe: DescribeAddress;
  /** What a row is, for the status line: `IPs`, `processes`, `connections`. */
  rowNoun: string;
  /**
   * Under GitHub Actions the connections open at start are folded into one
   * group, and alerts are also printed as annotations.
   */
  githubActions: boolean;
  /** The name the program asked for, when known: annotations name it. */
  domainOf?: (connection: Connection) => string | null | undefined;
  /** The time unit, for the status line to say when polls take longer. */
  timeUnitSeconds?: number;
  /**
   * How long a line may wait for its address's name (0 when names are off).
   * The poll loop never waits: lines queue, in order, and go out when the name
   * arrives or the time is up.
   */
  nameWaitMs: number;
  /** Resolves once no name query is pending, for the end of the run. */
  namesIdle?: () => Promise<void>;
  write(text: string): Promise<void>;
  /** Where workflow commands go when stdout carries NDJSON: one line, without its line break. */
  writeAside(line: string): void;
  nowMs?: () => number;
}

/** Lines rendered and written at a time. */
const WRITE_CHUNK = 1000;

const UNKNOWN_CONTEXT: RecordContext = {
  host: { hostname: null, os: "unknown", arch: "unknown" },
  product: { name: "conntrail", version: "unknown" },
};

interface Pending {
  /** An event, or a line of its own (a group's start or end). */
  event: ConnectionEvent | StatusEvent | string;
  at: Date;
  ip: string | null;
  deadline: number;
}

function eventIp(event: ConnectionEvent | StatusEvent | string): string | null {
  if (typeof event === "string" || event.event === "STATUS") return null;
  return rowAddress(event.connection);
}

/** Scroll mode: one line (or one NDJSON object) per event, in the order they happened. */
export class ScrollOutput implements MonitorOutput {
  readonly #options: ScrollOutputOptions;
  readonly #nowMs: () => number;
  #queue: Pending[] = [];
  #writing: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #polls = 0;

  constructor(options: ScrollOutputOptions) {
    this.#options = options;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  onPoll(events: readonly ConnectionEvent[], status: StatusEvent | null, at: Date): Promise<void> {
    const deadline = this.#nowMs() + this.#options.nameWaitMs;
    const push = (event: Pending["event"]) => {
      const ip = eventIp(event);
      // Looking the name up now starts its query.
      if (ip !== null) this.#options.describe(ip);
      this.#queue.push({ event, at, ip, deadline });
    };
    const first = this.#polls++ === 0;
    if (first && this.#options.githubActions && this.#options.format === "text") {
      // The job log folds what was open before the run; alerts about it stay outside, in view.
      const opened = events.filter((e) => e.event !== "ALERT");
      push(githubGroup(`conntrail: ${thousands(opened.length)} connections open at start`));
      opened.forEach(push);
      push(GITHUB_END_GROUP);
      events.filter((e) => e.event === "ALERT").forEach(push);
    } else {
      events.forEach(push);
    }
    if (status !== null) push(status);
    return this.drain();
  }

  /** Write the lines at the head of the queue whose name is known or whose wait is over. */
  drain(force = false): Promise<void> {
    const now = this.#nowMs();
    let ready = 0;
    for (const item of this.#queue) {
      const known = item.ip === null || this.#options.nameWaitMs === 0 ||
        this.#options.describe(item.ip).hostname !== undefined;
      if (!force && !known && item.deadline > now) break;
      ready++;
    }
    const items = this.#queue.splice(0, ready);
    this.#schedule();
    if (items.length === 0) return this.#writing;
    // The first poll at 10,000 connections makes 21,000 lines: they are rendered and written a chunk at a time
    // (a later chunk when the one before is written), not held as one text of several MiB besides its lines.
    const text = this.#renderChunk(items, 0);
    this.#writing = this.#writing.then(async () => {
      await this.#options.write(text);
      for (let from = WRITE_CHUNK; from < items.length; from += WRITE_CHUNK) {
        await this.#options.write(this.#renderChunk(items, from));
      }
    });
    return this.#writing;
  }

  #renderChunk(items: readonly Pending[], from: number): string {
    let text = "";
    for (let i = from; i < items.length && i < from + WRITE_CHUNK; i++) text += this.#render(items[i]!);
    return text;
  }

  #schedule(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const head = this.#queue[0];
    if (head === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.drain().catch(() => {});
    }, timerDelay(head.deadline - this.#nowMs()));
  }

  #render(item: Pending): string {
    const { event, at } = item;
    const { format, describe } = this.#options;
    if (typeof event === "string") return event + "\n";
    const info = item.ip === null ? {} : describe(item.ip);
    let text: string;
    if (format === "text") {
      text = (event.event === "STATUS"
        ? statusLine(event, this.#options.rowNoun, at, this.#options.timeUnitSeconds)
        : eventLine(event, info, at, this.#options.color)) + "\n";
    } else {
      // ECS and OCSF have no record for the STATUS summary.
      const record = eventRecord(event, info, { format, context: this.#options.context ?? UNKNOWN_CONTEXT });
      text = record === null ? "" : record + "\n";
    }
    if (event.event === "ALERT" && this.#options.githubActions) {
      const command = alertAnnotation(event, this.#options.domainOf?.(event.connection));
      if (format === "text") text += command + "\n";
      else this.#options.writeAside(command);
    }
    return text;
  }

  async close(): Promise<void> {
    if (this.#queue.length > 0 && this.#options.namesIdle !== undefined) {
      const latest = this.#queue.reduce((max, item) => Math.max(max, item.deadline), 0);
      const wait = timerDelay(latest - this.#nowMs());
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#options.namesIdle(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timerDelay(wait)))),
      ]);
      clearTimeout(timer);
    }
    await this.drain(true);
    if (this.#timer !== null) clearTimeout(this.#timer);
  }
}
