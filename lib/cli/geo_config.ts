/**
 * Country and AS lookups for the monitor and `conntrail check`: the
 * embedded database, with the user's `--geo-path` databases in front of it.
 *
 * @module
 */
import { embeddedGeoAttribution, loadEmbeddedGeo } from "../enrich/embedded_geo.ts";
import { geoFilesIo, loadGeoDirectory } from "../enrich/geo_files.ts";
import { GeoLookup } from "../enrich/geo_lookup.ts";
import type { GeoSource } from "../enrich/geo_tables.ts";
import { isLocalAddress } from "../model/address_scope.ts";
import type { Files } from "../platform/platform.ts";

/** The GeoIP flags. Country and AS lookups are on unless turned off: the data is embedded and offline. */
export interface GeoFlags {
  lookupCountry: boolean;
  lookupAsn: boolean;
  geoPath?: string;
}

/** What a run uses: the lookup (null when both lookups are off) and the credits to print with its data. */
export interface OpenedGeo {
  lookup: GeoLookup | null;
  attribution: string[];
  /**
   * Opened `lazy`: load the embedded database if one of these sockets' remote
   * addresses is a public one and it is not loaded yet (resolves at once
   * otherwise). Call it before anything describes the addresses. Takes the
   * sockets themselves: a poll of 21,000 makes no list of their addresses.
   */
  prepare(peers: readonly { readonly remote_ip: string | null }[]): Promise<void>;
}

const READY = (): Promise<void> => Promise.resolve();

/**
 * Load the databases the flags ask for; damaged user files are left out with a
 * note. `lazy`: the embedded database (10.7 MB, ~19 MB decoded) waits until
 * `prepare` meets a public address: a run that sees only loopback and private
 * peers never loads it, and every run starts sooner.
 */
export async function openGeo(
  flags: GeoFlags,
  options: { note: (line: string) => void; lazy?: boolean; files: Files },
): Promise<OpenedGeo> {
  if (!flags.lookupCountry && !flags.lookupAsn) return { lookup: null, attribution: [], prepare: READY };
  const sources: GeoSource[] = [];
  const attribution: string[] = [];
  if (flags.geoPath !== undefined) {
    const files = await loadGeoDirectory(flags.geoPath, {
      io: geoFilesIo(options.files),
      onNote: options.note,
    });
    for (const file of files) {
      sources.push(file.source);
      attribution.push(file.attribution);
    }
    if (files.length > 0) {
      options.note(
        `note: GeoIP: ${
          files.map((f) => `${f.path} (${f.carries})`).join(", ")
        }; the embedded data for the rest`,
      );
    }
  }
  const lookupOptions = { country: flags.lookupCountry, asn: flags.lookupAsn, onNote: options.note };
  if (!options.lazy) {
    const embedded = await loadEmbeddedGeo();
    sources.push(embedded.source);
    attribution.push(...embedded.info.attribution);
    return { lookup: new GeoLookup(sources, lookupOptions), attribution, prepare: READY };
  }
  attribution.push(...embeddedGeoAttribution());
  const lookup = new GeoLookup(sources, lookupOptions);
  let loading: Promise<void> | null = null;
  return {
    lookup,
    attribution,
    prepare(peers) {
      if (loading !== null) return loading;
      // Until a public address comes, every poll looks at every peer: the one just judged local is not judged again.
      let local: string | null = null;
      // Indexed, not for-of: Maglev (the top tier under --max-opt=2) makes a for-of's iterator results.
      for (let i = 0; i < peers.length; i++) {
        const ip = peers[i]!.remote_ip;
        if (ip === null || ip === local) continue;
        if (isLocalAddress(ip)) {
          local = ip;
          continue;
        }
        loading = loadEmbeddedGeo().then((embedded) => lookup.addSource(embedded.source));
        return loading;
      }
      return Promise.resolve();
    },
  };
}
