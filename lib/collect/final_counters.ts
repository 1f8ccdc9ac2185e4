/**
 * The kernel's last word on each TCP socket it destroys: `ss -E` with `-i`
 * prints every destroyed socket with its `tcp_info`, so a connection's bytes at
 * its close are exact, not the last poll's reading (up to a poll old, or more
 * where the counters are read only every few polls).
 *
 * @module
 */
import type { ByteCounts } from "../model/byte_counters.ts";
import type { Socket } from "../model/connection.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import { PermissionError } from "../model/errors.ts";
import { timerDelay } from "../model/timer_delay.ts";
import { abortedKey, parseSsDestroyedLine } from "../parse/ss_destroyed.ts";
import type { StreamTool, ToolStream } from "./tool_stream.ts";
import { isRunStop } from "./group_stop.ts";

/**
 * `stdbuf`'s arguments for the destroy events: ss writes through stdio, fully buffered into a pipe, so stdbuf
 * makes it write each line as it comes; `-E` listens for destroyed sockets, `-t` TCP only, `-i` their
 * `tcp_info`, `-n` numeric, `-O` one line per socket (iproute2 5.2 on), `-H` no header.
 */
export const FINAL_COUNTERS_ARGS = ["-oL", "ss", "-E", "-tinOH"] as const;

/**
 * How long counters heard for a socket that no closing connection has taken yet are kept, at least: a poll
 * reports a close at most a time unit (and a wait) after the socket was destroyed; with a longer time unit,
 * two of them.
 */
export const HEARD_KEEP_MS = 10_000;

/**
 * How long counters taken for a connection that lingers (TIME_WAIT, a minute on Linux) are kept for the
 * connection's CLOSED when its TIME_WAIT socket goes, which repeats them, at least; with a time unit, a minute
 * and two of them.
 */
export const HELD_KEEP_MS = 70_000;

/** How often ss -E is started again at most when it stops during a run. */
export const RESTART_EVERY_MS = 60_000;

/** One socket's final counters and when they were heard (ms, by a clock that never steps: `now`). */
interface Heard {
  counters: ByteCounts;
  at: number;
}

/** The final counters of destroyed TCP sockets, as a running `ss -E` reports them. */
export interface FinalCountersSource {
  /** Whether ss -E runs: false once it has stopped (then nothing more will be heard). */
  readonly running: boolean;
  /**
   * Wait until counters for every key have been heard (or its socket's abort, which brings none), at most
   * `ms`, or until ss -E stops: a socket destroyed before a poll read its absence may be reported a moment
   * after. `since` as for {@linkcode take}.
   */
  waitFor(keys: readonly string[], ms: number, since?: number): Promise<void>;
  /**
   * The counters heard for a connection's key, forgotten now, or with `hold` kept (for the CLOSED of a
   * connection that lingers) until taken again without it or {@linkcode HELD_KEEP_MS}. Only counters heard
   * at or after `since` (ms by the source's clock, `now`, which never steps; held ones whenever): a close the
   * poll before could not have seen is this connection's, an older record of the same addresses and ports is
   * an earlier connection's.
   */
  take(key: string, hold?: boolean, since?: number): ByteCounts | undefined;
  /**
   * A live connection was seen on `key` (not lingering, not ended): the counters held for it are an earlier
   * connection's, whose TIME_WAIT the kernel gave to this one (a four-tuple reused): forget them, so that this
   * connection's close does not take them.
   */
  forgetHeld?(key: string): void;
  /** Lines for the user since the last call. */
  takeNotes(): string[];
  /** Lines of ss -E that could not be read, so far. */
  readonly skipped: number;
  /** Lines ss -E wrote, so far (each a destroyed socket: what ss -E costs). */
  readonly lines?: number;
  /** Told after each poll, with the sockets it listed and its events (see `switchFinalCounters`). */
  afterPoll?(sockets: readonly Socket[], events?: readonly ConnectionEvent[]): Promise<void>;
  /** Stop ss -E. */
  close(): Promise<void>;
}

