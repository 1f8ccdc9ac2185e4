/**
 * A syslog receiver as a sink for messages: a bounded queue in memory, one
 * writer that connects, reconnects with backoff and sends in batches, and
 * counts of what was sent and dropped. Sending never waits for the network,
 * so a slow or absent receiver never delays a poll.
 *
 * @module
 */
import { isSystemError } from "../model/errors.ts";
import { netPermissionHost, type SyslogTarget } from "../parse/syslog_url.ts";
import { timerDelay } from "../model/timer_delay.ts";
import { octetCounted } from "./syslog_frame.ts";
import type { SyslogConnection, SyslogConnector } from "./syslog_transport.ts";
import { thousands } from "../model/thousands.ts";
import { concatBytes } from "../model/concat_bytes.ts";

/** Messages kept per receiver while it is away or slow; newer ones are dropped past this. */
export const SYSLOG_QUEUE_LIMIT = 10_000;
/** And at most this many bytes of them (records are about 1 KB; a long process path makes one longer). */
export const SYSLOG_QUEUE_BYTES = 32 * 1024 * 1024;
/** The largest UDP payload over IPv4; a bigger message cannot be sent as one datagram. */
const MAX_DATAGRAM = 65_507;
/** Bytes written to a stream at once. */
const MAX_BATCH_BYTES = 256 * 1024;

/** Options of a {@linkcode SyslogSink}. */
export interface SyslogSinkOptions {
  /** Where warnings and notes go (stderr, or after the dashboard). */
  note: (line: string) => void;
  /** Messages kept while the receiver is away (default {@linkcode SYSLOG_QUEUE_LIMIT}). */
  maxQueued?: number;
  /** Bytes kept while the receiver is away (default {@linkcode SYSLOG_QUEUE_BYTES}). */
  maxQueuedBytes?: number;
  /** How receivers are reached: `syslogConnector(platform.network)`, or a test's. */
  connect: SyslogConnector;
  /** Reconnect delays: the first, doubling up to the last (default 250 ms to 30 s), with jitter. */
  backoff?: { firstMs: number; maxMs: number };
}

/** What a sink did. */
export interface SyslogStats {
  sent: number;
  /** Past the queue's bound, too large for a datagram, or still queued when the run ended. */
  dropped: number;
  queued: number;
}

const encoder = new TextEncoder();

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One receiver, its queue and its connection. */
export class SyslogSink {
  readonly target: SyslogTarget;
  readonly #note: (line: string) => void;
  readonly #maxQueued: number;
  readonly #maxQueuedBytes: number;
  readonly #connect: SyslogConnector;
  readonly #backoff: { firstMs: number; maxMs: number };
  #queue: Uint8Array[] = [];
  #head = 0;
  #queuedBytes = 0;
  #connection: SyslogConnection | null = null;
  #pumping = false;
  #closing = false;
  #disabled = false;
  #sent = 0;
  #dropped = 0;
  /** True while the receiver is away (said once per outage). */
  #away = false;
  /** Drops counted when the receiver was last reached, so reconnecting can say how many were lost. */
  #droppedWhenReached = 0;
  /** True once a full queue was reported, until the queue empties. */
  #warnedFull = false;
  #wake: (() => void) | null = null;
  #idle: (() => void) | null = null;

  constructor(target: SyslogTarget, options: SyslogSinkOptions) {
    this.target = target;
    this.#note = options.note;
    this.#maxQueued = options.maxQueued ?? SYSLOG_QUEUE_LIMIT;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? SYSLOG_QUEUE_BYTES;
    this.#connect = options.connect;
    this.#backoff = options.backoff ?? { firstMs: 250, maxMs: 30_000 };
  }

