/**
 * Parse `ps -o pid=,comm= -p <pids>` on macOS, where `comm` is the full path
 * of the executable:
 *
 * ```text
 *   590 /System/Library/CoreServices/ControlCenter.app/Contents/MacOS/ControlCenter
 * ```
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parsePsComm } from "./ps_comm.ts";
 * deepStrictEqual(parsePsComm("  590 /Applications/Visual Studio Code.app/Contents/MacOS/Electron\n"),
 *   new Map([[590, "/Applications/Visual Studio Code.app/Contents/MacOS/Electron"]]));
 * ```
 */
export function parsePsComm(text: string): Map<number, string> {
  const paths = new Map<number, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(\d+)\s+(\/.*?)\s*$/.exec(line);
    if (match !== null) paths.set(Number(match[1]), match[2] ?? "");
  }
  return paths;
}
