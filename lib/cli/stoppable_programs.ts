import type { Programs } from "../platform/platform.ts";

/**
 * `programs`, with every program still running when `stop` aborts killed then: a stop (Ctrl+C, SIGTERM, q,
 * `--stop-file`) does not wait for a reading in flight, whose walk of every process's descriptors may hang
 * for as long as its hang guard (2 minutes), and leaves none of the reading's tools behind. A program started
 * after the stop runs as usual (a run's last reading, with `--trace`, is started after it).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { stoppablePrograms } from "./stoppable_programs.ts";
 * const stop = new AbortController();
 * const killed: string[] = [];
 * const programs = stoppablePrograms({
 *   output: () => Promise.reject(new Error("not used")),
 *   spawn: () => ({
 *     stdout: new ReadableStream(),
 *     stderr: new ReadableStream(),
 *     status: new Promise(() => {}),
 *     kill: (signal) => void killed.push(signal),
 *   }),
 * }, stop.signal);
 * programs.spawn("find", ["/proc/1/fd"], {});
 * stop.abort();
 * deepStrictEqual(killed, ["SIGKILL"]);
 * ```
 */
export function stoppablePrograms(programs: Programs, stop: AbortSignal): Programs {
  return {
    output(command, args, options) {
      if (stop.aborted) return programs.output(command, args, options);
      const signal = options.signal === undefined ? stop : AbortSignal.any([options.signal, stop]);
      return programs.output(command, args, { ...options, signal });
    },
    spawn(command, args, options) {
      const child = programs.spawn(command, args, options);
      if (stop.aborted) return child;
      const kill = () => {
        try {
          // As its hang guard does (run_tool.ts): a tool stuck in the kernel is not asked to finish.
          child.kill("SIGKILL");
        } catch {
          // It has exited already.
        }
      };
      stop.addEventListener("abort", kill, { once: true });
      child.status.finally(() => stop.removeEventListener("abort", kill)).catch(() => {});
      return child;
    },
  };
}
