/**
 * Map uids to user names from an `/etc/passwd` text (`name:x:uid:gid:…`).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parsePasswd } from "./passwd.ts";
 * deepStrictEqual(parsePasswd("root:x:0:0:root:/root:/bin/bash\n# note\n").get("0"), "root");
 * ```
 */
export function parsePasswd(text: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const [name, , uid] = line.split(":");
    if (name && uid && /^\d+$/.test(uid) && !names.has(uid)) names.set(uid, name);
  }
  return names;
}
