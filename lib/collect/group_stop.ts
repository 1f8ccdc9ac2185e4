/**
 * Ctrl+C at a terminal, a hangup, `timeout` and a service manager's stop signal every process of the run's
 * process group: the tools the run streams from end of the same signal as conntrail, killed by it (ss -E) or
 * ending cleanly, exit code 0, as they do on it (tcpdump, bpftrace). That is the run's stop, not the tool
 * failing, and the signals reach conntrail and its tools in either order: a tool ended so waits a moment for
 * the stop before it is said to have stopped (or started again). A tool that fails (another exit code) is said
 * at once.
 *
 * @module
 */
import { abortableSleep } from "../model/abortable_sleep.ts";

/** The signals that stop a whole process group (Ctrl+C, a hangup, `timeout`, a service manager's stop). */
const GROUP_STOP_SIGNALS = new Set(["SIGINT", "SIGTERM", "SIGHUP"]);

/** Exit codes of a program ended by one of {@linkcode GROUP_STOP_SIGNALS} (128 + its number), as shells say. */
const GROUP_STOP_CODES = new Set([129, 130, 143]);

/** How long a tool ended by a group's stop signal waits for the run's own stop (ms). */
export const STOP_GRACE_MS = 1_000;

/**
 * Whether a tool's exit is the run's stop: it was ended by a signal that stops a whole process group, or ended
 * cleanly (exit code 0: a tool that handles the signal), and the run's `stop` aborts within
 * {@linkcode STOP_GRACE_MS} (or has). Without a stop to wait for, never.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { isRunStop } from "./group_stop.ts";
 * const stop = new AbortController();
 * stop.abort();
 * deepStrictEqual(await isRunStop({ code: 130, signal: "SIGINT" }, stop.signal), true);
 * deepStrictEqual(await isRunStop({ code: 0, signal: null }, stop.signal), true); // tcpdump, on SIGINT
 * deepStrictEqual(await isRunStop({ code: 1, signal: null }, stop.signal), false);
 * deepStrictEqual(await isRunStop({ code: 143, signal: null }, undefined), false);
 * ```
 */
export async function isRunStop(
  exit: { code: number; signal: string | null },
  stop: AbortSignal | undefined,
  graceMs = STOP_GRACE_MS,
): Promise<boolean> {
  if (stop === undefined) return false;
  const stopLike = exit.signal !== null
    ? GROUP_STOP_SIGNALS.has(exit.signal)
    : exit.code === 0 || GROUP_STOP_CODES.has(exit.code);
  if (!stopLike) return false;
  await abortableSleep(graceMs, stop);
  return stop.aborted;
}
