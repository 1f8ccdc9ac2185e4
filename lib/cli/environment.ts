import type { OperatingSystem } from "../platform/platform.ts";
import { REPUTATION_ENV } from "./reputation_config.ts";
import { DATA_DIR_ENV } from "../store/data_dir.ts";
import { HISTORY_ENV } from "./history_config.ts";

/** The environment variables the monitor reads, when Deno allows it. */
export const MONITOR_ENV = ["NO_COLOR", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", ...REPUTATION_ENV] as const;

/**
 * The variables that locate the data directory on an OS (LOCALAPPDATA on
 * Windows; XDG_DATA_HOME and HOME elsewhere).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { dataDirEnv } from "./environment.ts";
 * deepStrictEqual(dataDirEnv("linux"), ["XDG_DATA_HOME", "HOME"]);
 * deepStrictEqual(dataDirEnv("windows"), ["LOCALAPPDATA"]);
 * ```
 */
export function dataDirEnv(os: OperatingSystem): string[] {
  return DATA_DIR_ENV.filter((name) => (os === "windows") === (name === "LOCALAPPDATA"));
}

/** The variables that say where history lives on an OS. */
export function historyEnv(os: OperatingSystem): string[] {
  return [...dataDirEnv(os), ...HISTORY_ENV];
}

/** Every variable the monitor reads on an OS: its own, and those that say where history lives. */
export function monitorEnv(os: OperatingSystem): string[] {
  return [...MONITOR_ENV, ...historyEnv(os)];
}

/**
 * One line saying what an optional permission left out, and the flags that
 * would turn it on; null when nothing was left out.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { leftOutNote } from "./environment.ts";
 * deepStrictEqual(leftOutNote(["NO_COLOR"], [".env"]),
 *   "note: NO_COLOR, .env not read; run with --allow-env=NO_COLOR --allow-read=.env");
 * deepStrictEqual(leftOutNote([], []), null);
 * ```
 */
export function leftOutNote(deniedEnv: readonly string[], deniedReads: readonly string[]): string | null {
  if (deniedEnv.length === 0 && deniedReads.length === 0) return null;
  const flags = [
    deniedEnv.length > 0 ? `--allow-env=${deniedEnv.join(",")}` : null,
    deniedReads.length > 0 ? `--allow-read=${deniedReads.join(",")}` : null,
  ].filter((flag) => flag !== null);
  return `note: ${[...deniedEnv, ...deniedReads].join(", ")} not read; run with ${flags.join(" ")}`;
}
