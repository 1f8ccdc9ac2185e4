/**
 * Parsers for conntrail's own walk of every process's descriptors (what `ss -p` does, at about half the
 * cost): `find /proc …` lists the processes, `find -L /proc/<pid>/fd …` each one's descriptor folder and the
 * inodes of the sockets in it, and `cat /proc/<pid>/stat …` names the processes that hold them.
 *
 * @module
 */
import type { SkippedLine } from "./parse_result.ts";

/** 2^21: a key is `inode * FOLDERS + folder`, exact in a double for an inode below 2^32 (a socket's is). */
const FOLDERS = 2 ** 21;
const MAX_INODE = 2 ** 32 - 1;

/**
 * The process holding each socket inode a walk listed, by inode: the keys (inode and the folder's place in the
 * walk) in one sorted array of doubles, not a Map of every socket descriptor on the machine (44,000 entries
 * measured 2.3 MiB more resident memory). A socket several processes hold goes to the one listed last.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { SocketOwnerIndex } from "./socket_walk.ts";
 * const index = new SocketOwnerIndex();
 * index.add(18837, 11541);
 * index.add(2558470, 905);
 * index.add(18837, 11600);
 * deepStrictEqual([index.pidOf(18837), index.pidOf(2558470), index.pidOf(7), index.size], [11600, 905, undefined, 3]);
 * ```
 */
export class SocketOwnerIndex {
  #keys = new Float64Array(1024);
  #count = 0;
  #sorted = true;
  /** The pid of each folder, in the walk's order (consecutive adds for one pid share a folder). */
  #folderPids: number[] = [];
  /** What the keys cannot hold (an inode past 2^32, or past 2^21 folders): later, so it wins. */
  #others = new Map<number, number>();

  /** Socket descriptors added. */
  get size(): number {
    return this.#count + this.#others.size;
  }

