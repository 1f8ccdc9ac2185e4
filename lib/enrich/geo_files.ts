/**
 * The user's GeoIP databases (`--geo-path DIR`): DB-IP Lite CSVs (plain or
 * `.csv.gz`) and MaxMind DB files. This is the one place that reads them. A
 * file that is cut short or damaged is left out with one message; the others,
 * and the embedded database, still answer.
 *
 * @module
 */
import { parseGeoCsv } from "../parse/geo_csv.ts";
import { isSystemError, PermissionError } from "../model/errors.ts";
import type { Files } from "../platform/platform.ts";
import { RefusedFileError, userFiles } from "../platform/user_files.ts";
import { type GeoSource, GeoTablesBuilder, GeoTableSource } from "./geo_tables.ts";
import { thousands } from "../model/thousands.ts";
import { concatBytes } from "../model/concat_bytes.ts";

/** How the directory is read; tests pass their own. */
export interface GeoFilesIo {
  list: (dir: string) => Promise<string[]>;
  /** A file's bytes; past `maxBytes` it is refused with one sentence. */
  read: (path: string, flagPath: string, maxBytes: number) => Promise<Uint8Array>;
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
  /** How the directory is read: {@linkcode geoFilesIo} on the platform's files, or a test's. */
  io: GeoFilesIo;
  /** One line per file that was left out or had lines skipped. */
  onNote?: (line: string) => void;
}

/** The user's directory on these files. */
export function geoFilesIo(files: Files): GeoFilesIo {
  const user = userFiles(files);
  return {
    list: (dir) => user.listUserDirectory(dir),
    read: (path, flagPath, maxBytes) =>
      user.readUserBytes(path, flagPath, { maxBytes, what: "a GeoIP database" }),
  };
}

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

/**
 * The largest CSV database read, plain or once expanded. Its text and its
 * rows are held while it is read, and the shipped V8 flags cap the heap at
 * 256 MB: 32 MiB fitted, 48 MiB did not. An .mmdb of any size is read
 * outside that heap.
 */
export const MAX_GEO_CSV_BYTES = 32 * 1024 * 1024;
/**
 * The largest .mmdb file read. Its bytes stay outside the JavaScript heap, but
 * they are read whole: the largest real ones (city editions) are 70–130 MB.
 */
export const MAX_MMDB_BYTES = 256 * 1024 * 1024;

const TOO_LARGE = `it is larger than the ${MAX_GEO_CSV_BYTES / (1024 * 1024)} MiB a CSV database may be ` +
  "(its .mmdb edition may be up to 256 MiB)";

const GZIP_SLICE_BYTES = 4096;

/** Expand gzip data, stopping as soon as it passes `limit` bytes (a small .gz can expand to gigabytes). */
async function gunzip(bytes: Uint8Array, limit: number): Promise<Uint8Array> {
  // Fed a few KiB at a time: deflate expands at most ~1,000 times, so one slice yields at most a few
  // MiB, and nothing past the limit is expanded (the whole input at once would be, in one go).
  let offset = 0;
  const input = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + GZIP_SLICE_BYTES) as Uint8Array<ArrayBuffer>);
      offset += GZIP_SLICE_BYTES;
    },
  }, { highWaterMark: 0 });
  const stream = input.pipeThrough(new DecompressionStream("gzip"));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch {
      throw new Error("the gzip data is damaged or cut short");
    }
    if (next.done) break;
    size += next.value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new Error(TOO_LARGE.replace("it is larger than", "it expands to more than"));
    }
    chunks.push(next.value);
  }
  return concatBytes(chunks);
}

async function csvSource(path: string, bytes: Uint8Array, note: (line: string) => void): Promise<GeoSource> {
  if (path.toLowerCase().endsWith(".gz")) bytes = await gunzip(bytes, MAX_GEO_CSV_BYTES);
  else if (bytes.length > MAX_GEO_CSV_BYTES) throw new Error(TOO_LARGE);
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
      `${thousands(damaged)} of its lines do not read, so it looks damaged${where}`,
    );
  }
  if (result.truncated) throw new Error(`it ends in the middle of a line, so it was cut short${where}`);
  if (result.skipped > 0) note(`note: "${path}": skipped ${result.skipped} lines that do not read${where}`);
  return new GeoTableSource(path, builder.build());
}

/** A database's bytes; a file that cannot be read (a broken link, a FIFO) is said, not fatal. */
async function readGeoFile(io: GeoFilesIo, path: string, dir: string, name: string): Promise<Uint8Array> {
  try {
    // A plain CSV is refused past its limit before it is read; a .gz is bounded as it expands.
    const limit = /\.csv$/i.test(name) ? MAX_GEO_CSV_BYTES : MAX_MMDB_BYTES;
    return await io.read(path, dir, limit);
  } catch (error) {
    if (error instanceof PermissionError) throw error;
    if (error instanceof RefusedFileError) {
      throw new Error(/larger/.test(error.reason) && /\.csv$/i.test(name) ? TOO_LARGE : error.reason);
    }
    if (error instanceof Error && isSystemError(error.cause, "NotFound")) {
      throw new Error("it is a link to a file that does not exist");
    }
    throw error;
  }
}

/**
 * Load every `.csv`, `.csv.gz` and `.mmdb` file in `dir`, in name order. Throws
 * (one sentence) when the directory cannot be read or holds none of them.
 */
export async function loadGeoDirectory(dir: string, options: GeoFilesOptions): Promise<LoadedGeoFile[]> {
  const io = options.io;
  const note = options.onNote ?? (() => {});
  const names = (await io.list(dir)).filter((name) => /\.(csv|csv\.gz|mmdb)$/i.test(name));
  if (names.length === 0) throw new Error(`"${dir}" holds no .csv, .csv.gz or .mmdb file`);
  const loaded: LoadedGeoFile[] = [];
  for (const name of names) {
    const path = `${dir.replace(/[\\/]+$/, "")}/${name}`;
    try {
      const bytes = await readGeoFile(io, path, dir, name);
      let source: GeoSource;
      let databaseType = "";
      if (name.toLowerCase().endsWith(".mmdb")) {
        // mmdb-lib is CommonJS (Deno's CommonJS loader, ~6 MiB of RSS at import): loaded only when there
        // is an mmdb file to read.
        const { loadMmdbBuffer, MmdbSource } = await import("./geo_mmdb.ts");
        await loadMmdbBuffer();
        const mmdb = new MmdbSource(path, bytes);
        source = mmdb;
        databaseType = mmdb.databaseType;
      } else {
        source = await csvSource(path, bytes, note);
      }
      const carries = [source.hasCountry ? "country" : "", source.hasAsn ? "ASN" : ""].filter(Boolean).join(
        ", ",
      );
      loaded.push({ path, source, attribution: attributionOf(name, databaseType), carries });
    } catch (error) {
      if (error instanceof PermissionError) throw error;
      note(`note: "${path}" is not used: ${error instanceof Error ? error.message : error}`);
    }
  }
  return loaded;
}
