/** A public block list `conntrail blocklist update` can download. */
export interface PublicList {
  name: string;
  url: string;
  /** Where a mirror (`--mirror URL`) keeps it, as the sources lay their files out. */
  mirrorPath: string;
  /** The file name in the data directory. */
  fileName: string;
  description: string;
}

function firehol(level: number, description: string): PublicList {
  return {
    name: `firehol_level${level}`,
    url: `https://iplists.firehol.org/files/firehol_level${level}.netset`,
    mirrorPath: `firehol/firehol_level${level}.netset`,
    fileName: `firehol_level${level}.netset`,
    description,
  };
}

function ipsum(level: number): PublicList {
  return {
    name: `ipsum_level${level}`,
    url: `https://raw.githubusercontent.com/stamparm/ipsum/master/levels/${level}.txt`,
    mirrorPath: `ipsum/levels/${level}.txt`,
    fileName: `ipsum_level${level}.txt`,
    description: `addresses on at least ${level} of ipsum's 30+ feeds (Unlicense)`,
  };
}

/** Every list `conntrail blocklist update` knows, by name. */
export const PUBLIC_LISTS: readonly PublicList[] = [
  firehol(1, "FireHOL level 1: attacks, includes bogons (matched only with --include-private)"),
  firehol(2, "FireHOL level 2: attacks in the last 48 hours"),
  firehol(3, "FireHOL level 3: attacks, spyware, viruses in the last 30 days"),
  {
    name: "spamhaus_drop",
    url: "https://www.spamhaus.org/drop/drop.txt",
    mirrorPath: "spamhaus/drop.txt",
    fileName: "spamhaus_drop.txt",
    description: "Spamhaus DROP: hijacked networks, IPv4 (Spamhaus DROP terms; at most one download an hour)",
  },
  {
    name: "spamhaus_dropv6",
    url: "https://www.spamhaus.org/drop/dropv6.txt",
    mirrorPath: "spamhaus/dropv6.txt",
    fileName: "spamhaus_dropv6.txt",
    description: "Spamhaus DROPv6: hijacked networks, IPv6",
  },
  ...[1, 2, 3, 4, 5, 6, 7, 8].map(ipsum),
];

/** The lists updated when none is named and none was downloaded before. */
export const DEFAULT_PUBLIC_LISTS = ["firehol_level1", "spamhaus_drop", "spamhaus_dropv6"] as const;

/** The list of this name, or undefined. */
export function publicList(name: string): PublicList | undefined {
  return PUBLIC_LISTS.find((list) => list.name === name);
}

/**
 * Where to download a list from: its source, or the same path under a mirror.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { listUrl, publicList } from "./public_lists.ts";
 * const drop = publicList("spamhaus_drop")!;
 * deepStrictEqual(listUrl(drop), "https://www.spamhaus.org/drop/drop.txt");
 * deepStrictEqual(listUrl(drop, "http://127.0.0.1:8080/lists/"), "http://127.0.0.1:8080/lists/spamhaus/drop.txt");
 * ```
 */
export function listUrl(list: PublicList, mirror?: string): string {
  if (mirror === undefined) return list.url;
  return new URL(list.mirrorPath, mirror.endsWith("/") ? mirror : `${mirror}/`).href;
}
