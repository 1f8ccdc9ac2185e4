import { deepStrictEqual, match, throws } from "node:assert/strict";
import { loadMmdbBuffer, MmdbSource } from "../../lib/enrich/geo_mmdb.ts";
import { encode, writeMmdb } from "./_mmdb_writer.ts";

// MmdbSource reads through node:buffer, imported on demand (not at start).
await loadMmdbBuffer();

/** A GeoLite2-Country file whose record for 8.8.8.0/24 is `data`, written by hand (the data section's first bytes). */
function withRecord(data: number[]): Uint8Array {
  const base = writeMmdb("GeoLite2-Country", [["8.8.8.0/24", 0]]);
  const marker = [0xab, 0xcd, 0xef, ...new TextEncoder().encode("MaxMind.com")];
  let at = base.length - marker.length;
  while (at >= 0 && !marker.every((byte, i) => base[at + i] === byte)) at--;
  // The writer's data section is the record 0 alone: one byte before the marker.
  return new Uint8Array([...base.subarray(0, at - 1), ...data, ...base.subarray(at)]);
}

/** A pointer to an offset in the data section, in the format's two- or three-byte form. */
function pointer(offset: number): number[] {
  if (offset < 2048) return [0x20 | ((offset >> 8) & 7), offset & 255];
  const rest = offset - 2048;
  return [0x28 | ((rest >> 16) & 7), (rest >> 8) & 255, rest & 255];
}

/**
 * An array of `fanOut` pointers to an array of `fanOut` pointers to …, `depth` deep: fanOut^depth values,
 * written to stand at offset `at` of its section.
 */
function pointerBomb(depth: number, fanOut: number, at = 0): number[] {
  const size = 2 + 2 * fanOut;
  const data: number[] = [];
  for (let level = 0; level < depth; level++) {
    data.push(fanOut, 4); // an array (extended type 11) of fanOut values
    for (let i = 0; i < fanOut; i++) data.push(...pointer(at + size * (level + 1)));
  }
  data.push(1, 4, 0xa0); // [0]
  return data;
}

Deno.test("MmdbSource opens a file whose record is a pointer bomb at once, each shared target decoded once", () => {
  // 20^8 = 25.6 billion values if each pointer were decoded again; without the cache 20^6 ran out of memory.
  const source = new MmdbSource("bomb.mmdb", withRecord(pointerBomb(8, 20)));
  deepStrictEqual(source.lookup("8.8.8.8"), { country: null });
  deepStrictEqual(source.lookup("8.8.8.9"), { country: null });
});

Deno.test("MmdbSource calls a record that follows more than 10,000 pointers, or loops, damaged", () => {
  // An array of 10,001 pointers to its own last element, a 0: each is followed.
  const count = 10_001;
  const header = [30, 4, ((count - 285) >> 8) & 255, (count - 285) & 255]; // an array, size 285 + two bytes
  const target = header.length + 3 * count;
  const fanned = [...header, ...Array.from({ length: count }, () => pointer(target)).flat(), 0xa0];
  throws(
    () => new MmdbSource("wide.mmdb", withRecord(fanned)),
    /damaged \(a record follows more than 10,000 pointers\)/,
  );
  // An array that holds a pointer to itself.
  throws(() => new MmdbSource("loop.mmdb", withRecord([1, 4, ...pointer(0)])), (error: Error) => {
    match(error.message, /the file is damaged/);
    return true;
  });
});

Deno.test("MmdbSource refuses, in one sentence, a file whose metadata is a pointer bomb", () => {
  const file = writeMmdb("GeoLite2-Country", [["8.8.8.0/24", { country: { iso_code: "DE" } }]]);
  const marker = [0xab, 0xcd, 0xef, ...new TextEncoder().encode("MaxMind.com")];
  let at = file.length - marker.length;
  while (at >= 0 && !marker.every((byte, i) => file[at + i] === byte)) at--;
  const metadata = [...file.subarray(at + marker.length)];
  deepStrictEqual(metadata[0], (7 << 5) | 9, "the writer's metadata is a map of 9");
  // One more entry, whose value points (relative to the metadata's start) to a bomb after the map.
  const key = encode("x_extra");
  const bombAt = metadata.length + key.length + 2;
  /** The file with that entry, a map of 10 now, and a bomb of `fanOut` pointers `depth` deep. */
  const withBomb = (fanOut: number, depth: number) =>
    new Uint8Array([
      ...file.subarray(0, at + marker.length),
      (7 << 5) | 10,
      ...metadata.slice(1),
      ...key,
      ...pointer(bombAt),
      ...pointerBomb(fanOut, depth, bombAt),
    ]);
  throws(
    () => new MmdbSource("bomb.mmdb", withBomb(8, 20)),
    /^Error: not a MaxMind DB file \(its metadata holds more than 10,000 values\)$/,
  );
  // The same file without the bomb's fan-out opens.
  deepStrictEqual(new MmdbSource("small.mmdb", withBomb(2, 3)).lookup("8.8.8.8"), { country: "DE" });
});
