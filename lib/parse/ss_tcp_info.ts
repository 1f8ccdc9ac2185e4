/**
 * The byte counters in the TCP information `ss -i` prints for each socket.
 *
 * @module
 */

/** The counters `ss -i` prints, as printed: `null` when the key is not there. */
export interface TcpInfoCounters {
  /** `bytes_sent`: bytes put on the wire, retransmissions included (kernel 4.19, iproute2 4.20 on). */
  bytes_sent: number | null;
  /** `bytes_acked`: sequence space the peer acknowledged, SYN and FIN included (kernel 4.1 on). */
  bytes_acked: number | null;
  /** `bytes_received`: sequence space received in order (kernel 4.1 on). */
  bytes_received: number | null;
  /** True when the text holds any counter or segment count: the kernel and ss count bytes. */
  counted: boolean;
}

/** The number that follows `key` in `text` from `from` on, or null when the key is not there. */
function counterAfter(text: string, key: string, from: number): number | null {
  const at = text.indexOf(key, from);
  if (at < 0) return null;
  // A key is a whole word: `bytes_acked:` must not match inside another name.
  const before = at === 0 ? 32 : text.charCodeAt(at - 1);
  if (before !== 32 && before !== 9) return counterAfter(text, key, at + key.length);
  let end = at + key.length;
  let value = 0;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (code < 48 || code > 57) break;
    value = value * 10 + (code - 48);
    end++;
  }
  return end > at + key.length ? value : null;
}

/**
 * Read the byte counters from the TCP information of one socket, from `from`
 * on (after the owner fields, so that a process name cannot pose as a counter).
 *
 * iproute2 prints a counter only when it is not zero, so a missing key reads as
 * absent here; {@linkcode tcpTrafficFromInfo} decides what that means. Older
 * iproute2 (before 4.20) prints `bytes_acked` and `bytes_received` but no
 * `bytes_sent`:
 *
 * ```text
 * ts sack cubic wscale:7,7 rto:200 rtt:1.634/0.817 ato:40 mss:1428 cwnd:10 bytes_acked:1 bytes_received:26 segs_out:3 segs_in:2 send 69.9Mbps
 * ```
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseTcpInfoCounters } from "./ss_tcp_info.ts";
 * deepStrictEqual(
 *   parseTcpInfoCounters("bbr wscale:10,10 cwnd:16 bytes_sent:1000000 bytes_acked:1000001 bytes_received:5000 segs_out:26"),
 *   { bytes_sent: 1000000, bytes_acked: 1000001, bytes_received: 5000, counted: true },
 * );
 * deepStrictEqual(parseTcpInfoCounters("bbr cwnd:10").counted, false);
 * ```
 */
export function parseTcpInfoCounters(text: string, from = 0): TcpInfoCounters {
  const first = text.indexOf("bytes_", from);
  const bytes_sent = first < 0 ? null : counterAfter(text, "bytes_sent:", first);
  const bytes_acked = first < 0 ? null : counterAfter(text, "bytes_acked:", first);
  const bytes_received = first < 0 ? null : counterAfter(text, "bytes_received:", first);
  const counted = bytes_sent !== null || bytes_acked !== null || bytes_received !== null ||
    counterAfter(text, "segs_in:", from) !== null || counterAfter(text, "segs_out:", from) !== null;
  return { bytes_sent, bytes_acked, bytes_received, counted };
}

/**
 * What conntrail reports for a TCP socket from its `ss -i` counters: bytes
 * sent (`bytes_sent`, or `bytes_acked` from an iproute2 or kernel too old to
 * print `bytes_sent`) and bytes received. A counter ss left out is zero when the
 * socket shows it is counted (any counter or segment count printed), and the
 * pair is `null` when it shows nothing at all (a listening socket, a kernel
 * without counters): unknown, never a guess.
 *
 * `bytes_acked` counts the SYN and the FIN too, so a socket that sent no data
 * can show `bytes_acked:2` and no `bytes_sent`: that is zero bytes sent.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { tcpTrafficFromInfo } from "./ss_tcp_info.ts";
 * const counters = { bytes_sent: null, bytes_acked: 2, bytes_received: 1, counted: true };
 * deepStrictEqual(tcpTrafficFromInfo(counters), { bytes_sent: 0, bytes_received: 1 });
 * deepStrictEqual(tcpTrafficFromInfo({ ...counters, bytes_acked: 4096 }), { bytes_sent: 4096, bytes_received: 1 });
 * deepStrictEqual(tcpTrafficFromInfo({ ...counters, bytes_acked: null, bytes_received: null, counted: false }),
 *   { bytes_sent: null, bytes_received: null });
 * ```
 */
export function tcpTrafficFromInfo(
  counters: TcpInfoCounters,
): { bytes_sent: number | null; bytes_received: number | null } {
  if (!counters.counted) return { bytes_sent: null, bytes_received: null };
  const acked = counters.bytes_acked ?? 0;
  return {
    bytes_sent: counters.bytes_sent ?? (acked > 2 ? acked : 0),
    bytes_received: counters.bytes_received ?? 0,
  };
}
