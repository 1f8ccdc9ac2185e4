import { connectionKey } from "../model/connection_key.ts";
import { parseSs } from "./ss.ts";

/** A destroyed TCP socket's counters at its end, by its connection's key. */
export interface FinalCounters {
  /** The connection's key (`connectionKey`): protocol, local and remote address and port. */
  key: string;
  /** Bytes sent, retransmissions included (`bytes_sent`; `bytes_acked` from a kernel before 4.19). */
  sent: number;
  /** Bytes received, less the peer's FIN (see {@linkcode parseSsDestroyedLine}). */
  received: number;
}

/**
 * Read one line of `ss -E -tinOH` (iproute2 6.1): a TCP socket the kernel has
 * just destroyed, with its `tcp_info` as it ended. `-t` alone prints no Netid
 * column; the state is `UNCONN` by then and there is no inode, so the socket is
 * known by its addresses and ports only:
 *
 * ```text
 * UNCONN 1      0      127.0.0.1:56418 127.0.0.1:54497 wscale:10,10 rto:204 … bytes_sent:123456 bytes_acked:123458 bytes_received:778 segs_out:9 …
 * ```
 *
 * That client sent 123,456 bytes and was sent 777: the kernel's `bytes_received`
 * counts the sequence number of the peer's FIN too, so a connection that closed
 * in order shows one byte more than it was sent, and a reading while it was open
 * did not count it. The FIN is taken off (one byte, when any was received): a
 * connection's received bytes at its close are what its peer sent. The price: one
 * that the peer reset after sending data, without a FIN, shows one byte fewer.
 * Which of the two it was the line does not say (the state is `UNCONN` either
 * way).
 *
 * Returns null for a blank line and for a socket without a peer or counters (a
 * listener), a reason for a line that is not a TCP socket.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSsDestroyedLine } from "./ss_destroyed.ts";
 * deepStrictEqual(
 *   parseSsDestroyedLine("UNCONN 1 0 127.0.0.1:56418 127.0.0.1:54497 cwnd:15 bytes_sent:123456 bytes_acked:123458 bytes_received:778 segs_out:9"),
 *   { key: "TCP 127.0.0.1 56418 127.0.0.1 54497", sent: 123456, received: 777 },
 * );
 * // A counter that is zero is not printed: this side sent nothing.
 * deepStrictEqual(
 *   parseSsDestroyedLine("UNCONN 0 0 [::ffff:127.0.0.1]:33077 [::ffff:127.0.0.1]:58992 bytes_acked:1 bytes_received:5001 segs_out:2"),
 *   { key: "TCP 127.0.0.1 33077 127.0.0.1 58992", sent: 0, received: 5000 },
 * );
 * deepStrictEqual(parseSsDestroyedLine("UNCONN 0 0 127.0.0.1:33077 0.0.0.0:* rto:1000 mss:536 cwnd:10"), null);
 * ```
 */
export function parseSsDestroyedLine(line: string): FinalCounters | string | null {
  if (line.trim() === "") return null;
  let parsed;
  try {
    parsed = parseSs(line, { traffic: true, protocol: "TCP" });
  } catch {
    return "not a line of ss output";
  }
  const socket = parsed.sockets[0];
  if (socket === undefined) return parsed.skipped[0]?.reason ?? "not a line of ss output";
  const sent = socket.bytes_sent ?? null;
  const received = socket.bytes_received ?? null;
  if (socket.remote_ip === null || socket.remote_port === null || sent === null || received === null) {
    return null;
  }
  return { key: connectionKey(socket), sent, received: received > 0 ? received - 1 : 0 };
}
