import type { Collector } from "../../lib/collect/collector.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import type { CommandIo } from "../../lib/cli/command_io.ts";
import type { EnvReading } from "../../lib/platform/platform.ts";
import { type MonitorOptions, parseArgs } from "../../lib/cli/parse_args.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { type BlocklistFilesIo, blocklistIo } from "../../lib/enrich/blocklist_files.ts";
import { nextTurn } from "../waiting.ts";

const platform = denoPlatform();

/** An outgoing TCP socket of firefox's, as a collector reports it. */
export function socket(remoteIp: string, localPort: number, overrides: Partial<Socket> = {}): Socket {
  return {
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: localPort,
    remote_ip: remoteIp,
    remote_port: 443,
    status: "ESTABLISHED",
    pid: 4211,
    process_name: "firefox",
    process_path: "/usr/lib/firefox/firefox",
    user: null,
    inode: null,
    ...overrides,
  };
}

/** A collector that reports these readings in turn, then the last one forever. */
export function scripted(readings: Socket[][]): Collector {
  let polls = 0;
  return {
    name: "scripted",
    collect: () =>
      Promise.resolve({
        sockets: readings[Math.min(polls++, readings.length - 1)] ?? [],
        skipped: [],
        notes: [],
      }),
  };
}

/** Monitor options parsed from flags, as main.ts would get them. */
export function options(args: string[]): MonitorOptions {
  const command = parseArgs(["monitor", ...args]);
  if (command.kind !== "monitor") throw new Error(`not a monitor command: ${JSON.stringify(command)}`);
  return command.options;
}

/**
 * Work the monitor starts and does not wait for (AbuseIPDB requests, block-list
 * reads, PTR queries), counted as it goes, so that a test clock can let all of
 * it finish before time moves on: the test waits for the work, not for a time.
 */
export function pendingWork() {
  let count = 0;
  const waiters: (() => void)[] = [];
  const track = <A extends unknown[], T>(work: (...args: A) => Promise<T>) => async (...args: A) => {
    count++;
    try {
      return await work(...args);
    } finally {
      count--;
      if (count === 0) { for (const resolve of waiters.splice(0)) resolve(); }
    }
  };
  const lists = blocklistIo(platform);
  return {
    track,
    /** fetch, with the body read before the answer is handed over. */
    fetch: track(async (input: string | URL | Request, init?: RequestInit) => {
      const response = await fetch(input, init);
      const body = await response.arrayBuffer();
      return new Response(body, { status: response.status, headers: response.headers });
    }) as typeof fetch,
    lists: {
      readTextFile: track(lists.readTextFile),
      stamp: track(lists.stamp),
      resolve: track(lists.resolve),
    } satisfies BlocklistFilesIo,
    /** Resolves once nothing counted is running, and what finished has been handled. */
    async settled(): Promise<void> {
      do {
        while (count > 0) await new Promise<void>((resolve) => waiters.push(resolve));
        await nextTurn();
      } while (count > 0);
    },
  };
}

/**
 * A clock that moves only when the monitor sleeps, and lets the work the
 * monitor started finish first (`settled`): real file and network work
 * completes between polls whatever the machine's load.
 */
export function steppingClock(
  settled: () => Promise<void> = nextTurn,
): { now: () => Date; sleep: (ms: number) => Promise<void> } {
  let now = new Date(2026, 10, 21, 14, 30, 0).getTime();
  return {
    now: () => new Date(now),
    sleep: async (ms) => {
      await settled();
      now += ms;
    },
  };
}

/** What a test may set: any of the io, with whether stdout is a terminal and the environment as plain values. */
export type MonitorTestOverrides = Partial<Omit<CommandIo, "stdoutIsTerminal">> & {
  stdoutIsTerminal?: boolean;
  /** What the monitor's environment reading finds. */
  env?: EnvReading;
};

/**
 * A monitor io that records stdout and stderr, on a stepping clock; AbuseIPDB
 * requests and block-list reads are counted so that each poll sees what the
 * previous ones started.
 */
export function io(collector: Collector, overrides: MonitorTestOverrides = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const work = pendingWork();
  const clock = steppingClock(work.settled);
  const { stdoutIsTerminal = false, env = { values: new Map(), denied: [] }, ...rest } = overrides;
  const value: CommandIo & { collector: Collector } = {
    // The real machine's programs, files and network, as main.ts hands them down.
    ...denoPlatform(),
    collector,
    now: clock.now,
    sleep: clock.sleep,
    stdoutIsTerminal: () => stdoutIsTerminal,
    stdout: (text) => {
      out.push(text);
      return Promise.resolve();
    },
    // One line at a time, as the monitor writes them.
    stderr: (text) => void err.push(text.replace(/\n$/, "")),
    readEnv: () => env,
    terminal: { write: () => {}, setRaw: () => {}, size: () => ({ columns: 80, rows: 24 }) },
    fetch: work.fetch,
    lists: work.lists,
    // Tests run with every permission: what the real platform would answer.
    mayRead: () => true,
    mayWrite: () => true,
    // No signal handlers: a test's Ctrl+C is the test runner's.
    onSignals: () => () => {},
    ...rest,
  };
  return { io: value, stdout: () => out.join(""), stderr: () => err.join("\n"), work };
}
