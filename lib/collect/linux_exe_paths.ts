import { parseExeLinks } from "../parse/exe_links.ts";
import { offWhenUnavailable, type PathLookup } from "./process_paths.ts";
import type { RunTool } from "./run_tool.ts";

const CHUNK = 500;

/**
 * A path lookup that reads `/proc/<pid>/exe` through `find`: Deno 2.9 lets a
 * program read /proc only with `--allow-all`, while `--allow-run=find` is a
 * narrow grant. Calls `onUnavailable` once, with what to do, and returns no
 * paths when `find` may not be run or is not installed.
 */
export function findExePaths(run: RunTool, onUnavailable: (remedy: string) => void): PathLookup {
  return offWhenUnavailable("find", async (pids) => {
    const paths = new Map<number, string>();
    for (let i = 0; i < pids.length; i += CHUNK) {
      const links = pids.slice(i, i + CHUNK).map((pid) => `/proc/${pid}/exe`);
      // find exits 1 when some links are unreadable (exited, or not ours); the rest still print.
      const { stdout } = await run("find", [...links, "-maxdepth", "0", "-printf", "%p\\t%l\\0"], {
        okCodes: [0, 1],
      });
      for (const [pid, path] of parseExeLinks(stdout)) paths.set(pid, path);
    }
    return paths;
  }, onUnavailable);
}
