import type { Protocol } from "./connection.ts";

/**
 * Status words used whichever collector produced a socket: TCP states as
 * `netstat` on Linux names them (with `SYN_RECEIVED`, `FIN_WAIT_1`), and
 * `CONNECTED` / `UNCONNECTED` for UDP.
 */
export const TCP_STATUSES = [
  "ESTABLISHED",
  "SYN_SENT",
  "SYN_RECEIVED",
  "FIN_WAIT_1",
  "FIN_WAIT_2",
  "TIME_WAIT",
  "CLOSE",
  "CLOSE_WAIT",
  "LAST_ACK",
  "LISTEN",
  "CLOSING",
  "UNKNOWN",
] as const;

const TCP_ALIASES: Record<string, string> = {
  ESTAB: "ESTABLISHED",
  ESTABLISHED: "ESTABLISHED",
  "SYN-SENT": "SYN_SENT",
  SYN_SENT: "SYN_SENT",
  "SYN-RECV": "SYN_RECEIVED",
  SYN_RECV: "SYN_RECEIVED",
  SYN_RCVD: "SYN_RECEIVED",
  SYN_RECEIVED: "SYN_RECEIVED",
  "NEW-SYN-RECV": "SYN_RECEIVED",
  "FIN-WAIT-1": "FIN_WAIT_1",
  FIN_WAIT1: "FIN_WAIT_1",
  FIN_WAIT_1: "FIN_WAIT_1",
  "FIN-WAIT-2": "FIN_WAIT_2",
  FIN_WAIT2: "FIN_WAIT_2",
  FIN_WAIT_2: "FIN_WAIT_2",
  "TIME-WAIT": "TIME_WAIT",
  TIME_WAIT: "TIME_WAIT",
  // ss prints TCP_CLOSE as UNCONN; Windows and macOS say CLOSED.
  UNCONN: "CLOSE",
  CLOSE: "CLOSE",
  CLOSED: "CLOSE",
  "CLOSE-WAIT": "CLOSE_WAIT",
  CLOSE_WAIT: "CLOSE_WAIT",
  "LAST-ACK": "LAST_ACK",
  LAST_ACK: "LAST_ACK",
  LISTEN: "LISTEN",
  LISTENING: "LISTEN",
  CLOSING: "CLOSING",
  BOUND: "CLOSE",
  IDLE: "CLOSE",
  DELETE_TCB: "CLOSE",
};

/** {@linkcode TCP_ALIASES} as a map: a word is looked up as it is first, and a map has no inherited keys. */
const TCP_STATUS_OF = new Map(Object.entries(TCP_ALIASES));

/**
 * Normalise a collector's state word to conntrail's status words.
 *
 * UDP has no states: a UDP socket is `CONNECTED` when it has a peer and
 * `UNCONNECTED` otherwise, whatever the tool printed. A TCP word no tool is
 * known to print becomes `UNKNOWN`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { normalizeStatus } from "./status.ts";
 * deepStrictEqual(normalizeStatus("ESTAB", "TCP", true), "ESTABLISHED");
 * deepStrictEqual(normalizeStatus("LISTENING", "TCP", false), "LISTEN");
 * deepStrictEqual(normalizeStatus("", "UDP", false), "UNCONNECTED");
 * ```
 */
export function normalizeStatus(raw: string, protocol: Protocol, hasRemote: boolean): string {
  if (protocol === "UDP") return hasRemote ? "CONNECTED" : "UNCONNECTED";
  // Tools print their words in upper case: most rows need no upper-cased copy.
  return TCP_STATUS_OF.get(raw) ?? TCP_STATUS_OF.get(raw.toUpperCase()) ?? "UNKNOWN";
}

/** TCP state numbers of the Linux kernel (`/proc/net/tcp` `st` column), as status words. */
export const LINUX_TCP_STATE_CODES: Record<number, string> = {
  1: "ESTABLISHED",
  2: "SYN_SENT",
  3: "SYN_RECEIVED",
  4: "FIN_WAIT_1",
  5: "FIN_WAIT_2",
  6: "TIME_WAIT",
  7: "CLOSE",
  8: "CLOSE_WAIT",
  9: "LAST_ACK",
  10: "LISTEN",
  11: "CLOSING",
  12: "SYN_RECEIVED",
};

/**
 * Statuses of a connection that is over but whose socket lingers in the kernel
 * (TIME_WAIT lasts a minute). They still raise events, but do not keep a
 * monitor row present, and history closes the connection when it enters one.
 */
export const LINGERING_STATUSES: ReadonlySet<string> = new Set(["TIME_WAIT", "CLOSED"]);
