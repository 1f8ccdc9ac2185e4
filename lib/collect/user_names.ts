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
  // Indexed, not for-of (Maglev keeps a for-of's iterator calls); sockets come in runs of one user's: a run asks
  // the map once.
  let lastUser: string | null = null;
  let lastName: string | null = null;
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    const user = s.user;
    if (user === null) continue;
    if (user !== lastUser) {
      lastUser = user;
      lastName = names.get(user) ?? user;
    }
    s.user = lastName;
  }
}
