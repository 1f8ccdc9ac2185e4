/**
 * MaxMind DB (`.mmdb`) files as a GeoIP source, read with mmdb-lib: MaxMind
 * GeoLite2 Country/City/ASN, DB-IP Lite, IPinfo, and the flat `country_code`
 * layout of ip-location-db. The record layouts differ; {@linkcode mmdbAnswer}
 * reads all of them.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { Reader } from "mmdb-lib";
import { ipWords } from "../model/ip_words.ts";
import { ipv4Text } from "../parse/blocklist.ts";
import type { GeoAnswer, GeoSource } from "./geo_tables.ts";
import { thousands } from "../model/thousands.ts";

type MmdbRecord = Record<string, unknown>;

function field(record: MmdbRecord, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function isoCode(value: unknown): string | null {
  const code = typeof value === "object" && value !== null ? field(value as MmdbRecord, "iso_code") : value;
  return typeof code === "string" && /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : null;
}

function asNumber(value: unknown): number | null {
  if (typeof value === "number") {
    return Number.isInteger(value) && value > 0 && value <= 0xffffffff ? value : null;
  }
  if (typeof value === "string") {
    const match = /^(?:AS)?(\d{1,10})$/i.exec(value);
    return match ? asNumber(Number(match[1])) : null;
  }
  return null;
}

/**
 * Country, AS number and organisation from one record of any of the layouts:
 *
 *   GeoLite2 / DB-IP   `{ country: { iso_code }, registered_country: { iso_code } }`,
 *                      `{ autonomous_system_number, autonomous_system_organization }`
 *   IPinfo             `{ country_code | country: "US", asn: "AS15169", as_name }`
 *   ip-location-db     `{ country_code: "US" }`
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { mmdbAnswer } from "./geo_mmdb.ts";
 * deepStrictEqual(mmdbAnswer({ country: { iso_code: "US" } }), { country: "US", asn: null, as_org: null });
 * deepStrictEqual(mmdbAnswer({ country: "US", asn: "AS15169", as_name: "Google LLC" }), { country: "US", asn: 15169, as_org: "Google LLC" });
 * ```
 */
export function mmdbAnswer(record: unknown): Required<GeoAnswer> {
  if (typeof record !== "object" || record === null) return { country: null, asn: null, as_org: null };
  const r = record as MmdbRecord;
  const country = isoCode(field(r, "country")) ?? isoCode(field(r, "country_code")) ??
    isoCode(field(r, "registered_country"));
  const asn = asNumber(field(r, "autonomous_system_number")) ?? asNumber(field(r, "asn"));
  const org = field(r, "autonomous_system_organization") ?? field(r, "as_name") ?? field(r, "as_org");
  return { country, asn, as_org: asn !== null && typeof org === "string" && org !== "" ? org : null };
}

/** Pointers one lookup may follow: a real record follows a few dozen (names in each language, shared maps). */
const MAX_POINTERS = 10_000;

/**
 * mmdb-lib's cache for one lookup: each pointer's target is decoded once (the decoder asks it before
 * following a pointer), and a record that follows more than {@linkcode MAX_POINTERS} pointers is damaged.
 * Without it, a 1.5 KB file whose record is an array of 20 pointers to an array of 20 pointers …, six deep,
 * made the decoder build 64 million values: 4 GiB and "Fatal JavaScript out of memory" while opening it.
 */
class PointerBudget {
  readonly #targets = new Map<string | number, unknown>();
  #followed = 0;

  /** Start a lookup. */
  reset(): void {
    this.#targets.clear();
    this.#followed = 0;
  }

  get(key: string | number): unknown {
    if (++this.#followed > MAX_POINTERS) {
      throw new Error(`a record follows more than ${thousands(MAX_POINTERS)} pointers`);
    }
    return this.#targets.get(key);
  }

  set(key: string | number, value: unknown): void {
    this.#targets.set(key, value);
  }
}

/** What ends the data section and starts the metadata: `\xab\xcd\xefMaxMind.com`. */
const METADATA_MARKER = [0xab, 0xcd, 0xef, ...new TextEncoder().encode("MaxMind.com")];
/** Values the metadata may hold, pointers' targets counted each time: a real file's holds a few dozen. */
const MAX_METADATA_VALUES = 10_000;
/** What the two-, three- and four-byte pointer forms add to their value. */
const POINTER_BASES = [0, 2048, 526_336, 0];

/**
 * Throw when the metadata would cost mmdb-lib more than {@linkcode MAX_METADATA_VALUES} values to decode:
 * it decodes the metadata before anything else, following its pointers with no cache, so a pointer bomb
 * there (as in a record, see {@linkcode PointerBudget}) would exhaust memory before a lookup could be
 * bounded. The walk reads what mmdb-lib's decoder reads, in the same order.
 */
