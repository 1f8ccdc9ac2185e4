/**
 * Server-Sent Events for every open page: each page first gets the whole
 * state, then every update. The number of pages is capped, and a page that
 * stops reading is dropped before its backlog grows past a bound.
 *
 * @module
 */
import { timerDelay } from "../model/timer_delay.ts";

/** Options of {@linkcode EventStream}. */
export interface EventStreamOptions {
  /** Pages connected at once; one more is answered 503. */
  maxClients: number;
  /** The first events each page gets: the whole picture, perhaps in parts. */
  initial: () => { event: string; data: unknown }[];
  /** A comment line this often keeps proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
  /**
   * Bytes queued for one page before it is dropped as too slow (default 32 MiB: the first events at
   * 20,000 connections are about 7 MiB, measured by bench/web_bench.ts).
   */
  maxBacklogBytes?: number;
}

const encoder = new TextEncoder();

/**
 * Data already written as JSON (the page's rows are serialised once, when
 * their connection appears, not for every page and event). `T` names what
 * the text parses to.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { RawJson, sseEvent } from "./event_stream.ts";
 * deepStrictEqual(sseEvent("rows", new RawJson('{"connections":[[1]]}')), 'event: rows\ndata: {"connections":[[1]]}\n\n');
 * ```
 */
export class RawJson<T = unknown> {
  readonly text: string;
  declare readonly parsed?: T;
  constructor(text: string) {
    this.text = text;
  }
}

/**
 * One event as SSE writes it. JSON never holds a raw line break, so the data
 * is one `data:` line whatever strings it carries.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { sseEvent } from "./event_stream.ts";
 * deepStrictEqual(sseEvent("update", { name: "a\nb" }), 'event: update\ndata: {"name":"a\\nb"}\n\n');
 * ```
 */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${data instanceof RawJson ? data.text : JSON.stringify(data)}\n\n`;
}

/** The pages listening for events, and what is sent to them. */
export class EventStream {
  readonly #options: EventStreamOptions;
  readonly #clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #dropped = 0;

  constructor(options: EventStreamOptions) {
    this.#options = options;
  }

  /** Pages connected now. */
  get size(): number {
    return this.#clients.size;
  }

  /** Pages dropped because they did not keep up. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * A stream for one more page, or null when the cap is reached. A page that
   * goes away cancels its stream, which frees its place.
   */
  open(): ReadableStream<Uint8Array> | null {
    if (this.#clients.size >= this.#options.maxClients) return null;
    let self: ReadableStreamDefaultController<Uint8Array> | null = null;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        self = controller;
        this.#clients.add(controller);
        controller.enqueue(encoder.encode("retry: 2000\n\n"));
        for (const first of this.#options.initial()) {
          controller.enqueue(encoder.encode(sseEvent(first.event, first.data)));
        }
        this.#startHeartbeat();
      },
      cancel: () => {
        if (self !== null) this.#remove(self);
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark: this.#options.maxBacklogBytes ?? 32 * 1024 * 1024 }));
    return stream;
  }

  /** Send one event to every page. */
  publish(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    this.#send(encoder.encode(sseEvent(event, data)));
  }

  #send(bytes: Uint8Array): void {
    for (const client of this.#clients) {
      if ((client.desiredSize ?? 0) <= 0) {
        this.#dropped++;
        this.#remove(client);
        try {
          client.error(new Error("the page stopped reading events"));
        } catch {
          // Already closed.
        }
        continue;
      }
      client.enqueue(bytes);
    }
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== null) return;
    this.#heartbeat = setInterval(
      () => this.#send(encoder.encode(": keep-alive\n\n")),
      timerDelay(this.#options.heartbeatMs ?? 15_000),
    );
  }

  #remove(client: ReadableStreamDefaultController<Uint8Array>): void {
    this.#clients.delete(client);
    if (this.#clients.size === 0 && this.#heartbeat !== null) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = null;
    }
  }

  /** End every stream (the server is stopping). */
  close(): void {
    for (const client of this.#clients) {
      try {
        client.close();
      } catch {
        // Already closed.
      }
    }
    this.#clients.clear();
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }
}
