import { PermissionError, ToolError } from "../model/errors.ts";
import type { Socket } from "../model/connection.ts";

/** Looks up executable paths for pids; pids it cannot read are left out of the map. */
export type PathLookup = (pids: number[]) => Promise<Map<number, string>>;

/** What the cache holds for a pid: the name it had, its path, and the last fill that saw it. */
interface CachedPath {
  name: string | null;
  path: string | null;
  seen: number;
}

/**
 * Fill in `process_path` for sockets, asking the lookup only about processes
 * not seen before: a path is cached per pid and name (so a reused pid is
 * asked again) and forgotten when the process no longer holds a socket.
 * A fill builds no string per socket (the monitor fills every socket of
 * every poll).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ProcessPathCache } from "./process_paths.ts";
 * const asked: number[][] = [];
 * const cache = new ProcessPathCache(async (pids) => {
 *   asked.push(pids);
 *   return new Map(pids.map((pid) => [pid, `/usr/bin/p${pid}`]));
 * });
 * const socket = { pid: 7, process_name: "curl", process_path: null as string | null };
 * await cache.fill([socket]);
 * await cache.fill([{ ...socket }]);
 * deepStrictEqual([socket.process_path, asked], ["/usr/bin/p7", [[7]]]);
 * ```
 */
export class ProcessPathCache {
  #lookup: PathLookup;
  #paths = new Map<number, CachedPath>();
  #fills = 0;

  constructor(lookup: PathLookup) {
    this.#lookup = lookup;
  }

  /** Set `process_path` on every socket that has a pid; `null` where the path is unreadable. */
  async fill(sockets: Pick<Socket, "pid" | "process_name" | "process_path">[]): Promise<void> {
    const fill = ++this.#fills;
    // The loops over the sockets are functions of their own, not part of this async one: V8 compiles a loop
    // inside an async function (resumable at each await) far more dearly, and the monitor's first minute
    // paid for it (Turbofan took 20-115 ms of the main thread for this function at 1,000 connections).
    const unknown = this.#unknown(sockets);
    if (unknown !== null) {
      const found = await this.#lookup([...unknown.keys()]);
      for (const [pid, name] of unknown) {
        this.#paths.set(pid, { name, path: found.get(pid) ?? null, seen: fill });
      }
    }
    this.#setPaths(sockets, fill);
  }

  /**
   * The paths of the processes `names` names (pid → name), asked about where not known: by pid, null where
   * unreadable. For sockets made later (a one-shot reading's batches), which {@linkcode fill} would otherwise ask
   * about batch by batch.
   */
  async pathsOf(names: ReadonlyMap<number, string>): Promise<Map<number, string | null>> {
    const fill = ++this.#fills;
    const unknown = [...names].filter(([pid, name]) => this.#paths.get(pid)?.name !== name);
    if (unknown.length > 0) {
      const found = await this.#lookup(unknown.map(([pid]) => pid));
      for (const [pid, name] of unknown) {
        this.#paths.set(pid, { name, path: found.get(pid) ?? null, seen: fill });
      }
    }
    const paths = new Map<number, string | null>();
    for (const pid of names.keys()) {
      const known = this.#paths.get(pid)!;
      known.seen = fill;
      paths.set(pid, known.path);
    }
    return paths;
  }

  /** The name each pid not known yet (or known under another name) is to be asked about under; null: none. */
  #unknown(sockets: Pick<Socket, "pid" | "process_name">[]): Map<number, string | null> | null {
    let unknown: Map<number, string | null> | null = null;
    // Sockets come in runs of one process's (21,000 of one farm at 10k): a run asks the map once.
    let lastPid: number | null = null;
    let lastName: string | null = null;
    // Indexed, not for-of: under Maglev (--max-opt=2) a for-of keeps the array iterator's calls (see nameOwners).
    for (let i = 0; i < sockets.length; i++) {
      const s = sockets[i]!;
      if (s.pid === null || (s.pid === lastPid && s.process_name === lastName)) continue;
      lastPid = s.pid;
      lastName = s.process_name;
      const known = this.#paths.get(s.pid);
      if (known === undefined || known.name !== s.process_name) {
        (unknown ??= new Map()).set(s.pid, s.process_name);
      }
    }
    return unknown;
  }

  /** Set each socket's path from the cache, and forget the processes this fill saw no socket of. */
  #setPaths(sockets: Pick<Socket, "pid" | "process_name" | "process_path">[], fill: number): void {
    let last: CachedPath | undefined;
    let lastPid: number | null = null;
    for (let i = 0; i < sockets.length; i++) {
      const s = sockets[i]!;
      if (s.pid === null) continue;
      if (s.pid !== lastPid || last?.name !== s.process_name) {
        lastPid = s.pid;
        last = this.#paths.get(s.pid);
      }
      if (last === undefined || last.name !== s.process_name) {
        s.process_path = null;
        continue;
      }
      last.seen = fill;
      s.process_path = last.path;
    }
    const paths = this.#paths;
    paths.forEach((known, pid) => {
      if (known.seen !== fill) paths.delete(pid);
    });
  }
}

/**
 * Wrap a lookup that runs `tool` so that a missing permission or a missing
 * tool turns it off for good: `onUnavailable` hears once what to do, and every
 * later call returns no paths. Other errors still throw.
 */
export function offWhenUnavailable(
  tool: string,
  lookup: PathLookup,
  onUnavailable: (remedy: string) => void,
): PathLookup {
  let off = false;
  return async (pids) => {
    if (off || pids.length === 0) return new Map();
    try {
      return await lookup(pids);
    } catch (error) {
      let remedy: string;
      if (error instanceof PermissionError) remedy = `add ${error.flag} to read them`;
      else if (error instanceof ToolError && error.notFound) remedy = `install "${tool}" to read them`;
      else throw error;
      off = true;
      onUnavailable(remedy);
      return new Map();
    }
  };
}
