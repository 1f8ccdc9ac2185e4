/**
 * The embedded GeoIP database's file format: {@linkcode GeoTables} laid out so
 * that loading is a header parse, one unpacking pass over the range starts and
 * typed-array views over the rest of the bytes.
 *
 *   "CTGEO1\r\n"                 8 bytes
 *   header length                u32, little-endian
 *   header                       JSON (format, sources, attribution, codes, sections), padded to 4
 *   sections                     each 4-byte aligned: starts (IPv6 ones packed, see
 *                                _packed_starts.ts) and values of country4, country6, asn4, asn6;
 *                                asnNumbers; orgOffsets; orgBytes
 *
 * @module
 */
import type { RangeTable } from "../model/range_table.ts";
import { packStarts, unpackStarts } from "./_packed_starts.ts";
import type { GeoTables } from "./geo_tables.ts";

const MAGIC = "CTGEO1\r\n";

/** A source the database was built from. */
export interface GeoDataSource {
  package: string;
  version: string;
  licence: string;
  files: string[];
}

/** What the file says about itself. */
export interface GeoFileInfo {
  format: 1;
  built: string;
  sources: GeoDataSource[];
  /** Lines to show wherever the data is used, as the licences ask. */
  attribution: string[];
}

type ArrayKind = "u8" | "u16" | "u32";
type SectionKind = ArrayKind | "packed4" | "packed6";
interface Section {
  offset: number;
  /** Elements, or for packed starts, entries. */
  count: number;
  kind: SectionKind;
  /** Bytes of packed starts. */
  bytes?: number;
}
interface Header extends GeoFileInfo {
  countryCodes: string[];
  sections: Record<string, Section>;
}

const SECTION_NAMES = [
  "country4.starts",
  "country4.values",
  "country6.starts",
  "country6.values",
  "asn4.starts",
  "asn4.values",
  "asn6.starts",
  "asn6.values",
  "asnNumbers",
  "orgOffsets",
  "orgBytes",
] as const;

type AnyArray = Uint8Array | Uint16Array | Uint32Array;

function kindOf(array: AnyArray): ArrayKind {
  return array instanceof Uint8Array ? "u8" : array instanceof Uint16Array ? "u16" : "u32";
}

const BYTES: Record<ArrayKind, number> = { u8: 1, u16: 2, u32: 4 };

function arraysOf(tables: GeoTables): Record<(typeof SECTION_NAMES)[number], AnyArray> {
  return {
    "country4.starts": tables.country4.starts,
    "country4.values": tables.country4.values,
    "country6.starts": tables.country6.starts,
    "country6.values": tables.country6.values,
    "asn4.starts": tables.asn4.starts,
    "asn4.values": tables.asn4.values,
    "asn6.starts": tables.asn6.starts,
    "asn6.values": tables.asn6.values,
    asnNumbers: tables.asnNumbers,
    orgOffsets: tables.orgOffsets,
    orgBytes: tables.orgBytes,
  };
}

const align4 = (n: number) => (n + 3) & ~3;

/** The file's bytes for tables and what to say about them. */
export function encodeGeoFile(tables: GeoTables, info: GeoFileInfo): Uint8Array {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error("the GeoIP file is written little-endian only");
  }
  const arrays = arraysOf(tables);
  const sections: Record<string, Section> = {};
  let offset = 0;
  for (const name of SECTION_NAMES) {
    let array = arrays[name];
    if (name === "country6.starts" || name === "asn6.starts") {
      // IPv6 starts shrink to a third packed; IPv4 ones stay raw, read in place
      // (unpacking them cost more load time than their extra bytes).
      const entries = array.length / 4;
      array = arrays[name] = packStarts(array as Uint32Array, 6);
      sections[name] = { offset, count: entries, kind: "packed6", bytes: array.length };
    } else {
      sections[name] = { offset, count: array.length, kind: kindOf(array) };
    }
    offset = align4(offset + array.byteLength);
  }
  const header: Header = { ...info, countryCodes: tables.countryCodes, sections };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align4(MAGIC.length + 4 + headerBytes.length);
  const out = new Uint8Array(dataStart + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, headerBytes.length, true);
  out.set(headerBytes, MAGIC.length + 4);
  for (const name of SECTION_NAMES) {
    const array = arrays[name];
    out.set(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
      dataStart + (sections[name] as Section).offset,
    );
  }
  return out;
}

