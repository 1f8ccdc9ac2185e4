/**
 * The embedded database against independent readings of its sources, on
 * 100,000 random addresses per family:
 *   - country: mmdb-lib reading the source's own published mmdb
 *     (@ip-location-db/geo-whois-asn-country-mmdb, same version);
 *   - ASN: the source publishes no mmdb on the npm registry, so its CSV (the
 *     package's numeric variant, read by hand) is searched naively (every row
 *     holding the address; the smallest wins).
 * Half the addresses are uniform (IPv6 over 2000::/3), half sit inside, at the
 * start or at the end of a random entry, where flattening could go wrong.
 * The packages come from the npm registry (cached under .cache/).
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import ipaddr from "ipaddr.js";
import { Reader } from "mmdb-lib";
import { loadEmbeddedGeo } from "../../lib/enrich/embedded_geo.ts";
import { loadMmdbBuffer, MmdbSource } from "../../lib/enrich/geo_mmdb.ts";
import { wordsToBigint } from "../../lib/model/ip_words.ts";
import { ipv4Text } from "../../lib/parse/blocklist.ts";
import type { RangeTable } from "../../lib/model/range_table.ts";
import { npmPackageDir } from "../../scripts/_npm_package.ts";
import { COUNTRY_MMDB, GEO_SOURCES } from "../../scripts/geo_build.ts";

// MmdbSource reads through node:buffer, imported on demand (not at start).
await loadMmdbBuffer();

const SAMPLES = 100_000;
const REQUIRED_AGREEMENT = 0.999;

function ipv6Text(n: bigint): string {
  const parts = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  return new ipaddr.IPv6(parts).toString();
}

function randomBigint(bits: number): bigint {
  let n = 0n;
  for (let i = 0; i < bits; i += 32) {
    n = (n << 32n) | BigInt(crypto.getRandomValues(new Uint32Array(1))[0] as number);
  }
  return n & ((1n << BigInt(bits)) - 1n);
}

/** An address to compare, as text (what lookups take) and as a number. */
interface Sample {
  text: string;
  value: bigint;
}

/** Addresses to compare: half uniform, half at or inside the table's entries. */
function sampleAddresses(table: RangeTable): Sample[] {
  const family = table.family;
  const entries = table.values.length;
  const startOf = (i: number) =>
    family === 4 ? BigInt(table.starts[i] as number) : wordsToBigint(table.starts, i * 4);
  const top = family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
  const sample = (value: bigint) => ({
    text: family === 4 ? ipv4Text(Number(value)) : ipv6Text(value),
    value,
  });
  const out: Sample[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    if (i % 2 === 0) {
      out.push(sample(family === 4 ? randomBigint(32) : (1n << 125n) | randomBigint(125)));
      continue;
    }
    const entry = Math.floor(Math.random() * entries);
    const start = startOf(entry);
    const end = entry + 1 < entries ? startOf(entry + 1) - 1n : top;
    const pick = i % 6;
    out.push(sample(pick === 1 ? start : pick === 3 ? end : start + randomBigint(128) % (end - start + 1n)));
  }
  return out;
}

function report(label: string, agreed: number, total: number, examples: string[]): void {
  const rate = agreed / total;
  console.log(
    `${label}: ${agreed} of ${total} agree (${(rate * 100).toFixed(3)}%)${
      examples.length > 0 ? `; e.g. ${examples.join("; ")}` : ""
    }`,
  );
  ok(
    rate >= REQUIRED_AGREEMENT,
    `${label}: ${(rate * 100).toFixed(3)}% < 99.9%; e.g. ${examples.join("; ")}`,
  );
}

Deno.test("the embedded database was built from the pinned sources", async () => {
  const { info } = await loadEmbeddedGeo();
  deepStrictEqual(
    info.sources.map((s) => `${s.package}@${s.version}`),
    Object.values(GEO_SOURCES).map((s) => `${s.package}@${s.version}`),
  );
  ok(
    info.attribution.some((line) => line.includes("DB-IP")) &&
      info.attribution.some((line) => line.includes("NRO")),
  );
});

Deno.test("embedded countries agree with mmdb-lib reading the source's published mmdb (100,000 addresses per family)", async () => {
  const dir = await npmPackageDir(COUNTRY_MMDB.package, COUNTRY_MMDB.version);
  const bytes = await Deno.readFile(`${dir}/${COUNTRY_MMDB.file}`);
  const reader = new Reader<Record<string, unknown>>(Buffer.from(bytes));
  const ours = new MmdbSource(COUNTRY_MMDB.file, bytes);
  const { source } = await loadEmbeddedGeo();
  for (const table of [source.tables.country4, source.tables.country6]) {
    let agreed = 0;
    let known = 0;
    const examples: string[] = [];
    const addresses = sampleAddresses(table).map((sample) => sample.text);
    for (const [i, ip] of addresses.entries()) {
      const theirs = (reader.get(ip)?.country_code as string | undefined) ?? null;
      const mine = source.lookup(ip).country ?? null;
      if (theirs !== null) known++;
      if (theirs === mine) agreed++;
      else if (examples.length < 5) examples.push(`${ip}: mmdb ${theirs}, embedded ${mine}`);
      // conntrail's own mmdb reader reads the published file the same way.
      if (i % 10 === 0) deepStrictEqual(ours.lookup(ip).country, theirs, ip);
    }
    ok(known > SAMPLES / 3, `only ${known} addresses had a country: the sample is not useful`);
    report(`country, IPv${table.family}`, agreed, addresses.length, examples);
  }
});

