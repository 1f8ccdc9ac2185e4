import type { Platform } from "../platform/platform.ts";

/**
 * Whether conntrail runs as root (uid 0): `true`, `false`, or `null` when it
 * cannot tell (Windows, or no `--allow-sys=uid`). Only root sees the
 * processes behind other users' sockets, so the advice to run as root is
 * given only to a run that is not.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { runningAsRoot } from "./running_as_root.ts";
 * deepStrictEqual([runningAsRoot({ uid: () => 0 }), runningAsRoot({ uid: () => null })], [true, null]);
 * ```
 */
export function runningAsRoot(platform: Pick<Platform, "uid">): boolean | null {
  const uid = platform.uid();
  return uid === null ? null : uid === 0;
}
