import { parsePasswd } from "../parse/passwd.ts";
import type { Socket } from "../model/connection.ts";
import type { Platform } from "../platform/platform.ts";

/**
 * Read uid → name from /etc/passwd when conntrail may read it
 * (`--allow-read=/etc/passwd`); `null` otherwise, and users stay numeric.
 * Only the permission is queried: a compiled binary never prompts.
 */
export function readUserNames(platform: Pick<Platform, "mayRead" | "files">): Map<string, string> | null {
  if (!platform.mayRead("/etc/passwd")) return null;
  try {
    return parsePasswd(platform.files.readTextFileSync("/etc/passwd"));
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