/** A CSV row; IPv4 bounds are numbers (exact below 2^53 and much cheaper to read), IPv6 bounds bigints. */
interface CsvRange {
  start: number | bigint;
  end: number | bigint;
  asn: number;
  org: string;
}

/**
 * The source CSV the naive way: the package's numeric variant (`start,end,asn,org`
 * with decimal addresses, the same ranges as the text one), split by hand and
 * sorted; no code of conntrail's reads it.
 */
async function readAsnCsv(
  path: string,
  family: 4 | 6,
): Promise<{ rows: CsvRange[]; maxEndBefore: (number | bigint)[] }> {
  const text = await Deno.readTextFile(path);
  const rows: CsvRange[] = [];
  // Digits are read as they come (400,000 rows: no slice per field); an IPv6 bound is a bigint.
  const COMMA = 44;
  const digits = (at: number): [number, number] => {
    let value = 0;
    for (let c = text.charCodeAt(at); c !== COMMA; c = text.charCodeAt(++at)) value = value * 10 + c - 48;
    return [value, at + 1];
  };
  const bigDigits = (at: number): [bigint, number] => {
    const comma = text.indexOf(",", at);
    return [BigInt(text.slice(at, comma)), comma + 1];
  };
  for (let at = 0; at < text.length;) {
    if (text.charCodeAt(at) === 10) {
      at++;
      continue;
    }
    let start: number | bigint, end: number | bigint, asn: number;
    if (family === 4) {
      [start, at] = digits(at);
      [end, at] = digits(at);
    } else {
      [start, at] = bigDigits(at);
      [end, at] = bigDigits(at);
    }
    [asn, at] = digits(at);
    let lineEnd = text.indexOf("\n", at);
    if (lineEnd < 0) lineEnd = text.length;
    const org = text.slice(at, text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd);
    at = lineEnd + 1;
    rows.push({ start, end, asn, org: org.startsWith('"') ? org.slice(1, -1).replaceAll('""', '"') : org });
  }
  rows.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const maxEndBefore: (number | bigint)[] = [];
  let max: number | bigint = -1;
  for (const row of rows) {
    if (row.end > max) max = row.end;
    maxEndBefore.push(max);
  }
  return { rows, maxEndBefore };
}

function width(row: CsvRange): bigint {
  return BigInt(row.end) - BigInt(row.start);
}

function naiveAsn(
  csv: { rows: CsvRange[]; maxEndBefore: (number | bigint)[] },
  address: bigint,
): CsvRange | null {
  let low = 0;
  let high = csv.rows.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((csv.rows[mid] as CsvRange).start <= address) low = mid + 1;
    else high = mid - 1;
  }
  let best: CsvRange | null = null;
  for (let i = high; i >= 0 && (csv.maxEndBefore[i] as number | bigint) >= address; i--) {
    const row = csv.rows[i] as CsvRange;
    if (row.end >= address && (best === null || width(row) < width(best))) best = row;
  }
  return best;
}

Deno.test("embedded AS numbers and organisations agree with a naive reading of the source CSV (100,000 addresses per family)", async () => {
  const dir = await npmPackageDir(GEO_SOURCES.asn.package, GEO_SOURCES.asn.version);
  const { source } = await loadEmbeddedGeo();
  for (
    const [file, table] of [["asn-ipv4-num.csv", source.tables.asn4], [
      "asn-ipv6-num.csv",
      source.tables.asn6,
    ]] as const
  ) {
    const csv = await readAsnCsv(`${dir}/${file}`, table.family);
    let agreed = 0;
    const examples: string[] = [];
    const addresses = sampleAddresses(table);
    for (const { text: ip, value } of addresses) {
      const row = naiveAsn(csv, value);
      const mine = source.lookup(ip);
      if ((row?.asn ?? null) === mine.asn && (row?.org ?? null) === mine.as_org) agreed++;
      else if (examples.length < 5) {
        examples.push(`${ip}: csv ${row?.asn} ${row?.org}, embedded ${mine.asn} ${mine.as_org}`);
      }
    }
    report(`ASN, IPv${table.family}`, agreed, addresses.length, examples);
  }
});
