import type { Programs } from "../platform/platform.ts";
import { timerDelay } from "../model/timer_delay.ts";

/**
 * How long after the stop the programs started since (a run's last poll, with `--trace` or byte counters read
 * every few polls) may run: a walk of every process's descriptors stuck on a hung process would otherwise hold
 * the stop for as long as its hang guard (2 minutes).
 */
export const AFTER_STOP_MS = 5_000;

/** Options of {@linkcode stoppablePrograms}. */
export interface StoppableOptions {
  /** How long after the stop a program started since may run (default {@linkcode AFTER_STOP_MS}). */
  afterStopMs?: number;
  /** A clock that never steps, ms (default `performance.now`). */
  elapsed?: () => number;
}

/**
 * `programs`, with every program still running when `stop` aborts killed then: a stop (Ctrl+C, SIGTERM, q,
 * `--stop-file`) does not wait for a reading in flight, whose walk of every process's descriptors may hang
 * for as long as its hang guard (2 minutes), and leaves none of the reading's tools behind. A program started
 * after the stop (a run's last reading) runs until `afterStopMs` after the stop.
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
export function stoppablePrograms(
  programs: Programs,
  stop: AbortSignal,
  options: StoppableOptions = {},
): Programs {
  const afterStopMs = options.afterStopMs ?? AFTER_STOP_MS;
  const elapsed = options.elapsed ?? (() => performance.now());
  let stoppedAt = elapsed();
  stop.addEventListener("abort", () => (stoppedAt = elapsed()), { once: true });
  /** A signal that aborts once a program started after the stop has run out of time; `done` forgets it. */
  const late = (): { signal: AbortSignal; done: () => void } => {
    const timeUp = new AbortController();
    const timer = setTimeout(
      () => timeUp.abort(),
      timerDelay(Math.max(0, stoppedAt + afterStopMs - elapsed())),
    );
    return { signal: timeUp.signal, done: () => clearTimeout(timer) };
  };
  return {
    output(command, args, options) {
      const ends = stop.aborted ? late() : { signal: stop, done: () => {} };
      const signal = options.signal === undefined
        ? ends.signal
        : AbortSignal.any([options.signal, ends.signal]);
      return programs.output(command, args, { ...options, signal }).finally(ends.done);
    },
    spawn(command, args, options) {
      const child = programs.spawn(command, args, options);
      const ends = stop.aborted ? late() : { signal: stop, done: () => {} };
      const kill = () => {
        try {
          // As its hang guard does (run_tool.ts): a tool stuck in the kernel is not asked to finish.
          child.kill("SIGKILL");
        } catch {
          // It has exited already.
        }
      };
      ends.signal.addEventListener("abort", kill, { once: true });
      child.status.finally(() => {
        ends.done();
        ends.signal.removeEventListener("abort", kill);
      }).catch(() => {});
      return child;
    },
  };
}
