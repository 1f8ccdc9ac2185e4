import { deepStrictEqual, match, rejects } from "node:assert/strict";
import { join } from "node:path";
import { openGeo } from "../../lib/cli/geo_config.ts";
import { geoFilesIo, loadGeoDirectory } from "../../lib/enrich/geo_files.ts";
import { loadMmdbBuffer, MmdbSource } from "../../lib/enrich/geo_mmdb.ts";
import { writeMmdb } from "./_mmdb_writer.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { tempDir } from "../temp_dir.ts";

// MmdbSource reads through node:buffer, imported on demand (not at start).
await loadMmdbBuffer();

const platform = denoPlatform();

const GOOGLE_V6 = "2001:4860:4860::8888";

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("MmdbSource reads GeoLite2 Country, City and ASN, DB-IP, IPinfo and flat country_code layouts", () => {
  const layouts: [
    string,
    Record<string, unknown>,
    { country?: string | null; asn?: number | null; as_org?: string | null },
  ][] = [
    [
      "GeoLite2-Country",
      {
        continent: { code: "NA" },
        country: { iso_code: "US", names: { en: "United States" } },
        registered_country: { iso_code: "US" },
      },
      { country: "US" },
    ],
    ["GeoLite2-City", {
      city: { names: { en: "Paris" } },
      country: { iso_code: "FR" },
      location: { latitude: 48 },
    }, { country: "FR" }],
    ["GeoLite2-Country", { registered_country: { iso_code: "SE" } }, { country: "SE" }],
    [
      "GeoLite2-ASN",
      { autonomous_system_number: 15169, autonomous_system_organization: "Google LLC" },
      { asn: 15169, as_org: "Google LLC" },
    ],
    ["DBIP-Country-Lite", { country: { iso_code: "NL" } }, { country: "NL" }],
    [
      "DBIP-ASN-Lite",
      { autonomous_system_number: 3333, autonomous_system_organization: "RIPE NCC" },
      { asn: 3333, as_org: "RIPE NCC" },
    ],
    [
      "ipinfo ipinfo_lite.mmdb",
      {
        asn: "AS13335",
        as_name: "Cloudflare, Inc.",
        as_domain: "cloudflare.com",
        country_code: "AU",
        continent_code: "OC",
      },
      { country: "AU", asn: 13335, as_org: "Cloudflare, Inc." },
    ],
    ["ipinfo country_asn.mmdb", { country: "JP", asn: "AS2500", as_name: "WIDE" }, {
      country: "JP",
      asn: 2500,
      as_org: "WIDE",
    }],
    ["country ipvAll", { country_code: "DE" }, { country: "DE" }],
  ];
  for (const [type, record, want] of layouts) {
    const source = new MmdbSource(
      `${type}.mmdb`,
      writeMmdb(type, [["8.8.8.0/24", record as never], ["2001:4860::/32", record as never]]),
    );
    for (const ip of ["8.8.8.8", "::ffff:8.8.8.8", GOOGLE_V6]) {
      const answer = source.lookup(ip);
      for (const [field, value] of Object.entries(want)) {
        deepStrictEqual(answer[field as keyof typeof answer], value, `${type} ${ip} ${field}`);
      }
    }
    const missing = source.lookup("9.9.9.9");
    deepStrictEqual([missing.country ?? null, missing.asn ?? null], [null, null], type);
  }
});

Deno.test("--geo-path: DB-IP Lite CSVs and mmdb files win over the embedded data, field by field, in both families", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  await Deno.writeTextFile(
    join(dir, "dbip-country-lite.csv"),
    "8.8.8.0,8.8.8.255,DE\n2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,DE\n",
  );
  await Deno.writeTextFile(
    join(dir, "dbip-asn-lite.csv"),
    '1.1.1.0,1.1.1.255,64500,"Example, ""Quoted"" Networks"\n2606:4700::,2606:4700:ffff:ffff:ffff:ffff:ffff:ffff,64500,"Example, ""Quoted"" Networks"\n',
  );
  await Deno.writeFile(
    join(dir, "GeoLite2-ASN.mmdb"),
    writeMmdb("GeoLite2-ASN", [["9.9.9.0/24", {
      autonomous_system_number: 64501,
      autonomous_system_organization: "Test Nine",
    }]]),
  );
  const notes: string[] = [];
  const geo = await openGeo({ lookupCountry: true, lookupAsn: true, geoPath: dir }, {
    files: platform.files,
    note: (l) => notes.push(l),
  });
  const lookup = geo.lookup!;
  deepStrictEqual(lookup.describe("8.8.8.8"), { country: "DE", asn: 15169, as_org: "Google LLC" });
  deepStrictEqual(lookup.describe("::ffff:8.8.8.8"), { country: "DE", asn: 15169, as_org: "Google LLC" });
  deepStrictEqual(lookup.describe(GOOGLE_V6), { country: "DE", asn: 15169, as_org: "Google LLC" });
  deepStrictEqual(lookup.describe("1.1.1.1").asn, 64500);
  deepStrictEqual(lookup.describe("1.1.1.1").as_org, 'Example, "Quoted" Networks');
  deepStrictEqual(lookup.describe("2606:4700::1111").asn, 64500);
  deepStrictEqual(lookup.describe("9.9.9.9").as_org, "Test Nine");
  deepStrictEqual(lookup.describe("8.8.4.4").country, "US"); // outside the user's ranges: embedded
  deepStrictEqual(notes.length, 1);
  match(
    notes[0] ?? "",
    /GeoIP: .*GeoLite2-ASN\.mmdb \(ASN\), .*dbip-asn-lite\.csv \(ASN\), .*dbip-country-lite\.csv \(country\)/,
  );
  deepStrictEqual(geo.attribution.filter((line) => line.includes("DB-IP")).length, 3); // two files + the embedded ASN line
  match(geo.attribution.join("\n"), /GeoLite2-ASN\.mmdb: GeoLite2 data created by MaxMind/);

  const countryOnly = await openGeo({ lookupCountry: true, lookupAsn: false, geoPath: dir }, {
    files: platform.files,
    note: () => {},
  });
  deepStrictEqual(countryOnly.lookup?.describe("8.8.8.8"), { country: "DE" });
  const off = await openGeo({ lookupCountry: false, lookupAsn: false, geoPath: dir }, {
    note: () => {},
    files: platform.files,
  });
  deepStrictEqual({ lookup: off.lookup, attribution: off.attribution }, { lookup: null, attribution: [] });
});

