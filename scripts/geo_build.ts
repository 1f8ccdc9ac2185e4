/**
 * `deno task geo:build`: build the embedded GeoIP/ASN database `data/geo.bin`
 * from pinned npm packages of ip-location-db (CSV, both families), and copy
 * their licences beside it. The source versions and licences are recorded in
 * the file's header and in `data/geo-sources.json`.
 *
 *   deno task geo:build
 */
import { encodeGeoFile, type GeoDataSource, type GeoFileInfo } from "../lib/enrich/geo_format.ts";
import { GeoTablesBuilder } from "../lib/enrich/geo_tables.ts";
import { rangeTableSize } from "../lib/model/range_table.ts";
import { parseGeoCsv } from "../lib/parse/geo_csv.ts";
import { npmPackageDir } from "./_npm_package.ts";

/** The sources, pinned; change a version here and run the task again. */
export const GEO_SOURCES = {
  asn: {
    package: "@ip-location-db/asn",
    version: "2.3.2026061719",
    licence: "CC BY 4.0 (RouteViews, NRO, DB-IP)",
    files: ["asn-ipv4.csv", "asn-ipv6.csv"],
    licenceFiles: ["ROUTEVIEWS-LICENSE", "NRO_LICENSE", "DBIP-LICENSE", "MODIFICATIONS"],
  },
  country: {
    package: "@ip-location-db/geo-whois-asn-country",
    version: "2.3.2026061719",
    licence: "CC BY 4.0 (NRO); package marked CC0-1.0",
    files: ["geo-whois-asn-country-ipv4.csv", "geo-whois-asn-country-ipv6.csv"],
    licenceFiles: ["NRO_LICENSE"],
  },
} as const;

/** The published mmdb of the country source, read by the agreement test. */
export const COUNTRY_MMDB = {
  package: "@ip-location-db/geo-whois-asn-country-mmdb",
  version: GEO_SOURCES.country.version,
  file: "geo-whois-asn-country.mmdb",
} as const;

const ATTRIBUTION = [
  "ASN data: RouteViews (https://www.routeviews.org), NRO (https://www.nro.net) and " +
  `IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0, via ip-location-db asn ${GEO_SOURCES.asn.version}, modified`,
  "Country data: NRO (https://www.nro.net) and published geofeeds, CC BY 4.0, " +
  `via ip-location-db geo-whois-asn-country ${GEO_SOURCES.country.version}`,
];

const OUTPUT = new URL("../data/", import.meta.url);

async function main(): Promise<void> {
  const builder = new GeoTablesBuilder();
  const sources: GeoDataSource[] = [];
  await Deno.mkdir(new URL("licences/", OUTPUT), { recursive: true });
  for (const source of Object.values(GEO_SOURCES)) {
    const dir = await npmPackageDir(source.package, source.version);
    for (const file of source.files) {
      const result = parseGeoCsv(await Deno.readTextFile(`${dir}/${file}`), builder);
      if (result.skipped > 0) {
        throw new Error(
          `${source.package}/${file}: ${result.skipped} lines did not read, e.g. ${
            JSON.stringify(result.examples)
          }`,
        );
      }
      console.log(`${source.package}/${file}: ${result.rows} rows`);
    }
    for (const file of source.licenceFiles) {
      const target = new URL(`licences/${source.package.split("/")[1]}-${file}`, OUTPUT);
      await Deno.copyFile(`${dir}/${file}`, target);
    }
    sources.push({
      package: source.package,
      version: source.version,
      licence: source.licence,
      files: [...source.files],
    });
  }
  const tables = builder.build();
  const info: GeoFileInfo = {
    format: 1,
    built: new Date().toISOString().slice(0, 10),
    sources,
    attribution: ATTRIBUTION,
  };
  const bytes = encodeGeoFile(tables, info);
  await Deno.writeFile(new URL("geo.bin", OUTPUT), bytes);
  const summary = {
    ...info,
    entries: {
      country4: rangeTableSize(tables.country4),
      country6: rangeTableSize(tables.country6),
      asn4: rangeTableSize(tables.asn4),
      asn6: rangeTableSize(tables.asn6),
      autonomousSystems: tables.asnNumbers.length - 1,
    },
    bytes: bytes.length,
  };
  await Deno.writeTextFile(new URL("geo-sources.json", OUTPUT), JSON.stringify(summary, null, 2) + "\n");
  console.log(`wrote data/geo.bin: ${(bytes.length / 1e6).toFixed(2)} MB`, summary.entries);
}

if (import.meta.main) await main();
