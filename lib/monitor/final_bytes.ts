import type { FinalCountersSource } from "../collect/final_counters.ts";
import type { ByteCounts } from "../model/byte_counters.ts";
import { connectionKey } from "../model/connection_key.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import { LINGERING_STATUSES } from "../model/status.ts";
import type { TrafficLedger } from "../model/traffic_ledger.ts";

/**
 * Final counters already added to a ledger: a source gives the same object again to a later event of the same
 * connection (held), which repeats them but must not count them twice.
 */
const COUNTED = new WeakSet<ByteCounts>();

/**
 * Give a poll's closing TCP events the counters the kernel reported as each
 * socket was destroyed (`ss -E`), instead of the last reading of them: exact at
 * the close, where a reading is up to a poll old (or, with counters read every
 * few polls, several). Closing is what history and the scroll line treat so: a
 * connection entering TIME_WAIT (`STATE`, or `NEW` for one that opened and
 * closed between two polls), and one that left the live states without it
 * (`CLOSED`); and a `STATE` to FIN_WAIT_2 whose socket has ended (its program
 * closed it and its FIN was acknowledged: the kernel goes on with a small
 * timewait record, listed as FIN_WAIT_2 until the peer's FIN). A later event of
 * the connection (its TIME_WAIT, its CLOSED when that goes) repeats the counters
 * an earlier one took (they are held until then).
 *
 * The kernel reports a destroy a moment after the poll may read its result
 * (the kernel queues the report; ss -E and this process read it in their
 * turn): the poll waits for counters not heard yet, at most `waitMs`. Only
 * counters heard at or after `since` (the previous poll's start, ms by the
 * source's clock, which never steps) are this connection's: an older report
 * of the same addresses and ports is an earlier connection's. One not heard
 * by then keeps the last reading, as without ss -E:
 * a socket this host aborted (SO_LINGER 0) is reported with its addresses
 * cleared and is never matched. A connection listed live (`NEW`, a `STATE`
 * not closing) makes the source forget what it held for its key: that is an
 * earlier connection's, whose TIME_WAIT the kernel gave to this one (a reused
 * four-tuple).
 *
 * With a `ledger` (`--traffic`), what a closing connection moved after its
 * last reading is counted too (the machine's, its process's and its remote
 * address's meters, in this poll): the status line's totals and rate then hold
 * every byte to each connection's end, also of one that lived between two
 * readings of the counters.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { addFinalCounters } from "./final_bytes.ts";
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const,
 *   pid: 42, process_name: "curl", process_path: null, user: null, bytes_sent: 1000, bytes_received: 0 };
 * const heard = new Map([["TCP 10.0.0.2 5000 8.8.8.8 443", { sent: 4096, received: 300 }]]);
 * const source = { running: true, skipped: 0, waitFor: () => Promise.resolve(), takeNotes: () => [], close: () => Promise.resolve(),
 *   take: (key: string) => heard.get(key) };
 * const events = [{ event: "CLOSED" as const, connection: c }];
 * await addFinalCounters(events, source, 0);
 * deepStrictEqual([events[0]?.connection.bytes_sent, events[0]?.connection.bytes_received], [4096, 300]);
 * ```
 */
export async function addFinalCounters(
  events: ConnectionEvent[],
  source: FinalCountersSource,
  waitMs: number,
  ledger: TrafficLedger | null = null,
  since = -Infinity,
): Promise<void> {
  /** The events that close a connection, or may. */
  let closing: Closing[] | null = null;
  /** Keys of connections seen live: what is held for them is an earlier connection's (forgotten after the takes). */
  let live: string[] | null = null;
  for (const event of events) {
    const c = event.connection;
    if (c.protocol !== "TCP" || c.remote_ip === null) continue;
    const lingers = LINGERING_STATUSES.has(c.status);
    const kind = event.event;
    const key = connectionKey(c);
    if (kind === "CLOSED") {
      // From TIME_WAIT it takes only what its TIME_WAIT event held; else what came since the poll before.
      (closing ??= []).push({ event, key, hold: false, wait: !lingers, from: lingers ? Infinity : since });
    } else if (lingers && (kind === "STATE" || kind === "NEW")) {
      // Entering TIME_WAIT from FIN_WAIT_2: the socket may have ended polls ago, when its own FIN was
      // acknowledged after its program closed it (a timewait record goes on as FIN_WAIT_2).
      const from = event.previous_status === "FIN_WAIT_2" ? -Infinity : since;
      (closing ??= []).push({ event, key, hold: true, wait: true, from });
    } else if (kind === "STATE" && c.status === "FIN_WAIT_2") {
      // A socket closed by its program ends once its FIN is acknowledged: if it did since the poll before, these
      // are its final counters, held for its TIME_WAIT. One only shut down goes on: nothing to wait for.
      // Out of TIME_WAIT (which never goes to another state) it is a new connection on the four-tuple: what
      // is held is the earlier one's. The tracker ends that one instead (CLOSED, then NEW): a defence.
      const fresh = event.previous_status === "TIME_WAIT";
      (closing ??= []).push({ event, key, hold: true, wait: false, from: since, fresh });
    } else if (kind === "NEW" || kind === "STATE") {
      (live ??= []).push(key);
    }
  }
  if (closing !== null) await takeFinal(closing, source, waitMs, ledger, since);
  // After the takes: this poll's CLOSED of the earlier connection (from its TIME_WAIT) takes what it held.
  if (live !== null && source.forgetHeld !== undefined) { for (const key of live) source.forgetHeld(key); }
}

/** An event that closes a connection, or may (see {@linkcode addFinalCounters}). */
interface Closing {
  event: ConnectionEvent;
  key: string;
  /** Whether the counters are held for a later event of the connection. */
  hold: boolean;
  /** Whether the poll waits for them. */
  wait: boolean;
  /** From when (the clock's ms) a report is this connection's. */
  from: number;
  /** A new connection on a four-tuple held for an earlier one: what is held is forgotten first. */
  fresh?: boolean;
}

/** The closing events' final counters, from `source` (see {@linkcode addFinalCounters}). */
async function takeFinal(
  closing: Closing[],
  source: FinalCountersSource,
  waitMs: number,
  ledger: TrafficLedger | null,
  since: number,
): Promise<void> {
  const awaited = (from: number) =>
    closing.filter((one) => one.wait && one.from === from).map((one) => one.key);
  const froms = since === -Infinity ? [since] : [since, -Infinity];
  const waits = froms.map((from) => [from, awaited(from)] as const).map(([from, keys]) =>
    keys.length === 0 ? Promise.resolve() : source.waitFor(keys, waitMs, from)
  );
  await Promise.all(waits);
  for (const { event, key, hold, from, fresh } of closing) {
    if (fresh === true) source.forgetHeld?.(key);
    const counters = source.take(key, hold, from);
    if (counters === undefined) continue;
    const last = event.connection;
    event.connection = { ...last, bytes_sent: counters.sent, bytes_received: counters.received };
    // Counted once: a later event that takes the same held counters repeats them.
    if (ledger === null || COUNTED.has(counters)) continue;
    COUNTED.add(counters);
    const read = { sent: last.bytes_sent ?? null, received: last.bytes_received ?? null };
    // A reading can be above the final counters by the peer's FIN (a reading in CLOSE_WAIT counts it, a socket
    // that ended before it came does not): never less than read.
    ledger.observe(read, {
      ...event.connection,
      bytes_sent: Math.max(counters.sent, read.sent ?? 0),
      bytes_received: Math.max(counters.received, read.received ?? 0),
    }, null);
  }
}
