/**
 * Kernel connection events for `--trace`: conntrail's bpftrace program when
 * it can run (Linux, root, tracefs), else `ss -E` (socket-destroy events over
 * netlink), else nothing — with one line saying which, and what adding what
 * would give.
 *
 * @module
 */
import type { OperatingSystem } from "../platform/platform.ts";
import { PermissionError, ToolError } from "../model/errors.ts";
import type { TraceEvent } from "../model/trace_event.ts";
import type { Socket } from "../model/connection.ts";
import { connectionKey } from "../model/connection_key.ts";
import { parseTraceLine } from "../parse/bpftrace_trace.ts";
import { parseSsEventLine } from "../parse/ss_events.ts";
import { BPFTRACE_PROGRAM } from "./bpftrace_program.ts";
import { findExePaths } from "./linux_exe_paths.ts";
import { ProcessPathCache } from "./process_paths.ts";
import type { RunTool } from "./run_tool.ts";
import type { StreamTool, ToolStream } from "./tool_stream.ts";
import { nameUsers } from "./user_names.ts";
import { timerDelay } from "../model/timer_delay.ts";
import { startRace } from "./start_race.ts";
import { isRunStop } from "./group_stop.ts";

/** A source of kernel connection events, read between polls. */
export interface TraceSource {
  /** `bpftrace` or `ss -E`. */
  readonly name: string;
  /**
   * The events that happened up to `before` (ms since the epoch), oldest
   * first, with process paths and user names filled in where they can be;
   * later ones wait for the next call. The events of different CPUs reach
   * conntrail slightly out of order: holding the newest back a little and
   * sorting puts each connection's open before its close.
   */
  drain(before: number): Promise<TraceEvent[]>;
  /** Lines for the user since the last call: lines that could not be read, events lost, the tracer stopping. */
  takeNotes(): string[];
  /**
   * Wait until the tool has printed nothing for a moment since the call (at
   * most a second), so that events still in flight when the run stops are
   * read: the last poll calls it.
   */
  settle(): Promise<void>;
  close(): Promise<void>;
  /**
   * The process that opened a connection, as the tracer saw it connect or
   * accept (until it closes): the collector then needs no walk of every
   * process's descriptors to name it.
   */
  ownerOf?(socket: Socket): { pid: number; name: string | null } | undefined;
}

/** Owners of open traced connections kept at most (the oldest go first: their close was missed). */
const MAX_OWNERS = 100_000;

/** Events kept for the next drain at most; beyond, the oldest are dropped and counted. */
const MAX_PENDING = 500_000;
/**
 * A change of the wall clock's lead on the clock that never steps from this on is a step (the clock set, by hand
 * or by NTP): below, it is the two clocks read a moment apart (Date.now is whole milliseconds).
 */
export const CLOCK_STEP_MS = 100;

/** {@linkcode TraceSource.settle}: this long without a line is quiet; never wait longer than the limit. */
const QUIET_MS = 150;
const SETTLE_LIMIT_MS = 1_000;

/** Options of {@linkcode openTraceSource}. */
export interface OpenTraceOptions {
  os: OperatingSystem;
  /** Starts bpftrace and ss -E (`toolStreamer(platform.programs)`). */
  stream: StreamTool;
  /** Runs `find` for process paths. */
  run: RunTool;
  /** How long bpftrace may take to compile and attach its program. Default 60 s. */
  readyTimeoutMs?: number;
  /** The run's stop: one while bpftrace attaches ends it then, and nothing else is started. */
  stop?: AbortSignal;
  /** uid → name (`readUserNames(platform)`); null leaves users numeric. */
  userNames: Map<string, string> | null;
  /** The wall clock, ms (default `Date.now`): the polls' clock, which traced times are told in. */
  now?: () => number;
  /** A clock that never steps, ms (default `performance.now`): how far the wall clock was set since a start. */
  elapsed?: () => number;
}

/** The source in use (or none), and the one line that says so (empty when the run was stopped as it started). */
export interface OpenedTrace {
  source: TraceSource | null;
  note: string;
}

/** What startBpftrace returns when the run was stopped while bpftrace attached. */
const STOPPED = Symbol("stopped");

const WHAT_BPFTRACE_GIVES = "every TCP connect and accept with its process, even between polls, " +
  "closes as they happen, and the first send of each UDP flow";
