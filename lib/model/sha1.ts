/**
 * SHA-1 (FIPS 180-4) for short inputs, hand-written for the Community ID hot
 * path: a Community ID hashes 40 to 40 + 24 bytes for every event, and
 * `node:crypto`'s `createHash` costs about 30 µs a call under Deno where this
 * costs about 1 µs. Not for security: SHA-1 is what the Community ID
 * specification names.
 *
 * @module
 */

const W = new Int32Array(80);
/** Reused for inputs of up to two blocks (a Community ID is one), so hashing allocates only the digest. */
const SMALL = new Uint8Array(128);

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** Where {@linkcode sha1} reads its input's end and writes its digest, for callers that reuse buffers. */
export interface Sha1Options {
  /** Hash only the first `length` bytes of the data (default: all of it). */
  length?: number;
  /** Write the digest here (default: a new array). */
  out?: Uint8Array;
}

/**
 * The 20-byte SHA-1 digest of `data`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { sha1 } from "./sha1.ts";
 * const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
 * deepStrictEqual(hex(sha1(new TextEncoder().encode("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
 * ```
 */
export function sha1(data: Uint8Array, options: Sha1Options = {}): Uint8Array {
  const length = options.length ?? data.length;
  const out = options.out ?? new Uint8Array(20);
  // Message, a 1 bit, zeros, and the 64-bit length: a whole number of 64-byte blocks.
  const blocks = Math.ceil((length + 9) / 64);
  const padded = blocks <= 2 ? SMALL.fill(0, 0, blocks * 64) : new Uint8Array(blocks * 64);
  for (let i = 0; i < length; i++) padded[i] = data[i] as number;
  padded[length] = 0x80;
  const end = blocks * 64;
  const high = Math.floor(length / 0x20000000);
  const low = (length * 8) >>> 0;
  padded[end - 8] = high >>> 24;
  padded[end - 7] = (high >>> 16) & 255;
  padded[end - 6] = (high >>> 8) & 255;
  padded[end - 5] = high & 255;
  padded[end - 4] = low >>> 24;
  padded[end - 3] = (low >>> 16) & 255;
  padded[end - 2] = (low >>> 8) & 255;
  padded[end - 1] = low & 255;
  let h0 = 0x67452301, h1 = 0xefcdab89 | 0, h2 = 0x98badcfe | 0, h3 = 0x10325476, h4 = 0xc3d2e1f0 | 0;
  for (let offset = 0; offset < end; offset += 64) {
    for (let t = 0; t < 16; t++) {
      const i = offset + t * 4;
      W[t] = ((padded[i] as number) << 24) | ((padded[i + 1] as number) << 16) |
        ((padded[i + 2] as number) << 8) |
        (padded[i + 3] as number);
    }
    for (let t = 16; t < 80; t++) {
      W[t] = rotl(
        (W[t - 3] as number) ^ (W[t - 8] as number) ^ (W[t - 14] as number) ^ (W[t - 16] as number),
        1,
      );
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let t = 0; t < 80; t++) {
      const f = t < 20
        ? ((b & c) | (~b & d)) + 0x5a827999
        : t < 40
        ? (b ^ c ^ d) + 0x6ed9eba1
        : t < 60
        ? ((b & c) | (b & d) | (c & d)) - 0x70e44324
        : (b ^ c ^ d) - 0x359d3e2a;
      const temp = (rotl(a, 5) + f + e + (W[t] as number)) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  writeWord(out, 0, h0);
  writeWord(out, 4, h1);
  writeWord(out, 8, h2);
  writeWord(out, 12, h3);
  writeWord(out, 16, h4);
  return out;
}

function writeWord(out: Uint8Array, at: number, word: number): void {
  out[at] = word >>> 24;
  out[at + 1] = (word >>> 16) & 255;
  out[at + 2] = (word >>> 8) & 255;
  out[at + 3] = word & 255;
}
