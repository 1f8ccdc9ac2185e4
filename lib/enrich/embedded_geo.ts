/**
 * The GeoIP/ASN database built into conntrail (`data/geo.bin`, made by
 * `deno task geo:build`). It is imported as bytes, so it travels inside the
 * compiled binary and needs no read permission.
 *
 * @module
 */
import geoSources from "../../data/geo-sources.json" with { type: "json" };
import { decodeGeoFile, type GeoFileInfo } from "./geo_format.ts";
import { GeoTableSource } from "./geo_tables.ts";

/**
 * The credits of the embedded data, without loading it: `data/geo-sources.json`
 * is written with `data/geo.bin` and holds the same lines as its header.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { embeddedGeoAttribution, loadEmbeddedGeo } from "./embedded_geo.ts";
 * deepStrictEqual(embeddedGeoAttribution(), (await loadEmbeddedGeo()).info.attribution);
 * ```
 */
export function embeddedGeoAttribution(): string[] {
  return [...geoSources.attribution];
}

/** The embedded database and what it says about its sources. */
export interface EmbeddedGeo {
  source: GeoTableSource;
  info: GeoFileInfo;
}

let loaded: Promise<EmbeddedGeo> | undefined;

/**
 * Load the embedded database once (later calls share it).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { loadEmbeddedGeo } from "./embedded_geo.ts";
 * const { source } = await loadEmbeddedGeo();
 * deepStrictEqual(source.lookup("8.8.8.8").asn, 15169);
 * ```
 */
export function loadEmbeddedGeo(): Promise<EmbeddedGeo> {
  loaded ??= (async () => {
    const { default: bytes } = await import("../../data/geo.bin", { with: { type: "bytes" } });
    const { tables, info } = decodeGeoFile(bytes);
    return { source: new GeoTableSource("embedded", tables), info };
  })();
  return loaded;
}