const BPFTRACE_REMEDY = "install bpftrace (Debian/Ubuntu: apt-get install bpftrace), run as root " +
  "with --allow-run=bpftrace, and mount tracefs if it is not (mount -t tracefs nodev /sys/kernel/tracing)";

/** bpftrace's reason for not starting, in one line, with what to do when it is known. */
function bpftraceFailure(errors: readonly string[], code: number | null): string {
  const error = errors.map((line) => line.replace(/^.*?ERROR: /, "")).find((line, i) =>
    /ERROR: /.test(errors[i] ?? "") && !/RLIMIT_MEMLOCK/.test(line)
  );
  if (error === undefined) return `bpftrace exited with code ${code ?? "?"} before it attached`;
  if (/root user/.test(error)) return "bpftrace needs root";
  if (/tracepoint not found/.test(error)) {
    return `bpftrace: ${error} (is tracefs mounted? mount -t tracefs nodev /sys/kernel/tracing)`;
  }
  return `bpftrace: ${error}`;
}

function startFailure(error: unknown, tool: string): string {
  if (error instanceof PermissionError) return `conntrail may not run ${tool} (add ${error.flag})`;
  if (error instanceof ToolError && error.notFound) return `${tool} is not installed`;
  return error instanceof Error ? error.message : String(error);
}

/** The pending events and the notes of a running source; shared by both kinds. */
class EventBuffer {
  #pending: TraceEvent[] = [];
  #notes: string[] = [];
  #skipped = 0;
  #dropped = 0;
  #lastLineAt = 0;
  readonly #paths: ProcessPathCache;
  readonly #userNames: Map<string, string> | null;

