/**
 * Country and AS for an address from a chain of sources: the user's
 * databases first, the embedded one last. Each field comes from the first
 * source that knows it, so a user's country database still leaves the AS to
 * the embedded one. A source that turns out to be damaged is dropped with
 * one message.
 *
 * @module
 */
import { isLocalAddress } from "../model/address_scope.ts";
import type { AddressInfo } from "../model/address_info.ts";
import { type GeoSource, GeoTableSource } from "./geo_tables.ts";

/** Options of {@linkcode GeoLookup}. */
export interface GeoLookupOptions {
  country: boolean;
  asn: boolean;
  onNote?: (line: string) => void;
}

/** Answers kept for sources slower than the range tables (mmdb files). */
const CACHE_LIMIT = 50_000;

/** The lookup the monitor, `check` and exports use. */
export class GeoLookup {
  readonly #sources: GeoSource[];
  readonly #country: boolean;
  readonly #asn: boolean;
  readonly #note: (line: string) => void;
  #cache: Map<string, AddressInfo> | null;

  constructor(sources: readonly GeoSource[], options: GeoLookupOptions) {
    this.#sources = [...sources];
    this.#country = options.country;
    this.#asn = options.asn;
    this.#note = options.onNote ?? (() => {});
    this.#cache = this.#cacheFor(this.#sources);
  }

  #cacheFor(sources: readonly GeoSource[]): Map<string, AddressInfo> | null {
    return sources.every((s) => s instanceof GeoTableSource) ? null : new Map();
  }

  /**
   * Ask this source last, from now on (the embedded database, loaded once a
   * run meets its first public address); answers kept so far are dropped.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { GeoLookup } from "./geo_lookup.ts";
   * import { geoTablesFromCsv, GeoTableSource } from "./geo_tables.ts";
   * const geo = new GeoLookup([], { country: true, asn: false });
   * deepStrictEqual(geo.describe("8.8.8.8"), { country: null });
   * geo.addSource(new GeoTableSource("embedded", geoTablesFromCsv("8.8.8.0,8.8.8.255,US\n")));
   * deepStrictEqual(geo.describe("8.8.8.8"), { country: "US" });
   * ```
   */
  addSource(source: GeoSource): void {
    this.#sources.push(source);
    this.#cache = this.#cacheFor(this.#sources);
  }

  /**
   * The enabled fields for an address (`null` when no source knows). A
   * special-purpose address (private, loopback, link-local, CGNAT, multicast,
   * documentation and the other RFC 6890 ranges) has no country and no AS,
   * whatever a database says: it is not anyone's place on the internet.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { GeoLookup } from "./geo_lookup.ts";
   * import { geoTablesFromCsv, GeoTableSource } from "./geo_tables.ts";
   * const user = new GeoTableSource("mine.csv", geoTablesFromCsv("8.8.8.0,8.8.8.255,DE\n"));
   * const embedded = new GeoTableSource("embedded", geoTablesFromCsv("8.0.0.0,8.255.255.255,US\n8.8.8.0,8.8.8.255,15169,Google LLC\n"));
   * const geo = new GeoLookup([user, embedded], { country: true, asn: true });
   * deepStrictEqual(geo.describe("8.8.8.8"), { country: "DE", asn: 15169, as_org: "Google LLC" });
   * deepStrictEqual(geo.describe("8.1.2.3"), { country: "US", asn: null, as_org: null });
   * deepStrictEqual(geo.describe("10.0.0.1"), { country: null, asn: null, as_org: null });
   * ```
   */
  describe(ip: string): AddressInfo {
    const cached = this.#cache?.get(ip);
    if (cached !== undefined) return cached;
    const info: AddressInfo = {};
    if (this.#country) info.country = null;
    if (this.#asn) {
      info.asn = null;
      info.as_org = null;
    }
    if (isLocalAddress(ip)) return info;
    for (let i = 0; i < this.#sources.length; i++) {
      const needCountry = this.#country && info.country === null;
      const needAsn = this.#asn && info.asn === null;
      if (!needCountry && !needAsn) break;
      const source = this.#sources[i] as GeoSource;
      if (!(needCountry && source.hasCountry) && !(needAsn && source.hasAsn)) continue;
      let answer;
      try {
        answer = source.lookup(ip);
      } catch (error) {
        this.#note(
          `note: "${source.name}" is no longer used: ${error instanceof Error ? error.message : error}`,
        );
        this.#sources.splice(i--, 1);
        continue;
      }
      if (needCountry && answer.country) info.country = answer.country;
      if (needAsn && answer.asn) {
        info.asn = answer.asn;
        info.as_org = answer.as_org ?? null;
      }
    }
    if (this.#cache !== null) {
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(ip, info);
    }
    return info;
  }
}
