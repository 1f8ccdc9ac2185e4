/**
 * The user's GeoIP databases (`--geo-path DIR`): DB-IP Lite CSVs (plain or
 * `.csv.gz`) and MaxMind DB files. This is the one place that reads them. A
 * file that is cut short or damaged is left out with one message; the others,
 * and the embedded database, still answer.
 *
 * @module
 */
import { parseGeoCsv } from "../parse/geo_csv.ts";
import { listUserDirectory, readUserBytes } from "../store/user_files.ts";
import { MmdbSource } from "./geo_mmdb.ts";
import { type GeoSource, GeoTablesBuilder, GeoTableSource } from "./geo_tables.ts";

/** How the directory is read; tests pass their own. */
export interface GeoFilesIo {
  list: (dir: string) => Promise<string[]>;
  read: (path: string, flagPath: string) => Promise<Uint8Array>;
}

/** A database that loaded. */
export interface LoadedGeoFile {
  path: string;
  source: GeoSource;
  /** The credit its licence asks for. */
  attribution: string;
  /** `country`, `ASN` or `country, ASN`. */
  carries: string;
}

/** Options of {@linkcode loadGeoDirectory}. */
export interface GeoFilesOptions {
  io?: GeoFilesIo;
  /** One line per file that was left out or had lines skipped. */
  onNote?: (line: string) => void;
}

const denoGeoFilesIo: GeoFilesIo = { list: listUserDirectory, read: readUserBytes };

/** Lines that may fail to read before a CSV counts as damaged: 1 in 1,000. */
const SKIPPABLE_SHARE = 0.001;

function attributionOf(name: string, databaseType: string): string {
  const label = `${name} ${databaseType}`.toLowerCase();
  if (label.includes("dbip") || label.includes("db-ip")) {
    return `${name}: IP Geolocation by DB-IP (https://db-ip.com)`;
  }
  if (label.includes("geolite") || label.includes("geoip2")) {
    return `${name}: GeoLite2 data created by MaxMind, available from https://www.maxmind.com`;
  }
  if (label.includes("ipinfo")) return `${name}: IP address data powered by IPinfo (https://ipinfo.io)`;
  return name;
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function csvSource(path: string, bytes: Uint8Array, note: (line: string) => void): Promise<GeoSource> {
  if (path.toLowerCase().endsWith(".gz")) {
    try {
      bytes = await gunzip(bytes);
    } catch {
      throw new Error("the gzip data is damaged or cut short");
    }
  }
  const builder = new GeoTablesBuilder();
  const result = parseGeoCsv(new TextDecoder().decode(bytes), builder);
  const first = result.examples[0];
  const where = first === undefined ? "" : ` (line ${first.line}: ${first.reason})`;
  if (result.rows === 0) {
    throw new Error(`no line is a DB-IP CSV row (start,end,country or start,end,asn,org)${where}`);
  }
  // The cut-off last line of a truncated file is said as such, not counted as damage.
  const damaged = result.skipped - (result.truncated ? 1 : 0);
  if (damaged > (result.rows + result.skipped) * SKIPPABLE_SHARE) {
    throw new Error(
      `${damaged.toLocaleString("en")} of its lines do not read, so it looks damaged${where}`,
    );
  }
  if (result.truncated) throw new Error(`it ends in the middle of a line, so it was cut short${where}`);
  if (result.skipped > 0) note(`note: "${path}": skipped ${result.skipped} lines that do not read${where}`);
  return new GeoTableSource(path, builder.build());
}

/**
 * Load every `.csv`, `.csv.gz` and `.mmdb` file in `dir`, in name order. Throws
 * (one sentence) when the directory cannot be read or holds none of them.
 */
export async function loadGeoDirectory(dir: string, options: GeoFilesOptions = {}): Promise<LoadedGeoFile[]> {
  const io = options.io ?? denoGeoFilesIo;
  const note = options.onNote ?? (() => {});
  const names = (await io.list(dir)).filter((name) => /\.(csv|csv\.gz|mmdb)$/i.test(name));
  if (names.length === 0) throw new Error(`"${dir}" holds no .csv, .csv.gz or .mmdb file`);
  const loaded: LoadedGeoFile[] = [];
  for (const name of names) {
    const path = `${dir.replace(/[\\/]+$/, "")}/${name}`;
    const bytes = await io.read(path, dir);
    try {
      const source = name.toLowerCase().endsWith(".mmdb")
        ? new MmdbSource(path, bytes)
        : await csvSource(path, bytes, note);
      const carries = [source.hasCountry ? "country" : "", source.hasAsn ? "ASN" : ""].filter(Boolean).join(
        ", ",
      );
      const databaseType = source instanceof MmdbSource ? source.databaseType : "";
      loaded.push({ path, source, attribution: attributionOf(name, databaseType), carries });
    } catch (error) {
      note(`note: "${path}" is not used: ${error instanceof Error ? error.message : error}`);
    }
  }
  return loaded;
}
