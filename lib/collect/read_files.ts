/**
 * How a reading gets /proc/net's files printed (Deno reads /proc itself only with `--allow-all`): one `cat` a
 * poll, or a `sed` kept running for a live reading (see `sed_file_reader.ts`), with cat where that fails.
 *
 * @module
 */
import type { RunTool } from "./run_tool.ts";
import { ToolError } from "../model/errors.ts";
import { type SedFileReader, SedReadError } from "./sed_file_reader.ts";

/** How a reading gets files printed. */
export interface FileReading {
  /**
   * Print `files` one after the other into `onChunk` (a chunk is valid only during the call), as `cat` does: a
   * file that cannot be read is left out. Throws a `ToolError` when they cannot be printed.
   */
  read(files: readonly string[], onChunk: (chunk: Uint8Array) => void): Promise<void>;
  /**
   * Whether a call starts no program (a kept sed): a reading may then ask for some files, look at them, and ask
   * for more, for little more than asking for all at once.
   */
  readonly kept: boolean;
}

/** {@linkcode FileReading} by one `cat` a call. cat exits 1 when a file is missing (`udp6` where IPv6 is off). */
export function catFiles(run: RunTool): FileReading {
  return {
    kept: false,
    read: async (files, onChunk) => {
      // A runner that hands the output back whole (a test's scripted one) is read the same.
      const { stdout } = await run("cat", files, { okCodes: [0, 1], onChunk });
      if (stdout !== "") onChunk(new TextEncoder().encode(stdout));
    },
  };
}

/** Times a sed that had worked may fail (each ends it; the next call starts another) before cat reads for good. */
export const SED_RESTARTS = 3;

/**
 * {@linkcode FileReading} by `sed` while it works, else by `fallback` (one `cat` a call):
 * - a sed that fails before it ever printed a request's files (not installed, not GNU sed) is not asked again;
 * - one that had worked is started again at the next call, {@linkcode SED_RESTARTS} times at most: a stop kills
 *   it (`stoppable_programs.ts`), and the run's last reading comes after the stop;
 * - a failed call reads with `fallback` at once, unless some of the files' bytes had been handed on: it then
 *   throws (`timedOut`: cut short), as a cat cut short does, and the reading fails.
 */
export function sedThenCat(sed: Pick<SedFileReader, "read">, fallback: FileReading): FileReading {
  let worked = false;
  let failures = 0;
  let usable = true;
  return {
    get kept() {
      return usable;
    },
    read: async (files, onChunk) => {
      if (usable) {
        try {
          await sed.read(files, onChunk);
          worked = true;
          return;
        } catch (error) {
          failures++;
          if (!worked || failures > SED_RESTARTS) usable = false;
          if (!(error instanceof SedReadError) || error.timedOut) throw error;
          if (error.handedOn) throw new ToolError(error.message, { cause: error, timedOut: true });
        }
      }
      await fallback.read(files, onChunk);
    },
  };
}