  constructor(run: RunTool, userNames: Map<string, string> | null) {
    this.#paths = new ProcessPathCache(findExePaths(run, (remedy) => {
      this.note(`note: paths of traced processes are left out: ${remedy} from /proc/<pid>/exe`);
    }));
    this.#userNames = userNames;
  }

  /** A line arrived. */
  heard(): void {
    this.#lastLineAt = performance.now();
  }

  async settle(): Promise<void> {
    const start = performance.now();
    // Quiet since the call, not only before it: a report on its way when the run stops is not there yet.
    const quietFor = () => performance.now() - Math.max(this.#lastLineAt, start);
    while (quietFor() < QUIET_MS && performance.now() - start < SETTLE_LIMIT_MS) {
      await new Promise((resolve) => setTimeout(resolve, timerDelay(QUIET_MS / 3)));
    }
  }

  /** The owners of connections the tracer saw open and not close yet, by connection key, oldest first. */
  readonly #owners = new Map<string, { pid: number; name: string | null }>();

  ownerOf(socket: Socket): { pid: number; name: string | null } | undefined {
    return this.#owners.size === 0 ? undefined : this.#owners.get(connectionKey(socket));
  }

  push(event: TraceEvent): void {
    const key = connectionKey(event.socket);
    if (event.kind === "close") this.#owners.delete(key);
    else if (event.socket.pid !== null) {
      this.#owners.delete(key);
      this.#owners.set(key, { pid: event.socket.pid, name: event.socket.process_name });
      if (this.#owners.size > MAX_OWNERS) this.#owners.delete(this.#owners.keys().next().value!);
    }
    if (this.#pending.length >= MAX_PENDING) {
      this.#pending.shift();
      this.#dropped++;
    }
    this.#pending.push(event);
  }

  skipped(): void {
    this.#skipped++;
  }

  /** Move the times of the events not handed over yet by `ms` (the wall clock was set). */
  move(ms: number): void {
    for (const event of this.#pending) event.at += ms;
  }

  note(line: string): void {
    this.#notes.push(line);
  }

  async drain(before: number): Promise<TraceEvent[]> {
    this.#pending.sort((a, b) => a.at - b.at);
    let n = 0;
    while (n < this.#pending.length && (this.#pending[n]?.at ?? Infinity) <= before) n++;
    const events = this.#pending.splice(0, n);
    const owned = events.filter((e) => e.socket.pid !== null).map((e) => e.socket);
    await this.#paths.fill(owned);
    nameUsers(owned, this.#userNames);
    return events;
  }

  takeNotes(): string[] {
    if (this.#skipped > 0) {
      this.#notes.push(
        `note: ${this.#skipped} lines of the tracer's output could not be read; they are skipped`,
      );
      this.#skipped = 0;
    }
    if (this.#dropped > 0) {
      this.#notes.push(
        `warning: ${this.#dropped} kernel events were dropped (more than ${MAX_PENDING} waiting)`,
      );
      this.#dropped = 0;
    }
    return this.#notes.splice(0);
  }
}

/** Watch a running tool: a stop that was not asked for becomes a note. */
function watchExit(
  tool: ToolStream,
  name: string,
  buffer: EventBuffer,
  errors: string[],
  stop: AbortSignal | undefined,
): { closing: boolean } {
  const state = { closing: false };
  tool.exited.then(async (exit) => {
    // Ended by the signal that stops the run (Ctrl+C, `timeout`: the whole process group): nothing to say.
    const runStop = await isRunStop(exit, stop);
    if (state.closing || runStop) return;
    const why = errors.find((line) => !/RLIMIT_MEMLOCK/.test(line)) ?? `exit code ${exit.code}`;
    buffer.note(`warning: ${name} stopped (${why}); kernel events are no longer seen, polling goes on`);
  });
  return state;
}

async function startBpftrace(
  options: OpenTraceOptions,
  buffer: EventBuffer,
): Promise<TraceSource | string | typeof STOPPED> {
  const stream = options.stream;
  const errors: string[] = [];
  let ready: (() => void) | null = null;
  const attached = new Promise<void>((resolve) => (ready = resolve));
  // bpftrace tells the wall time of its clock by an offset it reads once, as it starts: once the wall clock is
  // set (a step back would hold every event back for as long, a step forward would date them in the past),
  // its times are moved by the step, so that they stay on the polls' clock.
  const now = options.now ?? Date.now;
  const elapsed = options.elapsed ?? (() => performance.now());
  /**
   * The wall clock's lead on the clock that never steps at the start, plus every suspend since: a suspend moves
   * that lead as a step does (performance.now is CLOCK_MONOTONIC, which stands still while the host sleeps), but
   * bpftrace's `nsecs` is CLOCK_BOOTTIME, which counts the sleep: its times stay right.
   */
  let leadBase = now() - elapsed();
  /** How far the wall clock has been set since bpftrace started (ms): what bpftrace's times are moved by. */
  let stepped = 0;
  /** Move bpftrace's times, and those not handed over yet, by `ms` more. */
  const step = (ms: number) => {
    buffer.move(ms);
    stepped += ms;
  };
  let tool: ToolStream;
  try {
    tool = stream("bpftrace", ["-B", "none", "-e", BPFTRACE_PROGRAM], {
      // 1 MiB per CPU for events in flight (the default 256 KiB fills at a few thousand connects a second).
      env: { BPFTRACE_PERF_RB_PAGES: "256" },
      onLine: (line) => {
        buffer.heard();
        const parsed = parseTraceLine(line);
        if (parsed.kind === "ready") ready?.();
        else if (parsed.kind === "event") {
          const event = parsed.event;
          const t = now();
          const change = t - elapsed() - leadBase - stepped;
          if (Math.abs(change) >= CLOCK_STEP_MS) {
            // A step, or a suspend (bpftrace's clock counts it), or a step before bpftrace read its offset as it
            // started (its times are right). The event tells which: moved by a step, it comes closer to when it
            // was read (it cannot be read before it happened, and is read a moment after); else it is as close
            // already. One read before it happened, as the wall clock was set back, is a step's at once (it may
            // have been read late).
            const late = t - event.at - stepped;
            // Those not handed over yet move too: else they would wait as long as the clock was set back.
            if ((change < 0 && late < 0) || Math.abs(late - change) < Math.abs(late)) step(change);
            else leadBase += change;
          }
          // An event read before it happened: the last change was taken for a step where it was a suspend (an
          // event from before it read after it looks as late as a step forward): it is dated when it was read.
          const ahead = event.at + stepped - t;
          if (ahead > CLOCK_STEP_MS) step(-ahead);
          if (stepped !== 0) event.at += stepped;
          buffer.push(event);
        } else if (parsed.kind === "skipped") {
          const lost = /^Lost (\d+) events/.exec(line);
          if (lost !== null) {
            buffer.note(`warning: the kernel dropped ${lost[1]} trace events (its buffer was full)`);
          } else buffer.skipped();
        }
      },
      onErrorLine: (line) => {
        if (errors.length < 50) errors.push(line);
      },
    });
  } catch (error) {
    return startFailure(error, "bpftrace");
  }
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const outcome = await startRace(attached, tool.exited, {
    timeoutMs,
    ...(options.stop ? { stop: options.stop } : {}),
  });
  if (outcome !== "ready") {
    await tool.close();
    if (outcome === "stopped") return STOPPED;
    return outcome === "timeout"
      ? `bpftrace did not attach within ${timeoutMs / 1000} s`
      : bpftraceFailure(errors, outcome.code);
  }
  const state = watchExit(tool, "bpftrace", buffer, errors, options.stop);
  return {
    name: "bpftrace",
    drain: (before) => buffer.drain(before),
    ownerOf: (socket) => buffer.ownerOf(socket),
    takeNotes: () => buffer.takeNotes(),
    settle: () => buffer.settle(),
    close: () => {
      state.closing = true;
      return tool.close();
    },
  };
}

function startSsEvents(options: OpenTraceOptions, buffer: EventBuffer): TraceSource | string {
  const stream = options.stream;
  const now = options.now ?? Date.now;
  const errors: string[] = [];
  let tool: ToolStream;
  try {
    // ss writes through stdio, fully buffered into a pipe: stdbuf makes it write each line as it comes.
    tool = stream("stdbuf", ["-oL", "ss", "-E", "-tunH"], {
      onLine: (line) => {
        buffer.heard();
        const parsed = parseSsEventLine(line, now());
        if (typeof parsed === "string") buffer.skipped();
        else if (parsed !== null) buffer.push(parsed);
      },
      onErrorLine: (line) => {
        if (errors.length < 50) errors.push(line);
      },
    });
  } catch (error) {
    return startFailure(error, "stdbuf");
  }
  const state = watchExit(tool, "ss -E", buffer, errors, options.stop);
  return {
    name: "ss -E",
    drain: (before) => buffer.drain(before),
    ownerOf: (socket) => buffer.ownerOf(socket),
    takeNotes: () => buffer.takeNotes(),
    settle: () => buffer.settle(),
    close: () => {
      state.closing = true;
      return tool.close();
    },
  };
}

/**
 * Start the best source of kernel connection events this machine allows:
 * bpftrace (waiting until its program is attached), else `ss -E`, else none.
 * The note names the source in use, and what the user would gain by adding
 * what is missing. A stop while bpftrace attaches ends it and starts nothing (no note).
 *
 * @example
 * ```ts ignore
 * const stream = toolStreamer(platform.programs), run = toolRunner(platform.programs);
 * const { source, note } = await openTraceSource({ os: platform.os, stream, run, userNames: null });
 * console.error(note);
 * const events = await source?.drain(Date.now() - 250);
 * await source?.close();
 * ```
 */
export async function openTraceSource(options: OpenTraceOptions): Promise<OpenedTrace> {
  if (options.os !== "linux") {
    return { source: null, note: "note: --trace needs Linux (bpftrace or ss -E); polling only" };
  }
  if (options.stop?.aborted) return { source: null, note: "" };
  const run = options.run;
  const userNames = options.userNames;
  const traced = await startBpftrace(options, new EventBuffer(run, userNames));
  // Stopped as it started: the run ends, with no fallback to start and stop again.
  if (traced === STOPPED || options.stop?.aborted) {
    if (typeof traced === "object") await traced.close();
    return { source: null, note: "" };
  }
  if (typeof traced !== "string") {
    return { source: traced, note: `note: trace: bpftrace (kernel events: ${WHAT_BPFTRACE_GIVES})` };
  }
  const fallback = startSsEvents(options, new EventBuffer(run, userNames));
  if (typeof fallback !== "string") {
    return {
      source: fallback,
      note:
        `note: trace: ss -E (every TCP and UDP socket as it closes; processes only for those a poll saw) — ` +
        `${traced}; to see ${WHAT_BPFTRACE_GIVES}: ${BPFTRACE_REMEDY}`,
    };
  }
  return {
    source: null,
    note: `note: trace: off, polling only — ${traced}; ss -E: ${fallback}; ` +
      `to see ${WHAT_BPFTRACE_GIVES}: ${BPFTRACE_REMEDY}`,
  };
}
