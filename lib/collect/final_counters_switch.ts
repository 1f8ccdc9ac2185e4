/**
 * Sparse counters (the byte counters read every few polls, exact bytes at close from `ss -E`) only while they
 * cost less than reading the counters at every poll: each destroyed TCP socket is a line ss -E writes and the
 * monitor reads, so under connection churn the destroy events cost more than skipping `tcp_info` saves. Above
 * the break-even close rate ss -E is stopped and the counters are read at every poll (as without sparse
 * counters); once the rate has stayed well below it for a minute, ss -E is started again.
 *
 * @module
 */
import type { ByteCounts } from "../model/byte_counters.ts";
import type { Socket } from "../model/connection.ts";
import { connectionKey } from "../model/connection_key.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import type { FinalCountersSource } from "./final_counters.ts";

/**
 * CPU a destroyed socket costs with ss -E running, µs: ~38 in ss, ~105 in the monitor's read path (one pipe
 * read, decoder chunk and promise per line: `stdbuf -oL`) (review22 section 0, 600 lines/s, 1k farm).
 */
export const LINE_COST_US = 143;

/**
 * CPU a poll saves per listed TCP socket (not TIME_WAIT: a timewait record has no `tcp_info`) when it skips the
 * counters, µs: counters21's measurements, 2-3 ms a poll at 1k sockets, 10-26 ms at 10k; the low end, so that
 * sparse counters are kept only where they surely save.
 */
export const SAVED_US_PER_SOCKET = 2;

/** Share of polls that skip the counters in sparse mode (9 in 10: `COUNTERS_EVERY` 10). */
export const SKIPPED_SHARE = 0.9;

/** How long the close rate must stay low before ss -E is started again (hysteresis), ms. */
export const CALM_MS = 60_000;

/**
 * The longest wait for calm (ms): each time ss -E, started again after {@linkcode CALM_MS} or more of calm,
 * is stopped again within a minute, the next wait is twice the last (1, 2, 4, 8, 16 minutes). Its closes
 * are what the polls could not see: connections a remote peer closed first, too short for a poll to list
 * them, leave no TIME_WAIT here, and only ss -E sees them; a start that finds the churn again costs a few
 * polls of its lines (and two notes), so it is tried ever less often. 16 minutes: at most that late back
 * to sparse counters once the churn has ended.
 */
export const MAX_CALM_MS = 16 * 60_000;

/** Below this share of the break-even rate, the rate counts as low (hysteresis). */
export const CALM_SHARE = 0.5;

/**
 * The window ss -E's lines are counted over, ms: a burst (a page load's connections closing together) is not
 * churn, and what sparse counters save or cost is an average.
 */
export const WINDOW_MS = 10_000;

/**
 * Below this many destroyed sockets a second sparse counters stay on whatever the sockets: ss -E costs at most
 * ~0.7 ms a second more than the counters at every poll would (5 × 143 µs), where the sockets are too few for
 * either to show, and the bytes at close stay exact.
 */
export const MIN_RATE = 5;

/** How long a TIME_WAIT socket lingers on Linux (fixed, `TCP_TIMEWAIT_LEN`), ms. */
export const TIME_WAIT_MS = 60_000;

/**
 * Destroyed sockets a second above which ss -E costs more than sparse counters save. Sparse counters save
 * `SKIPPED_SHARE × SAVED_US_PER_SOCKET × sockets` µs a poll, `/ timeUnitS` a second; ss -E costs
 * `LINE_COST_US` µs a destroyed socket. Break-even: `0.9 × 2 × sockets / (143 × timeUnitS)` lines a second:
 * 12.6 at 1k sockets and a 1 s poll (review22 measured the break-even near 10-20 closes a second at 1k), 126
 * at 10k. At least {@linkcode MIN_RATE}.
 */
export function breakEvenRate(sockets: number, timeUnitMs: number): number {
  const perSecond = SKIPPED_SHARE * SAVED_US_PER_SOCKET * sockets / (LINE_COST_US * timeUnitMs / 1000);
  return Math.max(MIN_RATE, perSecond);
}

/** What a poll listed that the decision reads. */
export interface PollCounts {
  /** TCP sockets with `tcp_info` to read (not TIME_WAIT). */
  sockets: number;
  /** TCP sockets in TIME_WAIT. */
  timeWait: number;
  /**
   * TCP connections this poll saw close that it does not list in TIME_WAIT (those are counted as they linger):
   * each was a destroyed socket; a passive side (its peer closed first) lingers nowhere on this host.
   */
  closed?: number;
}

