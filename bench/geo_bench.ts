/**
 * GeoIP: the embedded database's start-up and lookups, and loading DB-IP Lite
 * CSVs with `--geo-path`, each against a baseline measured in the same run:
 * the timeline tool's way (read the whole CSV, parse every row, sort, bisect;
 * bench/_geo_timeline_baseline.ts) and, for lookups, mmdb-lib reading the
 * country source's published mmdb. Targets: ready ≤ 50 ms, ≥ 5 million
 * lookups/s. The CSVs are DB-IP Lite's format from the npm registry
 * (@ip-location-db/dbip-country and asn, IPv4 and IPv6 joined in one file as
 * DB-IP publishes them), fetched into .cache/ on the first run.
 */
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import { Reader } from "mmdb-lib";
import { loadEmbeddedGeo } from "../lib/enrich/embedded_geo.ts";
import { geoFilesIo, loadGeoDirectory } from "../lib/enrich/geo_files.ts";
import { npmPackageDir, PACKAGE_CACHE } from "../scripts/_npm_package.ts";
import { COUNTRY_MMDB, GEO_SOURCES } from "../scripts/geo_build.ts";
import { loadTimelineGeo, timelineLookup } from "./_geo_timeline_baseline.ts";
import { bestOf, bestOfAsync } from "./_best_of.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const LOOKUPS = 2_000_000;
const BASELINE_LOOKUPS = 200_000;
const READY_SAMPLES = 7;
const DBIP_COUNTRY = { package: "@ip-location-db/dbip-country", version: "2.3.2026060120" };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] as number;
}

async function readyTimes(): Promise<{ readyMs: number; totalMs: number }> {
  const script = fileURLToPath(new URL("./_geo_ready.ts", import.meta.url));
  const ready: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < READY_SAMPLES; i++) {
    const output = await new Deno.Command(Deno.execPath(), { args: ["run", "--quiet", script] }).output();
    if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
    const result = JSON.parse(new TextDecoder().decode(output.stdout));
    if (result.asn !== 15169) throw new Error("the embedded database did not answer 8.8.8.8");
    ready.push(result.readyMs);
    total.push(result.readyMs + result.codeMs);
  }
  return { readyMs: median(ready), totalMs: median(total) };
}

/** A DB-IP Lite style CSV with both families in one file, from a package's per-family files. */
async function joinedCsv(dir: string, name: string, files: readonly string[]): Promise<string> {
  const target = `${PACKAGE_CACHE}bench/${name}`;
  await Deno.mkdir(`${PACKAGE_CACHE}bench`, { recursive: true });
  const text = (await Promise.all(files.map((f) => Deno.readTextFile(`${dir}/${f}`)))).join("");
  await Deno.writeTextFile(`${target}`, text);
  return target;
}

function workload(count: number): string[] {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) out.push(`${random() >>> 24}.${random() & 255}.${random() & 255}.${random() & 255}`);
    else {
      const groups = [0x2001, 0x2400, 0x2600, 0x2a00, 0x2c0f][random() % 5] as number;
      out.push(
        `${(groups + (random() % 16)).toString(16)}:${(random() & 0xffff).toString(16)}::${
          (random() & 0xffff).toString(16)
        }`,
      );
    }
  }
  return out;
}

