/**
 * Parsers for conntrail's own walk of every process's descriptors (what `ss -p` does, at about half the
 * cost): `find -L /proc … -type s -printf '%i %h\n'` lists each socket descriptor as its socket's inode
 * and the descriptor's folder, and `ps -o pid=,comm= -p <pids>` names the processes.
 *
 * @module
 */
import type { SkippedLine } from "./parse_result.ts";

/** The sockets' owners a walk found: the pid by socket inode, and the lines that were not a socket's. */
export interface SocketLinks {
  pids: Map<number, number>;
  skipped: SkippedLine[];
}

/** The value of the digits of `text` from `start` to `end`, or -1 if there are none or another character. */
function digitsIn(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

const PROC = Array.from(" /proc/", (c) => c.charCodeAt(0));
const FD = Array.from("/fd", (c) => c.charCodeAt(0));
/** Longer lines are no socket's: 20 digits, " /proc/", 10 digits, "/fd". */
const MAX_LINE = 64;
const decoder = new TextDecoder();

/**
 * Read what `find -L /proc … -type s -printf '%i %h\n'` prints, as it comes (bytes, never decoded but for a
 * line it skips): a line per socket descriptor, the socket's inode and `/proc/<pid>/fd`. A socket several
 * processes hold (a listener shared by forked workers) goes to the one listed last, the process `ss -p`
 * prints first (it adds each owner in front of the others). Any other line is skipped with its reason.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { SocketLinksReader } from "./socket_walk.ts";
 * const reader = new SocketLinksReader();
 * const bytes = new TextEncoder().encode("18837 /proc/11541/fd\n2558470 /proc/905/fd\n18837 /proc/11600/fd\n");
 * reader.push(bytes.subarray(0, 30));
 * reader.push(bytes.subarray(30));
 * deepStrictEqual(reader.end().pids, new Map([[18837, 11600], [2558470, 905]]));
 * ```
 */
export class SocketLinksReader {
  #pids = new Map<number, number>();
  #skipped: SkippedLine[] = [];
  #line = new Uint8Array(MAX_LINE);
  /** Bytes of the line so far (past MAX_LINE only counted). */
  #length = 0;

  /** Read a chunk of find's output; it may end in the middle of a line. */
  push(chunk: Uint8Array): void {
    const line = this.#line;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 10) {
        this.#read();
        continue;
      }
      if (this.#length < MAX_LINE) line[this.#length] = byte;
      this.#length++;
    }
  }

  /** The owners read, once the output has ended. */
  end(): SocketLinks {
    if (this.#length > 0) this.#read();
    return { pids: this.#pids, skipped: this.#skipped };
  }

  #read(): void {
    const line = this.#line;
    const length = this.#length;
    this.#length = 0;
    if (length === 0) return;
    if (length <= MAX_LINE) {
      let at = 0;
      let inode = 0;
      while (at < length && line[at]! >= 48 && line[at]! <= 57 && at < 20) {
        inode = inode * 10 + line[at++]! - 48;
      }
      let ok = at > 0 && inode > 0 && at + PROC.length < length;
      for (let k = 0; ok && k < PROC.length; k++) ok = line[at + k] === PROC[k];
      at += PROC.length;
      let pid = 0;
      const pidStart = at;
      while (ok && at < length && line[at]! >= 48 && line[at]! <= 57 && at - pidStart < 10) {
        pid = pid * 10 + line[at++]! - 48;
      }
      ok &&= at > pidStart && pid > 0 && at + FD.length === length;
      for (let k = 0; ok && k < FD.length; k++) ok = line[at + k] === FD[k];
      if (ok && Number.isSafeInteger(inode)) {
        this.#pids.set(inode, pid);
        return;
      }
    }
    const text = decoder.decode(line.subarray(0, Math.min(length, MAX_LINE))) +
      (length > MAX_LINE ? "…" : "");
    this.#skipped.push({ line: text, reason: "not a socket descriptor's inode and folder" });
  }
}

/**
 * Read the whole of what `find -L /proc … -type s -printf '%i %h\n'` printed (see {@linkcode SocketLinksReader}).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSocketLinks } from "./socket_walk.ts";
 * deepStrictEqual(parseSocketLinks("18837 /proc/11541/fd\n2558470 /proc/905/fd\n18837 /proc/11600/fd\n").pids,
 *   new Map([[18837, 11600], [2558470, 905]]));
 * ```
 */
export function parseSocketLinks(text: string): SocketLinks {
  const reader = new SocketLinksReader();
  reader.push(new TextEncoder().encode(text));
  return reader.end();
}

/**
 * Read what `ps -o pid=,comm= -p <pids>` prints on Linux: the pid right-aligned, a space, and the process's
 * name (`comm`, at most 15 bytes, which may hold spaces; ps shows characters it cannot print as `?`).
 * A line without a pid is left out.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseProcessNames } from "./socket_walk.ts";
 * deepStrictEqual(parseProcessNames("  905 sshd\n11541 Web Content\n"),
 *   new Map([[905, "sshd"], [11541, "Web Content"]]));
 * ```
 */
export function parseProcessNames(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split("\n")) {
    let at = 0;
    while (line.charCodeAt(at) === 32) at++;
    const space = line.indexOf(" ", at);
    const pid = space < 0 ? -1 : digitsIn(line, at, space);
    if (pid > 0) names.set(pid, line.slice(space + 1));
  }
  return names;
}