/** Options of {@linkcode startFinalCounters}. */
export interface FinalCountersOptions {
  /** Starts stdbuf (tests pass a scripted tool). */
  stream: StreamTool;
  /**
   * A clock that never steps, ms (default `performance.now`): what is heard is stamped by it, kept for a time
   * by it, and compared with a poll's `since`, which the caller reads from the same clock. Not the wall clock:
   * one set back would keep everything heard until it had caught up, and make the first poll after the step
   * reject what was heard since the poll before (stamped "before" that poll's start).
   */
  now?: () => number;
  /** The monitor's time unit, ms: what is heard is kept for two of them at least (default 1 s). */
  timeUnitMs?: number;
  /**
   * The run's stop. Ctrl+C at a terminal, `timeout` and a service manager's stop signal every process of the
   * run's process group, ss -E too: ss -E ended by such a signal is taken for the stop when the stop comes
   * within a moment (`group_stop.ts`), and is neither started again nor said to have stopped.
   */
  stop?: AbortSignal;
}

/** Forget, oldest first (a Map keeps the order things were added in), what was heard before `before`. */
function forgetBefore(map: Map<string, Heard>, before: number): void {
  for (const [key, heard] of map) {
    if (heard.at >= before) return;
    map.delete(key);
  }
}

/**
 * Start `stdbuf -oL ss -E -tinOH` and keep each destroyed TCP socket's final
 * counters by its connection's key, for the poll that reports the close.
 * Returns why when it cannot start (stdbuf or ss not allowed or not installed);
 * when it stops later it is started again (once a minute at most, with a note),
 * else `running` turns false and a note says so.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { startFinalCounters } from "./final_counters.ts";
 * let say = (_line: string) => {};
 * const source = startFinalCounters({
 *   stream: (_command, _args, options) => {
 *     say = options.onLine;
 *     return { exited: new Promise(() => {}), close: () => Promise.resolve() };
 *   },
 * });
 * if (typeof source === "string") throw new Error(source);
 * const key = "TCP 127.0.0.1 56418 127.0.0.1 54497";
 * const waiting = source.waitFor([key], 60_000);
 * say("UNCONN 1 0 127.0.0.1:56418 127.0.0.1:54497 bytes_sent:123456 bytes_acked:123458 bytes_received:778");
 * await waiting;
 * deepStrictEqual([source.take(key), source.take(key)], [{ sent: 123456, received: 778 }, undefined]);
 * ```
 */
