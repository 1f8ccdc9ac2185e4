import { deepStrictEqual, throws } from "node:assert/strict";
import { packStarts, unpackStarts } from "../../lib/enrich/_packed_starts.ts";
import { decodeGeoFile, encodeGeoFile, GeoFormatError } from "../../lib/enrich/geo_format.ts";
import { geoTablesFromCsv, GeoTableSource } from "../../lib/enrich/geo_tables.ts";

const INFO = { format: 1 as const, built: "2026-11-21", sources: [], attribution: ["test data"] };
const CSV = [
  "1.0.0.0,1.0.0.255,AU\n8.8.8.0,8.8.8.255,US\n2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,US\n",
  '8.8.8.0,8.8.8.255,15169,"Google LLC"\n2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,"Google LLC"\n' +
  '2a00::1,2a00::1,64500,"Ünïcödé, ""Ltd"""\n',
];

Deno.test("encodeGeoFile() and decodeGeoFile() round-trip tables, including UTF-8 organisations", () => {
  const tables = geoTablesFromCsv(...CSV);
  const decoded = decodeGeoFile(encodeGeoFile(tables, INFO));
  deepStrictEqual(decoded.info, INFO);
  const before = new GeoTableSource("before", tables);
  const after = new GeoTableSource("after", decoded.tables);
  for (const ip of ["1.0.0.1", "8.8.8.8", "2001:4860::1", "2a00::1", "2a00::2", "9.9.9.9", "::"]) {
    deepStrictEqual(after.lookup(ip), before.lookup(ip), ip);
  }
  deepStrictEqual(after.lookup("2a00::1").as_org, 'Ünïcödé, "Ltd"');
  // Bytes that are not 4-byte aligned in memory are read too.
  const bytes = encodeGeoFile(tables, INFO);
  const shifted = new Uint8Array(bytes.length + 1).subarray(1);
  shifted.set(bytes);
  deepStrictEqual(new GeoTableSource("x", decodeGeoFile(shifted).tables).lookup("8.8.8.8").asn, 15169);
});

Deno.test("decodeGeoFile() refuses damaged files with a GeoFormatError", () => {
  const bytes = encodeGeoFile(geoTablesFromCsv(...CSV), INFO);
  throws(() => decodeGeoFile(new TextEncoder().encode("PK\x03\x04 not ours")), GeoFormatError);
  throws(() => decodeGeoFile(bytes.subarray(0, 10)), GeoFormatError);
  throws(() => decodeGeoFile(bytes.subarray(0, bytes.length - 8)), /runs past the end|packed starts/);
  const header = bytes.slice();
  header[14] = 0x7b; // `{` inside the JSON
  throws(() => decodeGeoFile(header), /the header is not JSON|unknown format|missing or malformed/);
});

Deno.test("packStarts() and unpackStarts() round-trip random sorted starts of both families", () => {
  for (const family of [4, 6] as const) {
    const width = family === 4 ? 1 : 4;
    const count = 5000;
    const values = new Set<bigint>();
    while (values.size < count) {
      const n = BigInt(Math.floor(Math.random() * 2 ** 32)) <<
        (family === 4 ? 0n : BigInt(32 * Math.floor(Math.random() * 4)));
      values.add(
        family === 4
          ? n
          : n | (Math.random() < 0.3 ? 0n : BigInt(Math.floor(Math.random() * 2 ** 32)) << 96n),
      );
    }
    const sorted = [...values].sort((a, b) => (a < b ? -1 : 1));
    const starts = new Uint32Array(count * width);
    sorted.forEach((n, i) => {
      for (let w = 0; w < width; w++) {
        starts[i * width + w] = Number((n >> BigInt(32 * (width - 1 - w))) & 0xffffffffn);
      }
    });
    const packed = packStarts(starts, family);
    deepStrictEqual(unpackStarts(packed, family, count), starts);
    throws(() => unpackStarts(packed.subarray(0, packed.length - 1), family, count), RangeError);
  }
});
