/**
 * The monitor's whole poll (the ss collector reading a {@linkcode ScriptedHost}, `runMonitor` with its
 * tracker, filters and alerts) over a number of polls on a virtual clock, as the lines of what it reported:
 * every event (NEW, STATE, CLOSED, ALERT, with counters), every status line, and the owners learned later.
 *
 * @module
 */
import { createSsCollector } from "../../lib/collect/ss_collector.ts";
import type { Collector } from "../../lib/collect/collector.ts";
import { BlocklistIndex } from "../../lib/enrich/blocklist_index.ts";
import { parseBlocklist } from "../../lib/parse/blocklist.ts";
import { AlertWatch } from "../../lib/monitor/alert_watch.ts";
import { pollAlerts, type ThreatIntel } from "../../lib/cli/threat_intel.ts";
import { runMonitor } from "../../lib/monitor/run_monitor.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import type { HistoryRecorder } from "../../lib/monitor/history_recorder.ts";
import type { Connection } from "../../lib/model/connection.ts";
import { ToolError } from "../../lib/model/errors.ts";
import type { ConnectionEvent, SlottedConnection, StatusEvent } from "../../lib/model/monitor_event.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { type HostScript, ScriptedHost } from "./_scripted_host.ts";
import process from "node:process";

/** CPU time of the process (ms): a machine's other load does not count, as wall time would. */
function cpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

/** What a replay measures (ms of the process's CPU, summed over the polls after `warm`). */
export interface ReplayTimes {
  collect: number;
  dumpParse: number;
  tracker: number;
  alerts: number;
  output: number;
  /** The whole poll, from the collector's call to the output's. */
  poll: number;
  polls: number;
}

export interface ReplayOptions extends HostScript {
  polls: number;
  traffic?: boolean;
  /** Which connections the monitor's filters keep (default: all). */
  keep?: (c: Connection) => boolean;
  /** Polls not timed (V8 warms up). */
  warm?: number;
  times?: ReplayTimes;
  /**
   * Hands each poll's sockets on as plain copies, as a collector without memory would, and the tracker plain
   * copies of the connections, and the host no cookies: nothing is recognised by identity, every socket is read
   * as if new to each layer (but the dump's reader and the UDP text's, which remember sockets by inode and line).
   */
  copies?: boolean;
  /**
   * Whether `cat` can read /proc/net (default true): without it UDP comes from ss's text and TCP always from dumps
   * (cat still names the walk's processes).
   */
  cat?: boolean;
  /** Collects the command lines the collector ran. */
  ran?: string[];
  /**
   * Read the byte counters at the first poll and every this many (as scroll mode does beside `ss -E`), and ask
   * the collector for none at the polls between (default: every poll reads them).
   */
  countersEvery?: number;
}

const EPOCH = Date.parse("2026-12-03T19:00:00.000Z");

function line(e: ConnectionEvent | StatusEvent): string {
  const { slot: _slot, ...rest } = e as ConnectionEvent & { slot?: unknown };
  return JSON.stringify(rest);
}

