import { MAX_LIST_BYTES } from "../enrich/blocklist_files.ts";
import { UnusableFileError } from "../model/errors.ts";
import { IpRangeSet } from "../model/ip_range_set.ts";
import { parseBlocklist } from "../parse/blocklist.ts";
import type { Files } from "../platform/platform.ts";
import { userFiles } from "../platform/user_files.ts";
import { thousands } from "../model/thousands.ts";

/** Skipped lines of a filter file said one by one; the rest are counted. */
const JUNK_LINES_SAID = 10;

/**
 * The addresses `--filter-file` hides: every IP, CIDR and range of the files,
 * as one set (null when no file is given). Lines that are not addresses are
 * said (the first ten) and counted; a file past the list limit is refused.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { filterRanges } from "./filter_ranges.ts";
 * import { denoPlatform } from "../platform/deno_platform.ts";
 * deepStrictEqual(await filterRanges([], { files: denoPlatform().files, warn: () => {} }), null);
 * ```
 */
export async function filterRanges(
  paths: readonly string[],
  io: { files: Files; warn: (line: string) => void },
): Promise<IpRangeSet | null> {
  if (paths.length === 0) return null;
  const { warn } = io;
  const user = userFiles(io.files);
  const starts: Uint32Array[] = [];
  const ends: Uint32Array[] = [];
  const v6: { first: bigint; last: bigint }[] = [];
  for (const file of paths) {
    // The block-list reader keeps entries in typed arrays: a file of millions of entries fits the heap.
    const list = parseBlocklist(
      await user.readUserFile(file, { maxBytes: MAX_LIST_BYTES, what: "a filter file" }),
    );
    if (list.overLimit !== null) {
      throw new UnusableFileError(`"${file}" holds ${list.overLimit}, the most a filter file may hold`);
    }
    const junk = [
      ...list.skipped.map((s) => ({ at: Number(s.line.split(":")[0]), why: "not an IP address or CIDR" })),
      ...list.domains.slice(0, JUNK_LINES_SAID).map((d) => ({
        at: d.line,
        why: "a domain; a filter file holds IPs and CIDRs",
      })),
    ].sort((a, b) => a.at - b.at);
    for (const { at, why } of junk.slice(0, JUNK_LINES_SAID)) warn(`note: ${file}:${at} skipped: ${why}`);
    const more = list.skippedCount + list.domains.length - Math.min(junk.length, JUNK_LINES_SAID);
    if (more > 0) warn(`note: ${file}: ${thousands(more)} more lines skipped`);
    starts.push(list.v4.starts);
    ends.push(list.v4.ends);
    for (const range of list.v6) v6.push(range);
  }
  return IpRangeSet.fromNumbers(concatenated(starts), concatenated(ends), v6);
}

function concatenated(parts: readonly Uint32Array[]): Uint32Array {
  const all = new Uint32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}
