/**
 * Country and AS tables for both families: the in-memory form of every
 * range-based GeoIP source (the embedded database and DB-IP CSVs), with the
 * lookup that answers millions of addresses a second.
 *
 * @module
 */
import { ipWords } from "../model/ip_words.ts";
import { emptyRangeTable, type RangeTable, rangeValue } from "../model/range_table.ts";
import { RangeTableBuilder } from "../model/range_table_builder.ts";
import { type GeoCsvSink, parseGeoCsv } from "../parse/geo_csv.ts";

/** What a source knows about one address: a field is absent when the source does not carry it. */
export interface GeoAnswer {
  country?: string | null;
  asn?: number | null;
  as_org?: string | null;
}

/** Anything that answers country and/or AS questions. */
export interface GeoSource {
  /** Where it came from, for messages: a path or "embedded". */
  readonly name: string;
  readonly hasCountry: boolean;
  readonly hasAsn: boolean;
  lookup(ip: string): GeoAnswer;
}

/** The tables; index 0 of each value list means "nothing known". */
export interface GeoTables {
  country4: RangeTable;
  country6: RangeTable;
  /** Two-letter codes; `countryCodes[0]` is "". */
  countryCodes: string[];
  asn4: RangeTable;
  asn6: RangeTable;
  /** AS number of each AS value (index 0 unused). */
  asnNumbers: Uint32Array;
  /** Organisation of each AS value, UTF-8, between `orgOffsets[i]` and `orgOffsets[i + 1]`. */
  orgOffsets: Uint32Array;
  orgBytes: Uint8Array;
}

const decoder = new TextDecoder();

/** A {@linkcode GeoSource} over {@linkcode GeoTables}. */
export class GeoTableSource implements GeoSource {
  readonly name: string;
  readonly hasCountry: boolean;
  readonly hasAsn: boolean;
  readonly tables: GeoTables;
  readonly #words = new Uint32Array(4);
  readonly #orgs: (string | undefined)[];

  constructor(name: string, tables: GeoTables) {
    this.name = name;
    this.tables = tables;
    this.hasCountry = tables.country4.values.length + tables.country6.values.length > 0;
    this.hasAsn = tables.asn4.values.length + tables.asn6.values.length > 0;
    this.#orgs = new Array(tables.asnNumbers.length);
  }

  /**
   * Country and AS of an address (IPv4-mapped IPv6 is looked up as IPv4).
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { geoTablesFromCsv, GeoTableSource } from "./geo_tables.ts";
   * const source = new GeoTableSource("example", geoTablesFromCsv('8.8.8.0,8.8.8.255,US\n8.8.8.0,8.8.8.255,15169,"Google LLC"\n'));
   * deepStrictEqual(source.lookup("::ffff:8.8.8.8"), { country: "US", asn: 15169, as_org: "Google LLC" });
   * deepStrictEqual(source.lookup("8.8.9.1"), { country: null, asn: null, as_org: null });
   * ```
   */
  lookup(ip: string): GeoAnswer {
    const words = this.#words;
    const family = ipWords(ip, words);
    const answer: GeoAnswer = {};
    const t = this.tables;
    if (this.hasCountry) {
      const value = family === 0 ? 0 : rangeValue(family === 4 ? t.country4 : t.country6, words);
      answer.country = value === 0 ? null : t.countryCodes[value] ?? null;
    }
    if (this.hasAsn) {
      const value = family === 0 ? 0 : rangeValue(family === 4 ? t.asn4 : t.asn6, words);
      if (value === 0) {
        answer.asn = null;
        answer.as_org = null;
      } else {
        answer.asn = t.asnNumbers[value] ?? null;
        answer.as_org = this.#org(value);
      }
    }
    return answer;
  }

  #org(value: number): string | null {
    let org = this.#orgs[value];
    if (org === undefined) {
      const t = this.tables;
      org = decoder.decode(t.orgBytes.subarray(t.orgOffsets[value], t.orgOffsets[value + 1]));
      this.#orgs[value] = org;
    }
    return org === "" ? null : org;
  }
}

/** Collects country and AS rows (a {@linkcode GeoCsvSink}) and builds {@linkcode GeoTables}. */
export class GeoTablesBuilder implements GeoCsvSink {
  readonly #country = { 4: new RangeTableBuilder(4), 6: new RangeTableBuilder(6) };
  readonly #asn = { 4: new RangeTableBuilder(4), 6: new RangeTableBuilder(6) };
  readonly #codes = new Map<string, number>([["", 0]]);
  readonly #asValues = new Map<string, number>([["", 0]]);
  readonly #asnNumbers: number[] = [0];
  readonly #orgs: string[] = [""];

  /** Rows of each kind added so far. */
  get rows(): { country: number; asn: number } {
    return {
      country: this.#country[4].rows + this.#country[6].rows,
      asn: this.#asn[4].rows + this.#asn[6].rows,
    };
  }

  country(family: 4 | 6, start: Uint32Array, end: Uint32Array, code: string): void {
    let value = this.#codes.get(code);
    if (value === undefined) {
      value = this.#codes.size;
      this.#codes.set(code, value);
    }
    this.#country[family].add(start, end, value);
  }

  asn(family: 4 | 6, start: Uint32Array, end: Uint32Array, asn: number, org: string): void {
    const key = `${asn}\t${org}`;
    let value = this.#asValues.get(key);
    if (value === undefined) {
      value = this.#asnNumbers.length;
      this.#asValues.set(key, value);
      this.#asnNumbers.push(asn);
      this.#orgs.push(org);
    }
    this.#asn[family].add(start, end, value);
  }

  build(): GeoTables {
    const encoder = new TextEncoder();
    const encoded = this.#orgs.map((org) => encoder.encode(org));
    const orgOffsets = new Uint32Array(encoded.length + 1);
    for (let i = 0; i < encoded.length; i++) {
      orgOffsets[i + 1] = (orgOffsets[i] ?? 0) + (encoded[i]?.length ?? 0);
    }
    const orgBytes = new Uint8Array(orgOffsets[encoded.length] ?? 0);
    encoded.forEach((bytes, i) => orgBytes.set(bytes, orgOffsets[i]));
    const built = (builder: RangeTableBuilder) =>
      builder.rows === 0 ? emptyRangeTable(builder.family) : builder.build();
    return {
      country4: built(this.#country[4]),
      country6: built(this.#country[6]),
      countryCodes: [...this.#codes.keys()],
      asn4: built(this.#asn[4]),
      asn6: built(this.#asn[6]),
      asnNumbers: Uint32Array.from(this.#asnNumbers),
      orgOffsets,
      orgBytes,
    };
  }
}

/** Tables from CSV text (tests and examples; files go through `geo_files.ts`). */
export function geoTablesFromCsv(...texts: string[]): GeoTables {
  const builder = new GeoTablesBuilder();
  for (const text of texts) parseGeoCsv(text, builder);
  return builder.build();
}