  /** A socket descriptor of `pid` holding `inode`, listed after every one added before. */
  add(inode: number, pid: number): void {
    const folders = this.#folderPids;
    if (folders[folders.length - 1] !== pid) folders.push(pid);
    const folder = folders.length - 1;
    if (inode > MAX_INODE || folder >= FOLDERS || this.#others.size > 0) {
      this.#others.set(inode, pid);
      return;
    }
    if (this.#count === this.#keys.length) {
      const grown = new Float64Array(this.#count * 2);
      grown.set(this.#keys);
      this.#keys = grown;
    }
    this.#keys[this.#count++] = inode * FOLDERS + folder;
    this.#sorted = false;
  }

  /** The pid of the process that holds `inode` (the last listed), if any. */
  pidOf(inode: number): number | undefined {
    const other = this.#others.get(inode);
    if (other !== undefined || inode > MAX_INODE) return other;
    this.#sort();
    const keys = this.#keys;
    const low = inode * FOLDERS;
    let from = 0;
    let to = this.#count;
    while (from < to) {
      const middle = (from + to) >>> 1;
      if (keys[middle]! < low) from = middle + 1;
      else to = middle;
    }
    let last = -1;
    while (from < this.#count && keys[from]! < low + FOLDERS) last = from++;
    return last < 0 ? undefined : this.#folderPids[keys[last]! - low];
  }

  #sort(): void {
    if (this.#sorted) return;
    this.#keys.subarray(0, this.#count).sort();
    this.#sorted = true;
  }

  /** The pid of each inode, as a map (for tests and small walks). */
  toMap(): Map<number, number> {
    this.#sort(); // before the loop: a lookup would sort the keys under it
    const map = new Map<number, number>();
    for (let i = 0; i < this.#count; i++) {
      const key = this.#keys[i]!;
      const inode = Math.floor(key / FOLDERS);
      map.set(inode, this.pidOf(inode)!);
    }
    for (const [inode, pid] of this.#others) map.set(inode, pid);
    return new Map([...map].sort((a, b) => a[0] - b[0]));
  }

  /** The pids found holding a socket, each once. */
  pids(): number[] {
    return [...new Set([...this.#folderPids, ...this.#others.values()])];
  }
}

/** The sockets' owners a walk found: the pid by socket inode, and the lines that were not a socket's. */
export interface SocketLinks {
  pids: SocketOwnerIndex;
  /** How many `/proc/<pid>/fd` folders were listed: none means find did not walk (an unknown option). */
  folders: number;
  skipped: SkippedLine[];
}

const DIGITS = /^[1-9][0-9]{0,14}$/;
/** Lines of inodes, each of 1 to 15 digits without a leading zero (what JSON.parse reads as they are). */
const INODE_RUN = /^[1-9][0-9]{0,14}(?:\n[1-9][0-9]{0,14})*$/;
const FOLDER = /^\/proc\/([1-9][0-9]{0,9})\/fd$/;
/** Longer lines are shown cut in a skip. */
const SHOWN = 64;

/**
 * Read what `find -L /proc/<pid>/fd … -printf …` (`findSocketsArgs`) prints, as it comes: each process's
 * `/proc/<pid>/fd` folder, then the inode of each socket it holds, a line each. A socket several processes
 * hold (a listener shared by forked workers) goes to the one listed last, the process `ss -p` prints first
 * (it adds each owner in front of the others). Any other line is skipped with its reason, and the inodes
 * after it up to the next folder with it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { SocketLinksReader } from "./socket_walk.ts";
 * const reader = new SocketLinksReader();
 * const bytes = new TextEncoder().encode("/proc/11541/fd\n18837\n/proc/905/fd\n2558470\n/proc/11600/fd\n18837\n");
 * reader.push(bytes.subarray(0, 30));
 * reader.push(bytes.subarray(30));
 * deepStrictEqual(reader.end().pids.toMap(), new Map([[18837, 11600], [2558470, 905]]));
 * ```
 */
export class SocketLinksReader {
  #pids = new SocketOwnerIndex();
  #skipped: SkippedLine[] = [];
  #decoder = new TextDecoder();
  /** The end of the text so far that is not a whole line yet. */
  #rest = "";
  /** The process whose folder the lines now come from; 0 before the first or after an unreadable line. */
  #pid = 0;
  #folders = 0;

  /** Read a chunk of find's output; it may end in the middle of a line. */
  push(chunk: Uint8Array): void {
    const text = this.#rest + this.#decoder.decode(chunk, { stream: true });
    const last = text.lastIndexOf("\n");
    if (last < 0) {
      this.#rest = text;
      return;
    }
    this.#rest = text.slice(last + 1);
    this.#read(text, last);
  }

  /** The owners read, once the output has ended. */
  end(): SocketLinks {
    const rest = this.#rest + this.#decoder.decode();
    this.#rest = "";
    if (rest !== "") this.#read(rest, rest.length);
    return { pids: this.#pids, folders: this.#folders, skipped: this.#skipped };
  }

  /** Read the whole lines of `text` before `end`: runs of inodes, each after its folder's line. */
  #read(text: string, end: number): void {
    let at = 0;
    while (at < end) {
      if (text.charCodeAt(at) === 47) { // "/": a folder's line
        let lineEnd = text.indexOf("\n", at);
        if (lineEnd < 0 || lineEnd > end) lineEnd = end;
        this.#lines([text.slice(at, lineEnd)]);
        at = lineEnd + 1;
        continue;
      }
      let runEnd = text.indexOf("\n/", at);
      if (runEnd < 0 || runEnd > end) runEnd = end;
      this.#inodes(text.slice(at, runEnd));
      at = runEnd + 1;
    }
  }

  /**
   * A run of lines between two folders' lines: nearly always bare inodes, which JSON.parse reads as one array
   * (a line at a time cost three times as much cold, 30 ms at 44,000 sockets); else line by line.
   */
  #inodes(run: string): void {
    const pid = this.#pid;
    if (pid > 0 && INODE_RUN.test(run)) {
      const inodes: unknown = JSON.parse(`[${run.replaceAll("\n", ",")}]`);
      if (Array.isArray(inodes) && inodes.every((inode) => Number.isSafeInteger(inode) && inode > 0)) {
        for (const inode of inodes) this.#pids.add(inode, pid);
        return;
      }
    }
    this.#lines(run.split("\n"));
  }

  #lines(lines: readonly string[]): void {
    const pids = this.#pids;
    let pid = this.#pid;
    for (const line of lines) {
      if (pid > 0 && DIGITS.test(line)) {
        pids.add(+line, pid);
        continue;
      }
      const folder = FOLDER.exec(line);
      if (folder !== null) {
        pid = +folder[1]!;
        this.#folders++;
        continue;
      }
      if (line === "") continue;
      pid = 0;
      const shown = line.length > SHOWN ? `${line.slice(0, SHOWN)}…` : line;
      this.#skipped.push({ line: shown, reason: "not a socket's inode after a /proc/<pid>/fd folder" });
    }
    this.#pid = pid;
  }
}

/**
 * Read the whole of what find printed (see {@linkcode SocketLinksReader}).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSocketLinks } from "./socket_walk.ts";
 * deepStrictEqual(parseSocketLinks("/proc/1/fd\n/proc/905/fd\n2558470\n2558471\n").pids.toMap(),
 *   new Map([[2558470, 905], [2558471, 905]]));
 * ```
 */
export function parseSocketLinks(text: string): SocketLinks {
  const reader = new SocketLinksReader();
  reader.push(new TextEncoder().encode(text));
  return reader.end();
}

/** A pid as /proc names its folder: 1 to 10 digits, no leading zero. */
const PID = /^[1-9][0-9]{0,9}$/;

/**
 * Read what `find /proc … -name '[1-9]*' -printf '%f\\n'` prints (`PROCESS_FOLDERS_ARGS`): the pid of each
 * process, a line each. Any other line is left out.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseProcessFolders } from "./socket_walk.ts";
 * deepStrictEqual(parseProcessFolders("1\n905\n1abc\n\n11541\n"), [1, 905, 11541]);
 * ```
 */
export function parseProcessFolders(text: string): number[] {
  const pids: number[] = [];
  for (const line of text.split("\n")) if (PID.test(line)) pids.push(Number(line));
  return pids;
}

/**
 * A process's line of `/proc/<pid>/stat`: its pid, its name (`comm`) in parentheses, its state (a letter), then
 * numbers only, to the end of the line. The name is at most 15 bytes and may hold anything but NUL (spaces, ')',
 * a newline, a whole fake "1 (x) R" too): the shortest name after which the line goes on as a stat line does
 * (ten numbers or more, then its end), which no name of 15 bytes can fake.
 */
const STAT_LINE = /([1-9][0-9]{0,9}) \(([^]{0,64}?)\) [A-Za-z](?: -?[0-9]+){10,}\n/y;

/**
 * Read what `cat /proc/<pid>/stat …` prints: the name (`comm`) of each process by pid, whole (a name conntrail
 * shows is made safe where it is written). Text that is not a stat line is skipped to the next line.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseProcessStats } from "./socket_walk.ts";
 * const tail = " S 1 905 905 0 -1 4194560 93 0 0 0 0 0 0 0 20 0 1 0\n";
 * deepStrictEqual(parseProcessStats(`905 (sshd)${tail}11541 (Web Content)${tail}77 (a) b\n1 (c)${tail}`),
 *   new Map([[905, "sshd"], [11541, "Web Content"], [77, "a) b\n1 (c"]]));
 * ```
 */
export function parseProcessStats(text: string): Map<number, string> {
  const names = new Map<number, string>();
  let at = 0;
  while (at < text.length) {
    STAT_LINE.lastIndex = at;
    const line = STAT_LINE.exec(text);
    if (line !== null) {
      names.set(Number(line[1]), line[2]!);
      at = STAT_LINE.lastIndex;
      continue;
    }
    const end = text.indexOf("\n", at);
    at = end < 0 ? text.length : end + 1;
  }
  return names;
}
