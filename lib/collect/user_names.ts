import { parsePasswd } from "../parse/passwd.ts";
import type { Socket } from "../model/connection.ts";

/**
 * Read uid → name from /etc/passwd when conntrail may read it
 * (`--allow-read=/etc/passwd`); `null` otherwise, and users stay numeric.
 * Only the permission is queried: a compiled binary never prompts.
 */
export function readUserNames(): Map<string, string> | null {
  const state = Deno.permissions.querySync({ name: "read", path: "/etc/passwd" }).state;
  if (state !== "granted") return null;
  try {
    return parsePasswd(Deno.readTextFileSync("/etc/passwd"));
  } catch {
    return null;
  }
}

/** Replace numeric `user` values by names where the map knows them. */
export function nameUsers(sockets: Socket[], names: Map<string, string> | null): void {
  if (names === null) return;
  for (const s of sockets) {
    if (s.user !== null) s.user = names.get(s.user) ?? s.user;
  }
}
