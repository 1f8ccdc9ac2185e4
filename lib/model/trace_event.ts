import type { Direction, Socket } from "./connection.ts";

/**
 * One kernel event about a connection, from a tracer (`bpftrace`) or from
 * socket-destroy notifications (`ss -E`): it opened (a connect, an accept, the
 * first send of a UDP flow) or it closed.
 */
export interface TraceEvent {
  kind: "open" | "close";
  /** When it happened, in milliseconds since the epoch (the tracer's clock, or when it was read). */
  at: number;
  /** The socket: addresses, ports and, for an open, the process that made it (inode null). */
  socket: Socket;
  /** Known from the hook (a connect goes out, an accept comes in); null when the source cannot tell. */
  direction: Direction | null;
}

/**
 * How long a tracer's newest events wait before they are handed over to a poll (`TraceSource.drain` in
 * lib/collect/trace_source.ts): an open and its close reported out of order are taken together. Here, not beside
 * the tracer, so that the monitor loop reads it without loading the tracer, which only `--trace` runs need.
 */
export const TRACE_HOLDBACK_MS = 250;
