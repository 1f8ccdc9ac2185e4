/**
 * The octet-counted framing RFC 6587 (TCP) and RFC 5425 (TLS) carry syslog
 * messages in.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * A message framed for a stream: its length in bytes, a space, the message
 * (RFC 6587 octet counting), as bytes.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { octetCounted } from "./syslog_frame.ts";
 * deepStrictEqual(new TextDecoder().decode(octetCounted("<134>1 - - - - - - é")), "21 <134>1 - - - - - - é");
 * ```
 */
export function octetCounted(message: string): Uint8Array {
  const body = encoder.encode(message);
  const prefix = encoder.encode(`${body.length} `);
  const frame = new Uint8Array(prefix.length + body.length);
  frame.set(prefix);
  frame.set(body, prefix.length);
  return frame;
}
