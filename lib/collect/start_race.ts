import { timerDelay } from "../model/timer_delay.ts";

/** How a tool's start ended: it said it is ready, it exited (its code), it took too long, or the run was stopped. */
export type StartOutcome = "ready" | "timeout" | "stopped" | { code: number };

/** Options of {@linkcode startRace}. */
export interface StartRaceOptions {
  /** How long the start may take. */
  timeoutMs: number;
  /** The run's stop. */
  stop?: AbortSignal;
}

/**
 * Wait for a long-running tool (bpftrace, tcpdump) to say it is ready, until it exits, `timeoutMs` passes or
 * `stop` aborts: a stop (Ctrl+C, SIGTERM) while bpftrace compiles and attaches its program, or tcpdump opens its
 * interfaces, is not held for as long as their start may take (60 s, 20 s). Nothing is left waiting: the timer
 * and the stop's listener are gone when it returns.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { startRace } from "./start_race.ts";
 * const stop = new AbortController();
 * const outcome = startRace(new Promise(() => {}), new Promise(() => {}), { timeoutMs: 60_000, stop: stop.signal });
 * stop.abort();
 * deepStrictEqual(await outcome, "stopped");
 * ```
 */
export async function startRace(
  ready: Promise<void>,
  exited: Promise<{ code: number }>,
  options: StartRaceOptions,
): Promise<StartOutcome> {
  const { timeoutMs, stop } = options;
  if (stop?.aborted) return "stopped";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onStop = () => {};
  // Listening before the timer is set: under `deno test` a stop queued as a microtask was seen to run in between.
  const stopped = new Promise<"stopped">((resolve) => {
    onStop = () => resolve("stopped");
    stop?.addEventListener("abort", onStop, { once: true });
  });
  try {
    return await Promise.race([
      stopped,
      ready.then(() => "ready" as const),
      exited.then(({ code }) => ({ code })),
      new Promise<"timeout">((
        resolve,
      ) => (timer = setTimeout(() => resolve("timeout"), timerDelay(timeoutMs)))),
    ]);
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener("abort", onStop);
  }
}
