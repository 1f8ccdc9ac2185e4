/**
 * Country and AS lookups for the monitor and `conntrail check`: the
 * embedded database, with the user's `--geo-path` databases in front of it.
 *
 * @module
 */
import { loadEmbeddedGeo } from "../enrich/embedded_geo.ts";
import { loadGeoDirectory } from "../enrich/geo_files.ts";
import { GeoLookup } from "../enrich/geo_lookup.ts";
import type { GeoSource } from "../enrich/geo_tables.ts";

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
}

/** Load the databases the flags ask for; damaged user files are left out with a note. */
export async function openGeo(
  flags: GeoFlags,
  options: { note: (line: string) => void },
): Promise<OpenedGeo> {
  if (!flags.lookupCountry && !flags.lookupAsn) return { lookup: null, attribution: [] };
  const sources: GeoSource[] = [];
  const attribution: string[] = [];
  if (flags.geoPath !== undefined) {
    const files = await loadGeoDirectory(flags.geoPath, { onNote: options.note });
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
  const embedded = await loadEmbeddedGeo();
  sources.push(embedded.source);
  attribution.push(...embedded.info.attribution);
  return {
    lookup: new GeoLookup(sources, {
      country: flags.lookupCountry,
      asn: flags.lookupAsn,
      onNote: options.note,
    }),
    attribution,
  };
}
