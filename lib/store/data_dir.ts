import type { OperatingSystem } from "../platform/platform.ts";
import { joinPath as join } from "../platform/file_path.ts";

/** The environment variables that locate the data directory. */
export const DATA_DIR_ENV = ["XDG_DATA_HOME", "HOME", "LOCALAPPDATA"] as const;

/**
 * conntrail's data directory on an OS, from the environment:
 * `$XDG_DATA_HOME/conntrail` or `~/.local/share/conntrail` on Linux,
 * `~/Library/Application Support/conntrail` on macOS, `%LOCALAPPDATA%\conntrail`
 * on Windows; null when the variables it needs are not set (or not readable).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { dataDirectory } from "./data_dir.ts";
 * deepStrictEqual(dataDirectory(new Map([["HOME", "/home/ana"]]), "linux"), "/home/ana/.local/share/conntrail");
 * deepStrictEqual(dataDirectory(new Map([["XDG_DATA_HOME", "/data"], ["HOME", "/h"]]), "linux"), "/data/conntrail");
 * deepStrictEqual(dataDirectory(new Map(), "linux"), null);
 * ```
 */
export function dataDirectory(env: ReadonlyMap<string, string>, os: OperatingSystem): string | null {
  if (os === "windows") {
    const local = env.get("LOCALAPPDATA");
    return local ? `${local}\\conntrail` : null;
  }
  const home = env.get("HOME");
  if (os === "darwin") return home ? join(home, "Library", "Application Support", "conntrail") : null;
  const xdg = env.get("XDG_DATA_HOME");
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (xdg && xdg.startsWith("/")) return join(xdg, "conntrail");
  return home ? join(home, ".local", "share", "conntrail") : null;
}