  /** Messages waiting to be sent. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** What was sent and dropped so far. */
  get stats(): SyslogStats {
    return { sent: this.#sent, dropped: this.#dropped, queued: this.queued };
  }

  /** Queue one message (an RFC 5424 line) and return at once; it is dropped and counted when the queue is full. */
  send(message: string): void {
    if (this.#closing || this.#disabled) {
      this.#dropped++;
      return;
    }
    const frame = this.target.transport === "udp" ? encoder.encode(message) : octetCounted(message);
    if (frame.length > MAX_DATAGRAM && this.target.transport === "udp") {
      this.#dropped++;
      return;
    }
    if (this.queued >= this.#maxQueued || this.#queuedBytes + frame.length > this.#maxQueuedBytes) {
      this.#dropped++;
      if (!this.#warnedFull) {
        this.#warnedFull = true;
        this.#note(
          `warning: syslog ${this.target.url}: ${thousands(this.queued)} events ` +
            `(${(this.#queuedBytes / 1024 / 1024).toFixed(1)} MiB) are waiting; ` +
            "newer ones are dropped (and counted) until the receiver takes them",
        );
      }
      return;
    }
    this.#queuedBytes += frame.length;
    this.#queue.push(frame);
    if (!this.#pumping) this.#pump();
  }

  /**
   * Stop taking messages and send what is queued, for at most `graceMs`;
   * what is left then counts as dropped.
   */
  async close(graceMs = 5000): Promise<SyslogStats> {
    this.#closing = true;
    this.#wake?.();
    if (this.queued > 0 && !this.#disabled) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.#idle = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timerDelay(graceMs)))),
      ]);
      clearTimeout(timer);
    }
    this.#disabled = true;
    this.#wake?.();
    this.#connection?.close();
    this.#connection = null;
    const left = this.queued;
    this.#dropped += left;
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    return { sent: this.#sent, dropped: this.#dropped, queued: 0 };
  }

  #take(): Uint8Array[] {
    if (this.target.transport === "udp") return this.#queue.slice(this.#head, this.#head + 1);
    const batch: Uint8Array[] = [];
    let bytes = 0;
    for (let i = this.#head; i < this.#queue.length && bytes < MAX_BATCH_BYTES; i++) {
      const frame = this.#queue[i];
      if (frame === undefined) break;
      batch.push(frame);
      bytes += frame.length;
    }
    return batch;
  }

  #shift(count: number): void {
    for (let i = this.#head; i < this.#head + count; i++) this.#queuedBytes -= this.#queue[i]?.length ?? 0;
    this.#head += count;
    this.#sent += count;
    if (this.queued === 0) this.#warnedFull = false;
    // Compact now and then rather than shifting the array for every message.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #lost(why: string, wasConnected: boolean): void {
    if (this.#away) return;
    this.#away = true;
    this.#note(
      `warning: syslog ${this.target.url}: ${
        wasConnected ? "connection lost" : "cannot connect"
      } (${why}); ` +
        `reconnecting with backoff, keeping up to ${thousands(this.#maxQueued)} events`,
    );
  }

  #back(): void {
    const dropped = this.#dropped - this.#droppedWhenReached;
    this.#droppedWhenReached = this.#dropped;
    if (!this.#away) return;
    this.#away = false;
    this.#note(
      `note: syslog ${this.target.url}: connected again; ${thousands(this.queued)} events were waiting` +
        (dropped > 0 ? `, ${thousands(dropped)} were dropped` : ""),
    );
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timerDelay(ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    let delay = this.#backoff.firstMs;
    try {
      while (this.queued > 0 && !this.#disabled) {
        let connection = this.#connection;
        if (connection !== null && connection.broken !== null) {
          this.#lost(connection.broken, true);
          connection.close();
          connection = this.#connection = null;
        }
        if (connection === null) {
          try {
            const opened = connection = this.#connection = await this.#connect(this.target);
            opened.ended.then((why) => {
              if (this.#connection === opened && !this.#disabled) this.#lost(why, true);
            });
            this.#back();
            delay = this.#backoff.firstMs;
          } catch (error) {
            if (isSystemError(error, "NotCapable")) {
              this.#disabled = true;
              this.#note(
                `error: cannot send to syslog ${this.target.url}: permission denied; run with ` +
                  `--allow-net=${netPermissionHost(this.target)}`,
              );
              break;
            }
            this.#lost(reason(error), false);
            if (this.#closing) break;
            await this.#sleep(delay * (0.5 + Math.random() / 2));
            delay = Math.min(delay * 2, this.#backoff.maxMs);
            continue;
          }
        }
        const batch = this.#take();
        const bytes = batch.length === 1 ? batch[0] as Uint8Array : concatBytes(batch);
        try {
          await connection.write(bytes);
          this.#shift(batch.length);
        } catch (error) {
          connection.close();
          this.#connection = null;
          if (this.#disabled) break;
          this.#lost(reason(error), true);
        }
      }
    } finally {
      this.#pumping = false;
      if (this.queued === 0 || this.#disabled || this.#closing) this.#idle?.();
    }
  }
}