/**
 * One pass over a poll's sockets, and over its events for the closes it saw. A close this poll lists in
 * TIME_WAIT is counted there, not again as a `CLOSED` (with `--trace` the tracer's close of an active side is a
 * `CLOSED` with the state the poll before saw, while this poll lists the socket in TIME_WAIT).
 */
export function pollCounts(sockets: readonly Socket[], events: readonly ConnectionEvent[] = []): PollCounts {
  /** The keys of the TCP closes not in TIME_WAIT, and how many closes each; null without any (most polls). */
  let closing: Map<string, number> | null = null;
  /** Their local ports: a TIME_WAIT socket's key is made only when its port is one of them. */
  let ports: Set<number> | null = null;
  let closed = 0;
  for (const event of events) {
    if (event.event !== "CLOSED") continue;
    const c = event.connection;
    if (c.protocol !== "TCP" || c.status === "TIME_WAIT") continue;
    closing ??= new Map();
    ports ??= new Set();
    const key = connectionKey(c);
    closing.set(key, (closing.get(key) ?? 0) + 1);
    ports.add(c.local_port);
    closed++;
  }
  let tcp = 0;
  let timeWait = 0;
  // Indexed, not for-of: Maglev (the top tier under --max-opt=2) makes a for-of's iterator results.
  for (let i = 0; i < sockets.length; i++) {
    const socket = sockets[i]!;
    if (socket.protocol !== "TCP") continue;
    if (socket.status !== "TIME_WAIT") {
      tcp++;
      continue;
    }
    timeWait++;
    if (ports === null || !ports.has(socket.local_port)) continue;
    const key = connectionKey(socket);
    const count = closing?.get(key) ?? 0;
    if (count === 0) continue;
    // This close lingers: counted in timeWait.
    closing?.set(key, count - 1);
    closed--;
  }
  return { sockets: tcp, timeWait, closed };
}

/** One poll's figures in the rate's window. */
interface Polled {
  at: number;
  /** ss -E's lines since the poll before, null while it was off. */
  lines: number | null;
  /** Closes the poll saw that leave no TIME_WAIT ({@linkcode PollCounts.closed}). */
  closed: number;
  elapsed: number;
}

/**
 * The decision, apart from ss -E: given each poll's counts (and, while ss -E runs, how many lines it wrote
 * since the poll before), whether sparse counters pay.
 *
 * The close rate is the larger of two: the lines ss -E wrote a second over the last {@linkcode WINDOW_MS}
 * (exact, while it runs), and what the polls see without it: the TIME_WAIT sockets the poll lists over a
 * minute (each closing connection's active side lingers a minute: in steady state, the closes a second of the
 * last minute, whichever way the counters are read), plus the closes a second the polls of the last
 * {@linkcode WINDOW_MS} saw of connections not in TIME_WAIT (a passive side, whose peer closed first: it
 * lingers nowhere on this host). That second misses what lived between two polls and closed without TIME_WAIT
 * here (short connections a remote peer closes first): an underestimate, which the hysteresis's half absorbs
 * for loopback; when it is far below, ss -E started again finds the churn and is stopped within a poll or two,
 * and the next wait for calm is twice as long ({@linkcode MAX_CALM_MS}).
 */
export class SparseDecision {
  #timeUnitMs: number;
  #sparse = true;
  /** Since when (ms) the rate has been low, while sparse is off. */
  #calmSince: number | null = null;
  /** How long the rate must stay low before sparse is on again, ms. */
  #calmMs = CALM_MS;
  /** When sparse turned on again (ms); null for the run's start. */
  #sparseSince: number | null = null;
  #lastAt: number | null = null;
  /** The polls of the last {@linkcode WINDOW_MS}. */
  #window: Polled[] = [];

  constructor(timeUnitMs: number) {
    this.#timeUnitMs = timeUnitMs;
  }

  /** Whether sparse counters (ss -E) are on. */
  get sparse(): boolean {
    return this.#sparse;
  }

  /** How long the rate must stay low, from now, before sparse counters are on again (ms). */
  get calmMs(): number {
    return this.#calmMs;
  }

