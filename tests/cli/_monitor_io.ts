import type { Collector } from "../../lib/collect/collector.ts";
import type { MonitorCommandIo } from "../../lib/cli/monitor_command.ts";
import { type MonitorOptions, parseArgs } from "../../lib/cli/parse_args.ts";
import type { Socket } from "../../lib/model/connection.ts";

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

/** A monitor io that records stdout and stderr. */
export function io(collector: Collector, overrides: Partial<MonitorCommandIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: MonitorCommandIo = {
    collector,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    stdoutIsTerminal: false,
    write: (text) => {
      out.push(text);
      return Promise.resolve();
    },
    warn: (line) => err.push(line),
    env: { values: new Map(), denied: [] },
    terminal: { write: () => {}, setRaw: () => {}, size: () => ({ columns: 80, rows: 24 }) },
    ...overrides,
  };
  return { io: value, stdout: () => out.join(""), stderr: () => err.join("\n") };
}

/** A clock that moves only when the monitor sleeps, letting real file and network work finish in between. */
export function steppingClock(): { now: () => Date; sleep: (ms: number) => Promise<void> } {
  let now = new Date(2026, 10, 21, 14, 30, 0).getTime();
  return {
    now: () => new Date(now),
    sleep: async (ms) => {
      now += ms;
      await new Promise((resolve) => setTimeout(resolve, 30));
    },
  };
}