function checkMetadataSize(bytes: Uint8Array): void {
  // The format keeps the metadata in the file's last 128 KiB.
  const floor = Math.max(0, bytes.length - 128 * 1024 - METADATA_MARKER.length);
  let at = bytes.length - METADATA_MARKER.length;
  while (at >= floor && !METADATA_MARKER.every((byte, i) => bytes[at + i] === byte)) at--;
  if (at < floor) return; // mmdb-lib says what is wrong
  const base = at + METADATA_MARKER.length;
  let values = 0;
  const byte = (offset: number) => {
    if (offset >= bytes.length) throw new Error("its metadata is cut short");
    return bytes[offset] as number;
  };
  const walk = (start: number, depth: number): number => {
    if (++values > MAX_METADATA_VALUES || depth > 64) {
      throw new Error(`its metadata holds more than ${thousands(MAX_METADATA_VALUES)} values`);
    }
    let offset = start;
    const control = byte(offset++);
    let type = control >> 5;
    if (type === 1) {
      const size = (control >> 3) & 3;
      let value = size === 3 ? 0 : control & 7;
      for (let i = 0; i <= size; i++) value = value * 256 + byte(offset + i);
      if (size === 3) value = value % 2 ** 32;
      walk(base + (POINTER_BASES[size] as number) + value, depth + 1);
      return offset + size + 1;
    }
    if (type === 0) type = byte(offset++) + 7;
    let size = control & 31;
    if (size === 29) size = 29 + byte(offset++);
    else if (size === 30) size = 285 + byte(offset++) * 256 + byte(offset++);
    else if (size === 31) size = 65_821 + byte(offset++) * 65_536 + byte(offset++) * 256 + byte(offset++);
    if (type === 7 || type === 11) {
      for (let i = 0; i < size * (type === 7 ? 2 : 1); i++) offset = walk(offset, depth + 1);
      return offset;
    }
    // A boolean's size is its value; every other type's payload is `size` bytes.
    return type === 14 ? offset : offset + size;
  };
  walk(base, 0);
}

/** Addresses tried when a file is opened, so that a damaged tree fails then rather than mid-run. */
const PROBES = ["8.8.8.8", "1.1.1.1", "193.0.6.139", "2001:4860:4860::8888", "2a00:1450:4001::1"];

/**
 * node:buffer's `Buffer`, which mmdb-lib reads a file through: imported by {@linkcode loadMmdbBuffer} before the
 * first mmdb file is read, not at start. A bundle hoists a static `import … from "node:buffer"` to its top, whichever
 * module holds it, and Deno then loads its Node compatibility layer for every command: +4.5 MiB of peak RSS for
 * an empty script that imports it, 27.1 -> 31.8 MiB.
 */
let NodeBuffer: typeof Buffer | undefined;

/**
 * Import node:buffer (once), which {@linkcode MmdbSource} needs: await it before the first one is made.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { loadMmdbBuffer, MmdbSource } from "./geo_mmdb.ts";
 * await loadMmdbBuffer();
 * throws(() => new MmdbSource("empty.mmdb", new Uint8Array()), /not a MaxMind DB file/);
 * ```
 */
export async function loadMmdbBuffer(): Promise<void> {
  NodeBuffer ??= (await import("node:buffer")).Buffer;
}

/** A {@linkcode GeoSource} over an mmdb file's bytes (after {@linkcode loadMmdbBuffer}). */
export class MmdbSource implements GeoSource {
  readonly name: string;
  readonly hasCountry: boolean;
  readonly hasAsn: boolean;
  /** What the file calls itself (`GeoLite2-City`, `DBIP-ASN-Lite`, …). */
  readonly databaseType: string;
  readonly #reader: Reader<MmdbRecord>;
  readonly #budget = new PointerBudget();
  readonly #ipv4Only: boolean;
  readonly #words = new Uint32Array(4);

  /** Throws an Error saying what is wrong when the bytes are not a readable MaxMind DB. */
  constructor(name: string, bytes: Uint8Array) {
    this.name = name;
    const NodeBufferLoaded = NodeBuffer;
    if (NodeBufferLoaded === undefined) {
      throw new Error("node:buffer is not loaded: await loadMmdbBuffer() first");
    }
    try {
      checkMetadataSize(bytes);
      this.#reader = new Reader<MmdbRecord>(
        NodeBufferLoaded.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        {
          cache: this.#budget,
        },
      );
    } catch (error) {
      throw new Error(`not a MaxMind DB file (${error instanceof Error ? error.message : error})`);
    }
    const metadata = this.#reader.metadata;
    if (
      metadata.binaryFormatMajorVersion !== 2 || ![24, 28, 32].includes(metadata.recordSize) ||
      ![4, 6].includes(metadata.ipVersion) || !(metadata.nodeCount > 0) ||
      metadata.searchTreeSize + 16 > bytes.byteLength
    ) {
      throw new Error("not a MaxMind DB file (its metadata does not describe this file)");
    }
    this.databaseType = String(metadata.databaseType ?? "");
    this.#ipv4Only = metadata.ipVersion === 4;
    let sawCountry = false;
    let sawAsn = false;
    for (const probe of PROBES) {
      const answer = this.#get(probe);
      sawCountry ||= answer.country !== null;
      sawAsn ||= answer.asn !== null;
    }
    const type = this.databaseType.toLowerCase();
    const typeSaysAsn = /\basn\b|_asn|asn_|-asn/.test(type);
    const typeSaysCountry = /country|city/.test(type);
    this.hasAsn = sawAsn || typeSaysAsn || (!typeSaysCountry && !sawCountry);
    this.hasCountry = sawCountry || typeSaysCountry || (!typeSaysAsn && !sawAsn);
  }

  #get(ip: string): Required<GeoAnswer> {
    const family = ipWords(ip, this.#words);
    if (family === 0 || (family === 6 && this.#ipv4Only)) return { country: null, asn: null, as_org: null };
    const text = family === 4 ? ipv4Text(this.#words[0] as number) : ip.split("%")[0] as string;
    try {
      this.#budget.reset();
      return mmdbAnswer(this.#reader.get(text));
    } catch (error) {
      throw new Error(`the file is damaged (${error instanceof Error ? error.message : error})`);
    }
  }

  /** Throws when the file turns out to be damaged at this address. */
  lookup(ip: string): GeoAnswer {
    const answer = this.#get(ip);
    const out: GeoAnswer = {};
    if (this.hasCountry) out.country = answer.country;
    if (this.hasAsn) {
      out.asn = answer.asn;
      out.as_org = answer.as_org;
    }
    return out;
  }
}