export function startFinalCounters(options: FinalCountersOptions): FinalCountersSource | string {
  const now = options.now ?? (() => performance.now());
  const unit = options.timeUnitMs ?? 1_000;
  const keepMs = Math.max(HEARD_KEEP_MS, 2 * unit + 1_000);
  const heldMs = Math.max(HELD_KEEP_MS, 60_000 + 2 * unit + 1_000);
  let skipped = 0;
  let lines = 0;
  const heard = new Map<string, Heard>();
  const held = new Map<string, Heard>();
  /** Sockets this host aborted ({@linkcode abortedKey}), and when: no counters will come for them. */
  const aborted = new Map<string, number>();
  const notes: string[] = [];
  const errors: string[] = [];
  let running = true;
  let closing = false;
  /** Waiting polls, woken by each line and when ss -E stops. */
  let wake: (() => void)[] = [];
  const wakeAll = () => {
    const woken = wake;
    wake = [];
    for (const resolve of woken) resolve();
  };
  let tool: ToolStream;
  /** When ss -E was last started again after it stopped (ms). */
  let restartedAt = -Infinity;
  const launch = (): ToolStream =>
    options.stream("stdbuf", FINAL_COUNTERS_ARGS, {
      onLine: (line) => {
        lines++;
        const parsed = parseSsDestroyedLine(line);
        if (typeof parsed === "string") skipped++;
        if (parsed === null || typeof parsed === "string") return;
        const t = now();
        if ("aborted" in parsed) {
          aborted.delete(parsed.aborted);
          aborted.set(parsed.aborted, t);
          for (const [key, at] of aborted) {
            if (at >= t - keepMs) break;
            aborted.delete(key);
          }
          wakeAll();
          return;
        }
        // Heard again (a reused port), it goes to the end: the map stays in the order of hearing.
        heard.delete(parsed.key);
        heard.set(parsed.key, { counters: { sent: parsed.sent, received: parsed.received }, at: t });
        forgetBefore(heard, t - keepMs);
        wakeAll();
      },
      onErrorLine: (line) => {
        if (errors.length < 5) errors.push(line);
      },
    });
  const stopped = () => {
    running = false;
    wakeAll();
  };
  /**
   * ss -E exits when the kernel's queue to it overflows (a burst of thousands of closes while this process is
   * busy): it is started again, once a minute at most; what closed meanwhile keeps its last reading. One that
   * stops again within the minute (it cannot run here) is given up: the counters are read at every poll.
   */
  const watch = (current: ToolStream) => {
    current.exited.then(async (exit) => {
      if (closing) return stopped();
      // Ended by the signal that stops the run (see group_stop.ts), or closed while it waited for that stop.
      if (await isRunStop(exit, options.stop) || closing) return stopped();
      const code = exit.code;
      const said = errors.splice(0).join("; ");
      const t = now();
      if (t - restartedAt >= RESTART_EVERY_MS) {
        try {
          tool = launch();
          restartedAt = t;
          notes.push(
            `ss -E stopped (exit ${code}${said === "" ? "" : `: ${said}`}) and was started again: ` +
              "connections that closed meanwhile have their last counters read, not their final ones",
          );
          watch(tool);
          wakeAll();
          return;
        } catch {
          // Cannot start again: given up below.
        }
      }
      stopped();
      notes.push(
        `byte counters are read at every poll: ss -E stopped (exit ${code}${
          said === "" ? "" : `: ${said}`
        }), so bytes at close could no longer be exact`,
      );
    }, stopped);
  };
  try {
    tool = launch();
  } catch (error) {
    if (error instanceof PermissionError) return `stdbuf may not run (${error.message})`;
    return error instanceof Error ? error.message : String(error);
  }
  watch(tool);
  return {
    get running() {
      return running;
    },
    get skipped() {
      return skipped;
    },
    get lines() {
      return lines;
    },
    async waitFor(keys, ms, since = -Infinity) {
      if (ms <= 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let timedOut = false;
      const timeUp = new Promise<void>((resolve) =>
        timer = setTimeout(() => {
          timedOut = true;
          resolve();
        }, timerDelay(ms))
      );
      try {
        const heardSince = (key: string) => {
          const found = heard.get(key);
          const abort = aborted.get(abortedKey(key));
          // An aborted socket's report has no counters: nothing more will come for it.
          return held.has(key) || (found !== undefined && found.at >= since) ||
            (abort !== undefined && abort >= since);
        };
        while (running && !timedOut && !keys.every(heardSince)) {
          await Promise.race([new Promise<void>((resolve) => wake.push(resolve)), timeUp]);
        }
      } finally {
        clearTimeout(timer);
      }
    },
    take(key, hold = false, since = -Infinity) {
      const t = now();
      forgetBefore(held, t - heldMs);
      const fresh = heard.get(key);
      const found = fresh !== undefined && fresh.at >= since ? fresh : held.get(key);
      if (found === undefined) return undefined;
      heard.delete(key);
      held.delete(key);
      if (hold) held.set(key, { counters: found.counters, at: t });
      return found.counters;
    },
    forgetHeld(key) {
      held.delete(key);
    },
    takeNotes() {
      return notes.splice(0);
    },
    close() {
      closing = true;
      return tool.close();
    },
  };
}