function row(name: string, ours: string, baseline: string, ratio: string, target: string): string {
  return `| ${name} | ${ours} | ${baseline} | ${ratio} | ${target} |`;
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const perSecond = (n: number) => `${(n / 1e6).toFixed(2)} M/s`;

const ready = await readyTimes();
const { source } = await loadEmbeddedGeo();
const addresses = workload(LOOKUPS);
let known = 0;
const lookups = bestOf(5, () => {
  known = 0;
  for (const ip of addresses) if (source.lookup(ip).asn !== null) known++;
  return known;
});
const oursPerSecond = LOOKUPS / (lookups.ms / 1000);

const countryDir = await npmPackageDir(DBIP_COUNTRY.package, DBIP_COUNTRY.version);
const asnDir = await npmPackageDir(GEO_SOURCES.asn.package, GEO_SOURCES.asn.version);
const countryCsv = await joinedCsv(countryDir, "dbip-country-lite.csv", [
  "dbip-country-ipv4.csv",
  "dbip-country-ipv6.csv",
]);
const asnCsv = await joinedCsv(asnDir, "dbip-asn-lite.csv", GEO_SOURCES.asn.files);
const csvDir = `${PACKAGE_CACHE}bench`;

const oursLoad = await bestOfAsync(3, () => loadGeoDirectory(csvDir, { io: geoFilesIo(platform.files) }));
const baselineCountry = bestOf(1, () => loadTimelineGeo(countryCsv));
const baselineAsn = bestOf(1, () => loadTimelineGeo(asnCsv));
const baselineLoadMs = baselineCountry.ms + baselineAsn.ms;
const rows = baselineCountry.result.starts.length + baselineAsn.result.starts.length;

const baselineAddresses = addresses.slice(0, BASELINE_LOOKUPS);
const baselineLookup = bestOf(1, () => {
  let n = 0;
  for (const ip of baselineAddresses) {
    if (timelineLookup(baselineCountry.result, ip) !== null) n++;
    if (timelineLookup(baselineAsn.result, ip) !== null) n++;
  }
  return n;
});
const baselinePerSecond = BASELINE_LOOKUPS / (baselineLookup.ms / 1000);

const mmdbDir = await npmPackageDir(COUNTRY_MMDB.package, COUNTRY_MMDB.version);
const reader = new Reader<Record<string, unknown>>(
  Buffer.from(await Deno.readFile(`${mmdbDir}/${COUNTRY_MMDB.file}`)),
);
const mmdbLookup = bestOf(3, () => {
  let n = 0;
  for (const ip of baselineAddresses) if (reader.get(ip) !== null) n++;
  return n;
});
const mmdbPerSecond = BASELINE_LOOKUPS / (mmdbLookup.ms / 1000);

const userSources = oursLoad.result.map((f) => f.source);
const userLookup = bestOf(3, () => {
  let n = 0;
  for (const ip of baselineAddresses) for (const s of userSources) if (s.lookup(ip).country) n++;
  return n;
});
const userPerSecond = (BASELINE_LOOKUPS * userSources.length) / (userLookup.ms / 1000);

console.log(`
GeoIP (${LOOKUPS.toLocaleString("en")} lookups, half IPv4 anywhere, half IPv6 in allocated /12s; ${
  (known / LOOKUPS * 100).toFixed(0)
}% have an AS)

| measure | conntrail | baseline | ratio | target |
| --- | --- | --- | --- | --- |
${row("embedded database ready (fresh process, median of 7)", ms(ready.readyMs), "-", "-", "≤ 50 ms")}
${row("  … plus loading its code", ms(ready.totalMs), "-", "-", "")}
${
  row(
    "lookups/s, country + AS (vs timeline tool: ipaddr.js + bisect, both tables)",
    perSecond(oursPerSecond),
    perSecond(baselinePerSecond),
    `${(oursPerSecond / baselinePerSecond).toFixed(1)}×`,
    "≥ 5 M/s",
  )
}
${
  row(
    "lookups/s vs mmdb-lib on the published country mmdb (country only)",
    perSecond(oursPerSecond),
    perSecond(mmdbPerSecond),
    `${(oursPerSecond / mmdbPerSecond).toFixed(1)}×`,
    "",
  )
}
${
  row(
    `load DB-IP Lite CSVs, country + ASN (${rows.toLocaleString("en")} rows, read all, sort, bisect)`,
    ms(oursLoad.ms),
    ms(baselineLoadMs),
    `${(baselineLoadMs / oursLoad.ms).toFixed(1)}× faster`,
    "",
  )
}
${row("lookups/s in the loaded CSV tables (per table)", perSecond(userPerSecond), "-", "-", "")}
`);