Deno.test("--geo-path: a cut-short or damaged CSV or mmdb is left out with one note, and the rest still answer", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const good = "8.8.8.0,8.8.8.255,DE\n";
  await Deno.writeTextFile(join(dir, "a-good.csv"), good);
  await Deno.writeTextFile(join(dir, "b-truncated.csv"), "9.9.9.0,9.9.9.255,CH\n1.1.1.0,1.1.1.2");
  await Deno.writeFile(join(dir, "c-binary.csv"), crypto.getRandomValues(new Uint8Array(4096)));
  const mmdb = writeMmdb("GeoLite2-Country", [["9.9.9.0/24", { country: { iso_code: "CH" } }]]);
  await Deno.writeFile(join(dir, "d-truncated.mmdb"), mmdb.subarray(0, Math.floor(mmdb.length * 0.6)));
  const damaged = mmdb.slice();
  damaged.fill(0xff, 0, 64); // the tree's first nodes point past the end
  await Deno.writeFile(join(dir, "e-damaged.mmdb"), damaged);
  await Deno.writeFile(
    join(dir, "f-empty.csv.gz"),
    await gzip("1.2.3.0,1.2.3.255,FR\n").then((b) => b.subarray(0, 12)),
  );
  await Deno.writeFile(join(dir, "g-good.csv.gz"), await gzip("9.9.9.0,9.9.9.255,CH\n"));
  const notes: string[] = [];
  const files = await loadGeoDirectory(dir, { io: geoFilesIo(platform.files), onNote: (l) => notes.push(l) });
  deepStrictEqual(files.map((f) => f.path.split("/").pop()), ["a-good.csv", "g-good.csv.gz"]);
  deepStrictEqual(notes.length, 5, notes.join("\n"));
  match(
    notes[0] ?? "",
    /b-truncated\.csv" is not used: it ends in the middle of a line, so it was cut short \(line 2/,
  );
  match(notes[1] ?? "", /c-binary\.csv" is not used: .*(do not read|no line)/);
  match(notes[2] ?? "", /d-truncated\.mmdb" is not used: not a MaxMind DB file/);
  match(notes[3] ?? "", /e-damaged\.mmdb" is not used: the file is damaged/);
  match(notes[4] ?? "", /f-empty\.csv\.gz" is not used: the gzip data is damaged or cut short/);
  for (const line of notes) deepStrictEqual(line.includes("\n"), false);

  const geo = await openGeo({ lookupCountry: true, lookupAsn: true, geoPath: dir }, {
    note: () => {},
    files: platform.files,
  });
  deepStrictEqual(geo.lookup?.describe("8.8.8.8").country, "DE");
  deepStrictEqual(geo.lookup?.describe("9.9.9.9").country, "CH");
});

Deno.test("--geo-path: a missing directory, or one without databases, is one sentence", async () => {
  await rejects(
    loadGeoDirectory("/nonexistent/geo", { io: geoFilesIo(platform.files) }),
    /cannot read "\/nonexistent\/geo": no such file or directory/,
  );
  await using emptyTemp = await tempDir();
  const empty = emptyTemp.path;
  await Deno.writeTextFile(join(empty, "notes.txt"), "nothing here");
  await rejects(
    loadGeoDirectory(empty, { io: geoFilesIo(platform.files) }),
    /holds no \.csv, \.csv\.gz or \.mmdb file/,
  );
});

Deno.test("--geo-path: a CSV with a few bad lines among many is used, with the lines counted", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const lines = Array.from(
    { length: 2000 },
    (_, i) => `10.${i >> 8}.${i & 255}.0,10.${i >> 8}.${i & 255}.255,NL`,
  );
  lines[500] = "10.1.244.0,10.1.244.255,Netherlands";
  await Deno.writeTextFile(join(dir, "dbip-country-lite.csv"), lines.join("\n") + "\n");
  const notes: string[] = [];
  const files = await loadGeoDirectory(dir, { io: geoFilesIo(platform.files), onNote: (l) => notes.push(l) });
  deepStrictEqual(files.length, 1);
  deepStrictEqual(notes, [
    `note: "${dir}/dbip-country-lite.csv": skipped 1 lines that do not read (line 501: the country is not a two-letter code)`,
  ]);
  deepStrictEqual(files[0]?.source.lookup("10.0.5.1").country, "NL");
});
