import { parsePsComm } from "../parse/ps_comm.ts";
import { offWhenUnavailable, type PathLookup } from "./process_paths.ts";
import type { RunTool } from "./run_tool.ts";

/** Paths on macOS: `ps` prints the full executable path as `comm`. */
export function psExePaths(run: RunTool, onUnavailable: (remedy: string) => void): PathLookup {
  return offWhenUnavailable("ps", async (pids) => {
    const { stdout } = await run("ps", ["-o", "pid=,comm=", "-p", pids.join(",")], { okCodes: [0, 1] });
    return parsePsComm(stdout);
  }, onUnavailable);
}
