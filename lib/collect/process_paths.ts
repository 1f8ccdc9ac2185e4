import { PermissionError, ToolError } from "../errors.ts";
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

/** What to do when a path tool cannot run, or `null` when the error is another kind. */
export function pathToolRemedy(error: unknown, tool: string): string | null {
  if (error instanceof PermissionError) return `add ${error.flag} to read them`;
  if (error instanceof ToolError && error.notFound) return `install "${tool}" to read them`;
  return null;
}
