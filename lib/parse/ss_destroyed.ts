import { connectionKey } from "../model/connection_key.ts";
import { parseSs } from "./ss.ts";

/** A destroyed TCP socket's counters at its end, by its connection's key. */
export interface FinalCounters {
  /** The connection's key (`connectionKey`): protocol, local and remote address and port. */
  key: string;
  /** Bytes sent, retransmissions included (`bytes_sent`; `bytes_acked` from a kernel before 4.19). */
  sent: number;
  /** Bytes received, the peer's FIN counted as one when it came before the end (see {@linkcode parseSsDestroyedLine}). */
  received: number;
}

/**
 * A socket this host aborted (SO_LINGER 0): the kernel clears its local address, its peer's port and its
 * counters as it disconnects, so all that is left to know it by is its local port and its peer's address.
 */
export interface AbortedSocket {
  /** {@linkcode abortedKey} of the connection it was. */
  aborted: string;
}

/**
 * What is left of a connection's key once the kernel aborted its socket (see {@linkcode AbortedSocket}).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { abortedKey } from "./ss_destroyed.ts";
 * deepStrictEqual(abortedKey("TCP 127.0.0.1 41520 127.0.0.1 36215"), "TCP * 41520 127.0.0.1 *");
 * ```
 */
export function abortedKey(key: string): string {
  const [protocol, , localPort, remoteIp] = key.split(" ");
  return `${protocol} * ${localPort} ${remoteIp} *`;
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
 * That client sent 123,456 bytes and was sent 777: `bytes_received` is the
 * kernel's count of the sequence space received, which counts the peer's FIN as
 * one when it came before the socket was destroyed (as every reading of a
 * connection in CLOSE_WAIT does). Whether it did the line does not say: a side
 * that closes first is destroyed as soon as its FIN is acknowledged (FIN_WAIT_2
 * goes on in a small timewait record), before the peer's FIN unless that rode on
 * the acknowledgement; a passive closer always has it; a reset brings none. The
 * count is reported as the kernel gives it, never corrected by a guess.
 *
 * A socket this host aborted is read as an {@linkcode AbortedSocket}: it has no
 * counters to give, but a poll need not wait for them. Returns null for a blank
 * line and for a socket without a peer or counters (a listener), a reason for a
 * line that is not a TCP socket.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSsDestroyedLine } from "./ss_destroyed.ts";
 * deepStrictEqual(
 *   parseSsDestroyedLine("UNCONN 1 0 127.0.0.1:56418 127.0.0.1:54497 cwnd:15 bytes_sent:123456 bytes_acked:123458 bytes_received:778 segs_out:9"),
 *   { key: "TCP 127.0.0.1 56418 127.0.0.1 54497", sent: 123456, received: 778 },
 * );
 * // A counter that is zero is not printed: this side sent nothing.
 * deepStrictEqual(
 *   parseSsDestroyedLine("UNCONN 0 0 [::ffff:127.0.0.1]:33077 [::ffff:127.0.0.1]:58992 bytes_acked:1 bytes_received:5001 segs_out:2"),
 *   { key: "TCP 127.0.0.1 33077 127.0.0.1 58992", sent: 0, received: 5001 },
 * );
 * deepStrictEqual(parseSsDestroyedLine("UNCONN 0 0 127.0.0.1:33077 0.0.0.0:* rto:1000 mss:536 cwnd:10"), null);
 * deepStrictEqual(parseSsDestroyedLine("UNCONN 0 70658 0.0.0.0:41520 127.0.0.1:* rto:1000 mss:35328 cwnd:10"),
 *   { aborted: "TCP * 41520 127.0.0.1 *" });
 * ```
 */
export function parseSsDestroyedLine(line: string): FinalCounters | AbortedSocket | string | null {
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
  const cleared = socket.local_ip === "0.0.0.0" || socket.local_ip === "::";
  if (cleared && socket.remote_ip !== null && socket.remote_port === null) {
    return { aborted: `TCP * ${socket.local_port} ${socket.remote_ip} *` };
  }
  if (socket.remote_ip === null || socket.remote_port === null || sent === null || received === null) {
    return null;
  }
  // A kernel's 64-bit counter past 2^53 would be rounded: not a count to report as exact.
  if (!Number.isSafeInteger(sent) || !Number.isSafeInteger(received)) return "a byte counter out of range";
  return { key: connectionKey(socket), sent, received };
}
