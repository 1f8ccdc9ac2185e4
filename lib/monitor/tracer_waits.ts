/**
 * What the tracker holds back for a tracer's report (`--trace`), a few seconds at most: a connection a poll lists
 * without its process (its `NEW` waits for the report that names it), and a lingering socket (TIME_WAIT) the
 * tracer has not reported closing yet (not news until the report, with the process, arrives, or the wait ends).
 */
import type { Connection } from "../model/connection.ts";

/** How long a connection waits for a tracer's report before it is reported as polling alone would. */
export const CONFIRM_MS = 3_000;

/**
 * A connection a poll listed without its process, with a tracer running, before the tracer reported it: it
 * opened a moment before the poll (the newest reports are held back a little, to be put in order) and its
 * descriptor was closed before the walk for its process.
 */
export interface AwaitedOwner {
  /** When it was first seen (ms). */
  readonly since: number;
  /** As the latest poll that listed it saw it. */
  connection: Connection;
  /** The poll that last listed it. */
  poll: number;
  /** When the first poll that did not list it ran (ms); null while listed. */
  goneAt: number | null;
}

/**
 * The connections and lingering sockets waiting for a tracer's report, by connection key.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { TracerWaits } from "./tracer_waits.ts";
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const,
 *   pid: null, process_name: null, process_path: null, user: null };
 * const waits = new TracerWaits();
 * deepStrictEqual(waits.awaitOwner("k", c, 0, 1000, 1), true); // its NEW waits for the report
 * const expired: string[] = [];
 * waits.sweep(2, 2000, (key) => expired.push(key)); // not listed by poll 2: gone at 2000, still waiting
 * waits.sweep(3, 4000, (key) => expired.push(key)); // waited 3 s in vain
 * deepStrictEqual(expired, ["k"]);
 * ```
 */
export class TracerWaits {
  /**
   * Whether the tracer has reported an open: bpftrace reports every TCP connect and accept, with its process;
   * `ss -E` (the fallback) only closes, and no connection waits for a report that never comes.
   */
  opensReported = false;
  /**
   * Connections a poll listed without their process that a tracer has not reported yet (see
   * {@linkcode AwaitedOwner}): their `NEW` waits for the report, which names the process.
   */
  #awaitingOwner = new Map<string, AwaitedOwner>();
  /** Lingering sockets a poll listed that a tracer has not reported yet, and since when. */
  #unconfirmed = new Map<string, number>();
  /** The lingering sockets the poll under way listed unconfirmed. */
  #unconfirmedNow = new Set<string>();

  /** A poll starts listing. */
  beginPoll(): void {
    this.#unconfirmedNow = new Set();
  }

  /**
   * Poll `round` lists a lingering socket the tracer has not reported closing: true while it waits for the
   * report (one that waited for its process while live has waited since then).
   */
  lingers(key: string, round: number, nowMs: number): boolean {
    const awaited = this.#awaitingOwner.size > 0 ? this.#awaitingOwner.get(key) : undefined;
    if (awaited !== undefined) awaited.poll = round;
    const since = this.#unconfirmed.get(key) ?? awaited?.since ?? nowMs;
    this.#unconfirmed.set(key, since);
    this.#unconfirmedNow.add(key);
    return nowMs - since < CONFIRM_MS;
  }

  /**
   * Poll `round` lists a live connection without its process (`polled`, first seen at `firstSeen` ms, if
   * before) that the tracer has not reported: true while its `NEW` waits for the report.
   */
  awaitOwner(
    key: string,
    polled: Connection,
    firstSeen: number | undefined,
    nowMs: number,
    round: number,
  ): boolean {
    const awaited = this.#awaitingOwner.get(key);
    if (awaited === undefined) {
      const since = Math.min(firstSeen ?? nowMs, nowMs);
      if (nowMs - since < CONFIRM_MS) {
        this.#awaitingOwner.set(key, { since, connection: polled, poll: round, goneAt: null });
        return true;
      }
    } else if (nowMs - awaited.since < CONFIRM_MS) {
      awaited.connection = polled;
      awaited.poll = round;
      awaited.goneAt = null;
      return true;
    }
    return false;
  }

  /** The connection under `key` opens: what waited for its owner, if it did (it waits no more). */
  take(key: string): AwaitedOwner | undefined {
    const awaited = this.#awaitingOwner.size > 0 ? this.#awaitingOwner.get(key) : undefined;
    if (awaited !== undefined) this.#awaitingOwner.delete(key);
    return awaited;
  }

  /**
   * The poll has listed every connection: a lingering socket it did not list unconfirmed, or that it lists
   * open (`listed`), waits no more.
   */
  endListing(listed: (key: string) => boolean): void {
    for (const key of this.#unconfirmed.keys()) {
      if (!this.#unconfirmedNow.has(key) || listed(key)) this.#unconfirmed.delete(key);
    }
  }

  /** The tracer has reported the connection under `key`: its report decides. */
  reported(key: string): void {
    if (this.#awaitingOwner.size > 0) this.#awaitingOwner.delete(key);
  }

  /** The connection under `key` has closed. */
  closed(key: string): void {
    this.#unconfirmed.delete(key);
  }

  /**
   * After poll `round`'s changes: one still listed waits on; one gone since waits for the report of its open and
   * close. Each that waited {@linkcode CONFIRM_MS} in vain (the tracer missed it) is handed to `inVain`.
   */
  sweep(round: number, nowMs: number, inVain: (key: string, awaited: AwaitedOwner) => void): void {
    if (this.#awaitingOwner.size === 0) return;
    this.#awaitingOwner.forEach((awaited, key) => {
      if (awaited.poll === round) return;
      awaited.goneAt ??= nowMs;
      if (nowMs - awaited.since < CONFIRM_MS) return;
      this.#awaitingOwner.delete(key);
      inVain(key, awaited);
    });
  }

  /** The run ends: every connection that waits for its owner is handed to `each`, and none waits any more. */
  drain(each: (key: string, awaited: AwaitedOwner) => void): void {
    this.#awaitingOwner.forEach((awaited, key) => each(key, awaited));
    this.#awaitingOwner.clear();
  }
}
