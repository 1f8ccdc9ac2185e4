/**
 * Sorted range starts, packed for the embedded GeoIP file (a third of their
 * raw size) and unpacked at load in one pass. Varints are LEB128.
 *
 *   IPv4: each start as the varint of its difference from the previous one.
 *   IPv6: a byte `same << 4 | zeros` (leading words equal to the previous
 *         start's, trailing zero words), then the first differing word as the
 *         varint of its increase, then the remaining middle words as varints.
 *
 * @module
 */

class ByteWriter {
  bytes = new Uint8Array(1 << 16);
  length = 0;
  byte(value: number): void {
    if (this.length === this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2);
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    this.bytes[this.length++] = value;
  }
  varint(value: number): void {
    while (value >= 0x80) {
      this.byte((value & 0x7f) | 0x80);
      value = Math.floor(value / 128);
    }
    this.byte(value);
  }
}

/** Pack sorted starts (1 word each for IPv4, 4 for IPv6). */
export function packStarts(starts: Uint32Array, family: 4 | 6): Uint8Array {
  const out = new ByteWriter();
  if (family === 4) {
    let previous = 0;
    for (const start of starts) {
      out.varint(start - previous);
      previous = start;
    }
  } else {
    const previous = new Uint32Array(4);
    for (let at = 0; at < starts.length; at += 4) {
      let same = 0;
      while (same < 3 && starts[at + same] === previous[same]) same++;
      let zeros = 0;
      while (zeros < 3 - same && starts[at + 3 - zeros] === 0) zeros++;
      out.byte(same << 4 | zeros);
      out.varint((starts[at + same] as number) - (previous[same] as number));
      for (let i = same + 1; i < 4 - zeros; i++) out.varint(starts[at + i] as number);
      previous.set(starts.subarray(at, at + 4));
    }
  }
  return out.bytes.slice(0, out.length);
}

/** The inverse of {@linkcode packStarts}; throws RangeError when the bytes run out or are left over. */
export function unpackStarts(bytes: Uint8Array, family: 4 | 6, count: number): Uint32Array {
  const starts = new Uint32Array(family === 4 ? count : count * 4);
  const end = bytes.length;
  let p = 0;
  // Varints are read inline: this loop runs over a million entries at start-up.
  if (family === 4) {
    let previous = 0;
    for (let i = 0; i < count; i++) {
      let b = p < end ? bytes[p++] as number : -1;
      let delta = b & 0x7f;
      for (let scale = 128; b >= 0x80; scale *= 128) {
        b = p < end ? bytes[p++] as number : -1;
        delta += (b & 0x7f) * scale;
      }
      if (b < 0) throw new RangeError("packed starts end early");
      previous += delta;
      starts[i] = previous;
    }
  } else {
    for (let at = 0; at < starts.length; at += 4) {
      if (p >= end) throw new RangeError("packed starts end early");
      const header = bytes[p++] as number;
      const same = header >> 4;
      const last = 3 - (header & 15);
      if (same > last) throw new RangeError("packed starts are corrupt");
      for (let i = 0; i < same; i++) starts[at + i] = starts[at - 4 + i] as number;
      for (let i = same; i <= last; i++) {
        let b = p < end ? bytes[p++] as number : -1;
        let value = b & 0x7f;
        for (let scale = 128; b >= 0x80; scale *= 128) {
          b = p < end ? bytes[p++] as number : -1;
          value += (b & 0x7f) * scale;
        }
        if (b < 0) throw new RangeError("packed starts end early");
        starts[at + i] = i === same && at > 0 ? (starts[at - 4 + i] as number) + value : value;
      }
    }
  }
  if (p !== end) throw new RangeError("packed starts have bytes left over");
  return starts;
}
