import type { FinalCountersSource } from "../collect/final_counters.ts";
import { connectionKey } from "../model/connection_key.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import { LINGERING_STATUSES } from "../model/status.ts";
import type { TrafficLedger } from "../model/traffic_ledger.ts";

/**
 * Give a poll's closing TCP events the counters the kernel reported as each
 * socket was destroyed (`ss -E`), instead of the last reading of them: exact at
 * the close, where a reading is up to a poll old (or, with counters read every
 * few polls, several). Closing is what history and the scroll line treat so: a
 * connection entering TIME_WAIT (`STATE`, or `NEW` for one that opened and
 * closed between two polls), and one that left the live states without it
 * (`CLOSED`). A connection's CLOSED when its TIME_WAIT socket goes repeats the
 * counters its TIME_WAIT event took (they are held until then).
 *
 * The kernel reports a destroy a moment after the poll may read its result
 * (the kernel queues the report; ss -E and this process read it in their
 * turn): the poll waits for counters not heard yet, at most `waitMs`. Only
 * counters heard at or after `since` (the previous poll's start, ms) are this
 * connection's: an older report of the same addresses and ports is an earlier
 * connection's. One not heard by then keeps the last reading, as without ss -E:
 * a socket this host aborted (SO_LINGER 0) is reported with its addresses
 * cleared and is never matched.
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
  /** The events that close a connection: whether it lingers on (its counters are held for its CLOSED). */
  let closing: { event: ConnectionEvent; key: string; lingers: boolean; wait: boolean }[] | null = null;
  for (const event of events) {
    const c = event.connection;
    if (c.protocol !== "TCP" || c.remote_ip === null) continue;
    const lingers = LINGERING_STATUSES.has(c.status);
    const kind = event.event;
    // Entering TIME_WAIT, or leaving the live states without it; a CLOSED from TIME_WAIT takes what was held.
    if (kind === "CLOSED" || (lingers && (kind === "STATE" || kind === "NEW"))) {
      (closing ??= []).push({
        event,
        key: connectionKey(c),
        lingers: kind !== "CLOSED",
        wait: !lingers || kind !== "CLOSED",
      });
    }
  }
  if (closing === null) return;
  const awaited = closing.filter((one) => one.wait).map((one) => one.key);
  if (awaited.length > 0) await source.waitFor(awaited, waitMs, since);
  for (const { event, key, lingers, wait } of closing) {
    // A CLOSED from TIME_WAIT takes only what its TIME_WAIT event held.
    const counters = source.take(key, lingers, wait ? since : Infinity);
    if (counters === undefined) continue;
    const last = event.connection;
    event.connection = { ...last, bytes_sent: counters.sent, bytes_received: counters.received };
    // Counted once: a CLOSED from TIME_WAIT (no wait) repeats what its TIME_WAIT event counted.
    if (ledger === null || !wait) continue;
    const read = { sent: last.bytes_sent ?? null, received: last.bytes_received ?? null };
    // A reading after the peer's FIN (CLOSE_WAIT) counted it; the final counters do not: never less than read.
    ledger.observe(read, {
      ...event.connection,
      bytes_sent: Math.max(counters.sent, read.sent ?? 0),
      bytes_received: Math.max(counters.received, read.received ?? 0),
    }, null);
  }
}
