/**
 * The embedded database against independent readings of its sources, on
 * 100,000 random addresses per family:
 *   - country: mmdb-lib reading the source's own published mmdb
 *     (@ip-location-db/geo-whois-asn-country-mmdb, same version);
 *   - ASN: the source publishes no mmdb on the npm registry, so the source CSV
 *     is read with csv-parse and ipaddr.js and searched naively (every row
 *     holding the address; the smallest wins).
 * Half the addresses are uniform (IPv6 over 2000::/3), half sit inside, at the
 * start or at the end of a random entry, where flattening could go wrong.
 * The packages come from the npm registry (cached under .cache/).
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { parse } from "csv-parse/sync";
import ipaddr from "ipaddr.js";
import { Reader } from "mmdb-lib";
import { loadEmbeddedGeo } from "../../lib/enrich/embedded_geo.ts";
import { MmdbSource } from "../../lib/enrich/geo_mmdb.ts";
import { wordsToBigint } from "../../lib/model/ip_words.ts";
import { ipv4Text } from "../../lib/parse/blocklist.ts";
import type { RangeTable } from "../../lib/model/range_table.ts";
import { npmPackageDir } from "../../scripts/_npm_package.ts";
import { COUNTRY_MMDB, GEO_SOURCES } from "../../scripts/geo_build.ts";

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

/** Addresses to compare: half uniform, half at or inside the table's entries. */
function sampleAddresses(table: RangeTable): string[] {
  const family = table.family;
  const entries = table.values.length;
  const startOf = (i: number) =>
    family === 4 ? BigInt(table.starts[i] as number) : wordsToBigint(table.starts, i * 4);
  const top = family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
  const text = (n: bigint) => family === 4 ? ipv4Text(Number(n)) : ipv6Text(n);
  const out: string[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    if (i % 2 === 0) {
      out.push(text(family === 4 ? randomBigint(32) : (1n << 125n) | randomBigint(125)));
      continue;
    }
    const entry = Math.floor(Math.random() * entries);
    const start = startOf(entry);
    const end = entry + 1 < entries ? startOf(entry + 1) - 1n : top;
    const pick = i % 6;
    out.push(text(pick === 1 ? start : pick === 3 ? end : start + randomBigint(128) % (end - start + 1n)));
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
    const addresses = sampleAddresses(table);
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

interface CsvRange {
  start: bigint;
  end: bigint;
  asn: number;
  org: string;
}

/** The source CSV the naive way: csv-parse, ipaddr.js, bigints. */
async function readAsnCsv(path: string): Promise<{ rows: CsvRange[]; maxEndBefore: bigint[] }> {
  const records: string[][] = parse(await Deno.readTextFile(path), { relax_column_count: true });
  const toBig = (text: string) =>
    BigInt(`0x${ipaddr.parse(text).toByteArray().map((b) => b.toString(16).padStart(2, "0")).join("")}`);
  const rows = records.map(([start, end, asn, org]) => ({
    start: toBig(start as string),
    end: toBig(end as string),
    asn: Number(asn),
    org: org as string,
  }));
  rows.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const maxEndBefore: bigint[] = [];
  let max = -1n;
  for (const row of rows) {
    if (row.end > max) max = row.end;
    maxEndBefore.push(max);
  }
  return { rows, maxEndBefore };
}

function naiveAsn(csv: { rows: CsvRange[]; maxEndBefore: bigint[] }, address: bigint): CsvRange | null {
  let low = 0;
  let high = csv.rows.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((csv.rows[mid] as CsvRange).start <= address) low = mid + 1;
    else high = mid - 1;
  }
  let best: CsvRange | null = null;
  for (let i = high; i >= 0 && (csv.maxEndBefore[i] as bigint) >= address; i--) {
    const row = csv.rows[i] as CsvRange;
    if (row.end >= address && (best === null || row.end - row.start < best.end - best.start)) best = row;
  }
  return best;
}

Deno.test("embedded AS numbers and organisations agree with a naive reading of the source CSV (100,000 addresses per family)", async () => {
  const dir = await npmPackageDir(GEO_SOURCES.asn.package, GEO_SOURCES.asn.version);
  const { source } = await loadEmbeddedGeo();
  for (
    const [file, table] of [["asn-ipv4.csv", source.tables.asn4], [
      "asn-ipv6.csv",
      source.tables.asn6,
    ]] as const
  ) {
    const csv = await readAsnCsv(`${dir}/${file}`);
    let agreed = 0;
    const examples: string[] = [];
    const addresses = sampleAddresses(table);
    for (const ip of addresses) {
      const bytes = ipaddr.parse(ip).toByteArray();
      const row = naiveAsn(csv, BigInt(`0x${bytes.map((b) => b.toString(16).padStart(2, "0")).join("")}`));
      const mine = source.lookup(ip);
      if ((row?.asn ?? null) === mine.asn && (row?.org ?? null) === mine.as_org) agreed++;
      else if (examples.length < 5) {
        examples.push(`${ip}: csv ${row?.asn} ${row?.org}, embedded ${mine.asn} ${mine.as_org}`);
      }
    }
    report(`ASN, IPv${table.family}`, agreed, addresses.length, examples);
  }
});