/** Replay a host script through the monitor; the lines of what it reported, in order. */
export async function replay(options: ReplayOptions): Promise<string[]> {
  // Without cookies the dump's reader remembers no TIME_WAIT socket either.
  const host = new ScriptedHost(options.copies ? { ...options, cookies: false } : options);
  let clock = EPOCH;
  const times = options.times;
  const warm = options.warm ?? 0;
  let polls = 0;
  const timed = () => times !== undefined && polls > warm;
  const run: typeof host.run = (command, args, runOptions) => {
    options.ran?.push([command, ...args].join(" "));
    // Without cat, /proc/net cannot be read (cat still names the walk's processes, as with --allow-run=cat).
    if (options.cat === false && command === "cat" && args.some((a) => a.startsWith("/proc/net/"))) {
      return Promise.reject(new ToolError("cat: /proc/net/sockstat: No such file or directory"));
    }
    // A walk of every process's descriptors takes a while: the next one is spaced after it (find's listing of
    // the processes before it does not count).
    if ((command === "find" && args[0] !== "/proc") || args[0] === "-tunapeH") clock += 700;
    const onChunk = runOptions?.onChunk;
    if (onChunk === undefined || !timed()) return host.run(command, args, runOptions);
    return host.run(command, args, {
      ...runOptions,
      onChunk: (chunk) => {
        const t = cpuMs();
        onChunk(chunk);
        times!.dumpParse += cpuMs() - t;
      },
    });
  };
  const host0 = denoPlatform();
  const ss = createSsCollector({
    platform: host0,
    run,
    userNames: new Map([["1000", "farmer"]]),
    root: true,
    traffic: options.traffic ?? true,
    dump: true,
    bufferDump: false,
    ownerWalkSpacing: 3,
    ownerWaitMs: 3000,
    ownWalk: true,
    now: () => clock,
  });
  let pollStart = 0;
  const collector: Collector = {
    name: ss.name,
    collect: async (request) => {
      if (polls > 0) host.step(clock);
      polls++;
      if (timed()) host.prepare();
      pollStart = cpuMs();
      const every = options.countersEvery ?? 1;
      const counters = every === 1 || polls === 1 || polls % every === 0;
      const result = await ss.collect(counters ? request : { ...request, counters: false });
      if (timed()) times!.collect += cpuMs() - pollStart;
      if (options.copies) result.sockets = result.sockets.map((s) => ({ ...s }));
      return result;
    },
  };
  const tracker = new Tracker({
    width: 60,
    groupBy: "ip",
    maxClosedRows: 1000,
    timeUnitMs: 1000,
    traffic: options.traffic ?? true,
  });
  const update = tracker.update.bind(tracker);
  tracker.update = (connections, now, traced, firstSeen) => {
    if (options.copies) {
      const copies = connections.map((c) => ({ ...c }));
      const seenAt = firstSeen;
      if (seenAt !== undefined) {
        const byCopy = new Map<Connection, number>();
        connections.forEach((c, i) => {
          const seen = seenAt.get(c);
          if (seen !== undefined) byCopy.set(copies[i]!, seen);
        });
        firstSeen = byCopy;
      }
      connections = copies;
    }
    const t = cpuMs();
    const events = update(connections, now, traced, firstSeen);
    if (timed()) times!.tracker += cpuMs() - t;
    return events;
  };
  const index = new BlocklistIndex([{ name: "ips.txt", list: parseBlocklist("198.51.100.0/24\n") }]);
  const watch = new AlertWatch({
    blocklists: () => index,
    reputation: null,
    expected: null,
    includePrivate: true,
  });
  const threat = { refreshSoon: () => {} } as unknown as ThreatIntel;
  const judge = pollAlerts(threat, watch);
  const lines: string[] = [];
  const learned = (owners: readonly SlottedConnection[]) => {
    for (const { connection } of owners) lines.push(`OWNER ${JSON.stringify(connection)}`);
  };
  const history = {
    record: (
      _events: readonly ConnectionEvent[],
      poll?: { ownersLearned?: readonly SlottedConnection[] },
    ) => {
      learned(poll?.ownersLearned ?? []);
    },
    close: () => Promise.resolve(),
  } as unknown as HistoryRecorder;
  await runMonitor(tracker, {
    timeUnitMs: 1000,
    count: options.polls,
    keep: options.keep ?? (() => true),
    statusEvery: 5,
  }, {
    collector,
    now: () => new Date(clock),
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    output: {
      onPoll: (events, status) => {
        if (timed()) {
          times!.poll += cpuMs() - pollStart;
          times!.polls++;
        }
        lines.push(`POLL ${polls}`);
        for (const e of events) lines.push(line(e));
        if (status !== null) {
          lines.push(line(status));
          // What history and the page read of the open connections, at each status line. Not their time stamp:
          // an unchanged connection keeps the one of the poll that made it (ConnectionMemory), which a path that
          // recognises nothing makes anew each poll, and no reader of the open connections reads it.
          const open = [...tracker.openConnections()].map(({ timestamp: _, ...c }) =>
            `OPEN ${JSON.stringify(c)}`
          );
          for (const text of open.sort()) lines.push(text);
        }
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    },
    log: null,
    history,
    note: (text) => lines.push(`NOTE ${text}`),
    stop: new AbortController().signal,
    trace: options.trace
      ? { drain: (before) => Promise.resolve(host.traced(before)), takeNotes: () => [] }
      : null,
    alerts: (connections, changes, at) => {
      const t = cpuMs();
      const raised = judge(connections, changes, at);
      if (timed()) times!.alerts += cpuMs() - t;
      return raised;
    },
  });
  return lines;
}
