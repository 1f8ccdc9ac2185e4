import { parsePsComm } from "../parse/ps_comm.ts";
import { type PathLookup, pathToolRemedy } from "./process_paths.ts";
import type { RunTool } from "./run_tool.ts";

/** Paths on macOS: `ps` prints the full executable path as `comm`. */
export function psExePaths(run: RunTool, onUnavailable: (remedy: string) => void): PathLookup {
  let denied = false;
  return async (pids) => {
    if (denied || pids.length === 0) return new Map();
    try {
      const { stdout } = await run("ps", ["-o", "pid=,comm=", "-p", pids.join(",")], { okCodes: [0, 1] });
      return parsePsComm(stdout);
    } catch (error) {
      const remedy = pathToolRemedy(error, "ps");
      if (remedy === null) throw error;
      denied = true;
      onUnavailable(remedy);
      return new Map();
    }
  };
}
