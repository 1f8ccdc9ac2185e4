/**
 * Whether conntrail runs as root (uid 0): `true`, `false`, or `null` when it
 * cannot tell (Windows, or no `--allow-sys=uid`). Only root sees the
 * processes behind other users' sockets, so the advice to run as root is
 * given only to a run that is not.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { runningAsRoot } from "./running_as_root.ts";
 * ok([true, false, null].includes(runningAsRoot()));
 * ```
 */
export function runningAsRoot(): boolean | null {
  try {
    const uid = Deno.uid();
    return uid === null ? null : uid === 0;
  } catch {
    return null;
  }
}
