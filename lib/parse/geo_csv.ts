/**
 * DB-IP Lite CSVs, the files the timeline tool read (and ip-location-db's,
 * which share the layout): no header, an inclusive range per line, IPv4 and
 * IPv6 in one file, organisation names quoted when they hold a comma or quote.
 *
 *   dbip-country-lite.csv  `1.0.0.0,1.0.0.255,AU`
 *   dbip-asn-lite.csv      `1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."`
 *   dbip-city-lite.csv     `1.0.0.0,1.0.0.255,OC,AU,Queensland,"South Brisbane",-27.4748,153.017`
 *
 * Hand-written rather than csv-parse: a file is 500,000+ lines and read at
 * start-up (see `deno task bench`).
 *
 * @module
 */
import { ipWords } from "../model/ip_words.ts";

/** Receives each good row; words are reused between calls, so copy what you keep. */
export interface GeoCsvSink {
  country(family: 4 | 6, start: Uint32Array, end: Uint32Array, code: string): void;
  asn(family: 4 | 6, start: Uint32Array, end: Uint32Array, asn: number, org: string): void;
}

/** A line that could not be read. */
export interface GeoCsvSkip {
  line: number;
  reason: string;
}

/** What a file held. */
export interface GeoCsvResult {
  rows: number;
  /** Lines that did not read (blank lines and a header are not counted). */
  skipped: number;
  /** The first few of them, for the message. */
  examples: GeoCsvSkip[];
  /** The file does not end with a newline and its last line did not read: it was cut short. */
  truncated: boolean;
}

const fields: string[] = [];

/** Split one CSV line into `fields`; false on an unclosed quote. */
function splitLine(line: string): boolean {
  fields.length = 0;
  if (line.indexOf('"') < 0) {
    let from = 0;
    for (;;) {
      const comma = line.indexOf(",", from);
      if (comma < 0) break;
      fields.push(line.slice(from, comma));
      from = comma + 1;
    }
    fields.push(line.slice(from));
    return true;
  }
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let value = "";
      let j = i + 1;
      for (;;) {
        const quote = line.indexOf('"', j);
        if (quote < 0) return false;
        value += line.slice(j, quote);
        if (line.charCodeAt(quote + 1) === 34) {
          value += '"';
          j = quote + 2;
        } else {
          j = quote + 1;
          break;
        }
      }
      fields.push(value);
      if (j === line.length) return true;
      if (line.charCodeAt(j) !== 44) return false;
      i = j + 1;
    } else {
      const comma = line.indexOf(",", i);
      if (comma < 0) {
        fields.push(line.slice(i));
        return true;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

function isCountryCode(text: string): boolean {
  if (text.length !== 2) return false;
  const a = text.charCodeAt(0), b = text.charCodeAt(1);
  return a >= 65 && a <= 90 && b >= 65 && b <= 90;
}

const start = new Uint32Array(4);
const end = new Uint32Array(4);

function readLine(line: string, sink: GeoCsvSink): string | null {
  if (!splitLine(line)) return "unclosed quote";
  if (fields.length < 3) return "expected start,end,country or start,end,asn,organisation";
  const family = ipWords(fields[0] as string, start);
  if (family === 0) return "the start is not an IP address";
  if (ipWords(fields[1] as string, end) !== family) return "the end is not an address of the start's family";
  if (fields.length === 3) {
    const code = fields[2] as string;
    if (!isCountryCode(code)) return "the country is not a two-letter code";
    sink.country(family, start, end, code);
  } else if (fields.length === 4) {
    const text = fields[2] as string;
    const asn = Number(text);
    if (text === "" || !Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) {
      return "the AS number is not a number";
    }
    sink.asn(family, start, end, asn, fields[3] as string);
  } else {
    // City lite: continent, country, region, city, latitude, longitude.
    const code = fields[3] as string;
    if (!isCountryCode(code)) return "the country is not a two-letter code";
    sink.country(family, start, end, code);
  }
  return null;
}

/**
 * Read a DB-IP Lite CSV into `sink`, skipping (and counting) lines that do not
 * read. A header line is skipped.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseGeoCsv } from "./geo_csv.ts";
 * const orgs: string[] = [];
 * const result = parseGeoCsv('1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."\n2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,"WIDE ""Project"""\n', {
 *   country: () => {},
 *   asn: (_family, _start, _end, _asn, org) => orgs.push(org),
 * });
 * deepStrictEqual([result.rows, orgs], [2, ["Cloudflare, Inc.", 'WIDE "Project"']]);
 * ```
 */
export function parseGeoCsv(text: string, sink: GeoCsvSink): GeoCsvResult {
  const examples: GeoCsvSkip[] = [];
  let skipped = 0;
  let rows = 0;
  let lineNumber = 0;
  let from = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lastLineFailed = false;
  while (from < text.length) {
    let newline = text.indexOf("\n", from);
    if (newline < 0) newline = text.length;
    let to = newline;
    if (to > from && text.charCodeAt(to - 1) === 13) to--;
    lineNumber++;
    const line = text.slice(from, to);
    from = newline + 1;
    lastLineFailed = false;
    if (line.trim() === "") continue;
    const reason = readLine(line, sink);
    if (reason === null) rows++;
    else if (!(lineNumber === 1 && /^[A-Za-z_ ]+,/.test(line))) {
      skipped++;
      if (examples.length < 5) examples.push({ line: lineNumber, reason });
      lastLineFailed = true;
    }
  }
  const truncated = lastLineFailed && !text.endsWith("\n");
  return { rows, skipped, examples, truncated };
}
