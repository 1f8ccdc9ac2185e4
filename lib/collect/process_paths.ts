import { PermissionError, ToolError } from "../model/errors.ts";
import type { Socket } from "../model/connection.ts";

/** Looks up executable paths for pids; pids it cannot read are left out of the map. */
export type PathLookup = (pids: number[]) => Promise<Map<number, string>>;

/**
 * Fill in `process_path` for sockets, asking the lookup only about processes
 * not seen before: a path is cached per pid and name (so a reused pid is
 * asked again) and forgotten when the process no longer holds a socket.
 */
export class ProcessPathCache {
  #lookup: PathLookup;
  #paths = new Map<string, string | null>();

  constructor(lookup: PathLookup) {
    this.#lookup = lookup;
  }

  /** Set `process_path` on every socket that has a pid; `null` where the path is unreadable. */
  async fill(sockets: Socket[]): Promise<void> {
    const keyOf = (s: Socket) => `${s.pid}/${s.process_name}`;
    const unknown = new Map<number, string>();
    for (const s of sockets) {
      if (s.pid !== null && !this.#paths.has(keyOf(s))) unknown.set(s.pid, keyOf(s));
    }
    if (unknown.size > 0) {
      const found = await this.#lookup([...unknown.keys()]);
      for (const [pid, key] of unknown) this.#paths.set(key, found.get(pid) ?? null);
    }
    const live = new Set<string>();
    for (const s of sockets) {
      if (s.pid === null) continue;
      live.add(keyOf(s));
      s.process_path = this.#paths.get(keyOf(s)) ?? null;
    }
    for (const key of this.#paths.keys()) if (!live.has(key)) this.#paths.delete(key);
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