  /** The close rate (a second) this poll's counts say, and the break-even rate. */
  rates(counts: PollCounts, lines: number | null, at: number): { rate: number; breakEven: number } {
    const elapsed = this.#lastAt === null ? this.#timeUnitMs : Math.max(1, at - this.#lastAt);
    let lineSum = lines ?? 0;
    let lineSpan = elapsed;
    let closedSum = counts.closed ?? 0;
    let span = elapsed;
    for (const one of this.#window) {
      if (one.at <= at - WINDOW_MS) continue;
      closedSum += one.closed;
      span += one.elapsed;
      if (one.lines === null) continue;
      lineSum += one.lines;
      lineSpan += one.elapsed;
    }
    const heard = lines === null ? 0 : lineSum * 1000 / lineSpan;
    const seen = counts.timeWait * 1000 / TIME_WAIT_MS + closedSum * 1000 / span;
    return { rate: Math.max(heard, seen), breakEven: breakEvenRate(counts.sockets, this.#timeUnitMs) };
  }

  /**
   * A poll at `at` (ms): returns whether sparse counters should be on from now. `lines`: the lines ss -E wrote
   * since the poll before (null while it is off).
   */
  observe(counts: PollCounts, lines: number | null, at: number): boolean {
    const { rate, breakEven } = this.rates(counts, lines, at);
    const elapsed = this.#lastAt === null ? this.#timeUnitMs : Math.max(1, at - this.#lastAt);
    this.#lastAt = at;
    this.#window = this.#window.filter((one) => one.at > at - WINDOW_MS);
    // ss -E's lines from before it stopped are not its rate once it runs again.
    if (lines === null) { for (const one of this.#window) one.lines = null; }
    this.#window.push({ at, lines, closed: counts.closed ?? 0, elapsed });
    if (this.#sparse) {
      if (rate > breakEven) {
        this.#sparse = false;
        this.#calmSince = null;
        // Started again and stopped within a minute: the churn is one the polls do not see; wait longer.
        const short = this.#sparseSince !== null && at - this.#sparseSince < CALM_MS;
        this.#calmMs = short ? Math.min(MAX_CALM_MS, 2 * this.#calmMs) : CALM_MS;
      }
    } else if (rate >= CALM_SHARE * breakEven) {
      this.#calmSince = null;
    } else {
      this.#calmSince ??= at;
      if (at - this.#calmSince >= this.#calmMs) {
        this.#sparse = true;
        this.#sparseSince = at;
      }
    }
    return this.#sparse;
  }

  /**
   * ss -E, told to run again, could not start or stopped at once (an `ss` that refuses `-O`, a spawn refused):
   * as a start stopped within a minute, sparse is off and the next wait for calm is twice the last.
   */
  failed(): void {
    this.#sparse = false;
    this.#calmSince = null;
    this.#calmMs = Math.min(MAX_CALM_MS, 2 * this.#calmMs);
  }
}

/** "a minute", "2 minutes"... */
function minutes(ms: number): string {
  const count = Math.round(ms / 60_000);
  return count === 1 ? "a minute" : `${count} minutes`;
}

/** Options of {@linkcode switchFinalCounters}. */
export interface SwitchOptions {
  /** Starts ss -E again (a new source), or says why it cannot. */
  start: () => FinalCountersSource | string;
  /** A clock that never steps, ms (`performance.now`): the rate and the wait for calm are its differences. */
  now: () => number;
  timeUnitMs: number;
  /** The run's stop: once it has come, a poll decides nothing (the run's last poll). */
  stop?: AbortSignal;
}

/**
 * A {@linkcode FinalCountersSource} that stops its ss -E when churn makes it cost more than sparse counters
 * save, and starts one again when it pays again ({@linkcode SparseDecision}); `afterPoll` is told each poll.
 *
 * A switch never costs bytes at close: `running` (which lets a poll skip the counters) turns false one poll
 * before ss -E stops, so the poll that switches reads the counters while ss -E still reports what closed since
 * the poll before; after it, what closes keeps that poll's reading or a later one (as at every poll). The
 * stopped source keeps what it heard and held (a TIME_WAIT's counters for its CLOSED). Started again, ss -E
 * has a whole poll (which still reads the counters) to begin listening before a poll skips them. A start that
 * fails, or whose ss -E has stopped by that poll (an `ss` before iproute2 5.2 refuses `-O`), counts as a
 * start stopped at once: the next wait for calm is twice the last ({@linkcode MAX_CALM_MS}); only the first
 * such start is said, until ss -E runs again. So is an ss -E that stopped on its own while sparse (said by its
 * source): never said to be stopped for churn.
 */
export function switchFinalCounters(first: FinalCountersSource, options: SwitchOptions): FinalCountersSource {
  const decision = new SparseDecision(options.timeUnitMs);
  let current: FinalCountersSource | null = first;
  /** The source stopped last: what it heard and held is still taken. */
  let retired: FinalCountersSource | null = null;
  /** The phase: sparse; stopping (this poll reads the counters, ss -E stops after it); off; warming (started, not trusted yet). */
  let phase: "sparse" | "stopping" | "off" | "warming" = "sparse";
  let linesBefore = first.lines ?? 0;
  const notes: string[] = [];
  let skippedBefore = 0;
  /** Why ss -E stops (said once it has). */
  let why = "";
  /** A start that failed was said: those after it are not, until ss -E runs again. */
  let failSaid = false;
  /** A start that failed or stopped at once: tried again after a longer wait for calm, said once. */
  const failed = (said: string[]) => {
    decision.failed();
    if (failSaid) return;
    failSaid = true;
    notes.push(
      ...said,
      `ss -E is tried again after ${minutes(decision.calmMs)} of few closes, each time twice as late ` +
        `(${minutes(MAX_CALM_MS)} at most), without a note until it runs`,
    );
  };
  const stop = async () => {
    const stopping = current;
    current = null;
    if (stopping === null) return;
    skippedBefore += stopping.skipped;
    notes.push(...stopping.takeNotes());
    await stopping.close();
    retired = stopping;
  };
  return {
    get running() {
      return phase === "sparse" && current !== null && current.running;
    },
    get skipped() {
      return skippedBefore + (current?.skipped ?? 0);
    },
    get lines() {
      return current?.lines;
    },
    waitFor(keys, ms, since) {
      return current === null ? Promise.resolve() : current.waitFor(keys, ms, since);
    },
    take(key, hold, since) {
      const found: ByteCounts | undefined = current?.take(key, hold, since);
      return found ?? retired?.take(key, hold, since);
    },
    forgetHeld(key) {
      current?.forgetHeld?.(key);
      retired?.forgetHeld?.(key);
    },
    takeNotes() {
      // A source started this poll has its notes taken at the next, which tells whether it stopped at once.
      return [...notes.splice(0), ...(phase === "warming" ? [] : current?.takeNotes() ?? [])];
    },
    async afterPoll(sockets, events) {
      // After the stop (the run's last poll): ss -E may have ended of the stop's own signal (group_stop.ts).
      if (options.stop?.aborted) return;
      if (phase === "sparse" && current !== null && !current.running) {
        // It stopped on its own and said why (an ss that refuses -O, at the run's start; one that stopped twice
        // within a minute): not a stop for churn, nothing more to say of it. Tried again after calm, as a start
        // that stopped at once.
        await stop();
        phase = "off";
        failed([]);
      }
      const at = options.now();
      const counts = pollCounts(sockets, events);
      let lines: number | null = null;
      if (current !== null && phase !== "warming") {
        const total = current.lines ?? 0;
        lines = Math.max(0, total - linesBefore);
        linesBefore = total;
      } else if (current !== null) {
        linesBefore = current.lines ?? 0;
      }
      const { rate, breakEven } = decision.rates(counts, lines, at);
      const sparse = decision.observe(counts, lines, at);
      if (phase === "stopping") {
        // This poll read the counters and took what ss -E heard up to it: ss -E may stop.
        await stop();
        phase = "off";
        notes.push(
          `ss -E stopped: ${why}; the byte counters are read at every poll until closes are few again for ${
            minutes(decision.calmMs)
          }`,
        );
      } else if (phase === "warming" && current !== null && current.running) {
        phase = "sparse";
        failSaid = false;
        notes.push(
          "TCP closes are few again: ss -E runs again and the byte counters are read every few polls",
        );
      } else if (phase === "warming") {
        // Stopped at once (startFinalCounters has started it again once already): not a run.
        const dead = current;
        current = null;
        phase = "off";
        if (dead !== null) {
          skippedBefore += dead.skipped;
          await dead.close();
        }
        const said = dead?.takeNotes() ?? [];
        if (decision.sparse) failed(said);
        else if (!failSaid) notes.push(...said);
        return;
      }
      if (phase === "sparse" && !sparse) {
        phase = "stopping";
        why =
          `${Math.round(rate)} TCP closes a second cost it more than reading the byte counters every few ` +
          `polls saves (${Math.round(breakEven)} at ${counts.sockets} sockets)`;
      } else if (phase === "off" && sparse) {
        const started = options.start();
        if (typeof started === "string") {
          failed([`ss -E could not start again (${started}): byte counters are read at every poll`]);
          return;
        }
        current = started;
        linesBefore = started.lines ?? 0;
        phase = "warming";
      }
    },
    close() {
      return current?.close() ?? Promise.resolve();
    },
  };
}