/** The file is not a GeoIP database this version reads. */
export class GeoFormatError extends Error {
  override name = "GeoFormatError";
}

function view(bytes: Uint8Array, at: number, section: Section | undefined, name: string): AnyArray {
  if (section === undefined || !Number.isInteger(section.count) || section.count < 0) {
    throw new GeoFormatError(`section "${name}" is missing or malformed`);
  }
  const packed = section.kind === "packed4" || section.kind === "packed6";
  if (!packed && !(section.kind in BYTES)) throw new GeoFormatError(`section "${name}" has an unknown kind`);
  const start = at + section.offset;
  const length = packed ? section.bytes ?? -1 : section.count * BYTES[section.kind as ArrayKind];
  if (start % 4 !== 0 || length < 0 || start + length > bytes.byteLength) {
    throw new GeoFormatError(`section "${name}" runs past the end`);
  }
  const offset = bytes.byteOffset + start;
  switch (section.kind) {
    case "packed4":
    case "packed6":
      try {
        return unpackStarts(
          bytes.subarray(start, start + length),
          section.kind === "packed4" ? 4 : 6,
          section.count,
        );
      } catch (error) {
        throw new GeoFormatError(`section "${name}": ${(error as Error).message}`);
      }
    case "u8":
      return new Uint8Array(bytes.buffer, offset, section.count);
    case "u16":
      return new Uint16Array(bytes.buffer, offset, section.count);
    case "u32":
      return new Uint32Array(bytes.buffer, offset, section.count);
  }
}

/**
 * Tables and info from the file's bytes: views over them, not copies (bytes
 * not 4-byte aligned in memory are copied once).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { decodeGeoFile, encodeGeoFile } from "./geo_format.ts";
 * import { geoTablesFromCsv, GeoTableSource } from "./geo_tables.ts";
 * const info = { format: 1 as const, built: "2026-11-21", sources: [], attribution: ["example"] };
 * const bytes = encodeGeoFile(geoTablesFromCsv("2001:db8::,2001:db8::ffff,NL\n"), info);
 * const decoded = decodeGeoFile(bytes);
 * deepStrictEqual(new GeoTableSource("file", decoded.tables).lookup("2001:db8::1").country, "NL");
 * deepStrictEqual(decoded.info.attribution, ["example"]);
 * ```
 */
export function decodeGeoFile(input: Uint8Array): { tables: GeoTables; info: GeoFileInfo } {
  const bytes = input.byteOffset % 4 === 0 ? input : input.slice();
  if (
    bytes.byteLength < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC
  ) {
    throw new GeoFormatError("not a conntrail GeoIP file");
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  if (MAGIC.length + 4 + headerLength > bytes.byteLength) {
    throw new GeoFormatError("the header runs past the end");
  }
  let header: Header;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength)),
    );
  } catch {
    throw new GeoFormatError("the header is not JSON");
  }
  if (header.format !== 1 || typeof header.sections !== "object" || !Array.isArray(header.countryCodes)) {
    throw new GeoFormatError("unknown format version");
  }
  const at = align4(MAGIC.length + 4 + headerLength);
  const get = (name: (typeof SECTION_NAMES)[number]) => view(bytes, at, header.sections[name], name);
  const table = (family: 4 | 6, prefix: "country4" | "country6" | "asn4" | "asn6"): RangeTable => {
    const starts = get(`${prefix}.starts`);
    const values = get(`${prefix}.values`);
    if (!(starts instanceof Uint32Array) || starts.length !== values.length * (family === 4 ? 1 : 4)) {
      throw new GeoFormatError(`table "${prefix}" is inconsistent`);
    }
    return { family, starts, values };
  };
  const asnNumbers = get("asnNumbers");
  const orgOffsets = get("orgOffsets");
  const orgBytes = get("orgBytes");
  if (
    !(asnNumbers instanceof Uint32Array) || !(orgOffsets instanceof Uint32Array) ||
    !(orgBytes instanceof Uint8Array)
  ) {
    throw new GeoFormatError("the AS tables are malformed");
  }
  const tables: GeoTables = {
    country4: table(4, "country4"),
    country6: table(6, "country6"),
    countryCodes: header.countryCodes,
    asn4: table(4, "asn4"),
    asn6: table(6, "asn6"),
    asnNumbers,
    orgOffsets,
    orgBytes,
  };
  const { format, built, sources, attribution } = header;
  return { tables, info: { format, built, sources, attribution } };
}
