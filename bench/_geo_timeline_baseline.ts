/**
 * The timeline tool's GeoIP, written in TypeScript as the benchmark's
 * baseline: read the whole DB-IP CSV, parse every row (csv-parse, ipaddr.js,
 * integers for both families), sort by start, and bisect per lookup.
 */
import { parse } from "csv-parse/sync";
import ipaddr from "ipaddr.js";

/** One loaded CSV: parallel arrays sorted by start. */
export interface TimelineGeo {
  starts: bigint[];
  ends: bigint[];
  values: string[];
}

function toInteger(text: string): bigint {
  const bytes = ipaddr.parse(text).toByteArray();
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return bytes.length === 4 ? n : n | (1n << 128n); // keep the families apart
}

/** Load a CSV the timeline tool's way. */
export function loadTimelineGeo(path: string): TimelineGeo {
  const rows: string[][] = parse(Deno.readTextFileSync(path), { relax_column_count: true });
  const entries = rows.map((r) => ({
    start: toInteger(r[0] as string),
    end: toInteger(r[1] as string),
    value: r.slice(2).join(" "),
  }));
  entries.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return {
    starts: entries.map((e) => e.start),
    ends: entries.map((e) => e.end),
    values: entries.map((e) => e.value),
  };
}

/** The value for an address, or null (bisect, then check the end). */
export function timelineLookup(geo: TimelineGeo, ip: string): string | null {
  if (!ipaddr.isValid(ip)) return null;
  const n = toInteger(ip);
  let low = 0;
  let high = geo.starts.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((geo.starts[mid] as bigint) <= n) low = mid + 1;
    else high = mid;
  }
  const i = low - 1;
  return i >= 0 && (geo.ends[i] as bigint) >= n ? geo.values[i] as string : null;
}
