/**
 * Parse what `find /proc/<pid>/exe … -maxdepth 0 -printf '%p\t%l\0'` prints:
 * NUL-terminated records of a link and its target, so that a path holding
 * newlines or tabs stays whole and an unreadable link (printed to stderr
 * instead) cannot shift the others.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseExeLinks } from "./exe_links.ts";
 * deepStrictEqual(parseExeLinks("/proc/42/exe\t/usr/bin/python3.11\0/proc/7/exe\t\0"),
 *   new Map([[42, "/usr/bin/python3.11"]]));
 * ```
 */
export function parseExeLinks(text: string): Map<number, string> {
  const paths = new Map<number, string>();
  for (const record of text.split("\0")) {
    const tab = record.indexOf("\t");
    const match = /^\/proc\/(\d+)\/exe$/.exec(record.slice(0, tab));
    const target = record.slice(tab + 1);
    if (tab > 0 && match !== null && target !== "") paths.set(Number(match[1]), target);
  }
  return paths;
}
