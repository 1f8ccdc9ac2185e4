import type { Socket } from "../model/connection.ts";
import { isListening } from "../model/direction.ts";
import { LINGERING_STATUSES } from "../model/status.ts";
import {
  parseSs,
  parseSsInodeOwners,
  splitSsSummary,
  SsLineMemory,
  SsListingReader,
  type SsTcpSummary,
  SsTextReader,
} from "../parse/ss.ts";
import { InetDiagMemory, InetDiagReader } from "../parse/inet_diag.ts";
import { type InodeOwner, InodeOwners } from "./inode_owners.ts";
import type { ParseResult } from "../parse/parse_result.ts";
import type { Collector, CollectorPlatform, CollectRequest, CollectResult, OwnerHint } from "./collector.ts";
import { findExePaths } from "./linux_exe_paths.ts";
import { ProcessPathCache } from "./process_paths.ts";
import { DESCRIPTOR_WALK_TIMEOUT_MS, type RunTool, toolRunner } from "./run_tool.ts";
import { singleFlight } from "./single_flight.ts";
import { nameUsers, readUserNames } from "./user_names.ts";
import { OwnerWalkUnusable, type SocketOwners, walkSocketOwners } from "./socket_owner_walk.ts";
import { PermissionError, ToolError } from "../model/errors.ts";
import { runningAsRoot } from "./running_as_root.ts";
import { timerDelay } from "../model/timer_delay.ts";

/** `ss` arguments: TCP and UDP, all states, numeric, no header, extended (uid, inode), and processes. */
export const SS_ARGS_WITH_OWNERS = ["-tunapeH"] as const;
/** The same without `-p`: no walk over /proc/*\/fd, several times cheaper. */
export const SS_ARGS_WITHOUT_OWNERS = ["-tunaeH"] as const;
/**
 * With `--traffic`: TCP sockets as the kernel's own structures (`-D -` writes
 * the raw `sock_diag` answer, `-i` asks for `tcp_info` with the byte
 * counters, so ss formats nothing), and UDP sockets as text, after ss's
 * summary (`-s`), whose TCP counts per family say which families the dump
 * needs to ask for (see {@linkcode dumpFamilies}).
 */
export const SS_DUMP_ARGS = { tcp: ["-taiD", "-"], udp: ["-uaneH", "-s"] } as const;
/**
 * The dump without the counters (`dump` without `traffic`): no `tcp_info`, so the kernel fills 124 bytes a
 * socket instead of 440. Measured at 10,000 connections (20,000 sockets) beside 46,000 other namespaces'
 * sockets: `ss -taD - -4` 33-36 ms of CPU, `ss -tanH -4` (the text, without -e) 81 ms.
 */
export const SS_DUMP_TCP_WITHOUT_COUNTERS = ["-taD", "-"] as const;

/**
 * `stdbuf`'s arguments before `ss` for a large dump: ss writes its dump through stdio, 4 to 28 kB a write (550
 * writes at 10,000 connections), and each write wakes the reader for a read of its own; with a 256 kB buffer
 * ss blocks on a full pipe and each read takes 64 kB. Measured at 10,000 connections (20,000 sockets, 8.8 MB):
 * 135 reads instead of 420-450, the reader's own CPU 7-7.6 ms instead of 15-17 ms a dump, ss's the same or
 * less (fewer writes; its involuntary switches 6,000 -> 500 a 20 s window in the monitor), stdbuf's exec about
 * 1-2 ms. The monitor's whole CPU at 10,000: 140-151 -> 117-129 ms/s.
 */
export const DUMP_BUFFER_ARGS = ["-o", "256K"] as const;

/**
 * The sockets (at the last reading) from which the dump is read through `stdbuf` ({@linkcode DUMP_BUFFER_ARGS}):
 * at 1,000 connections (2,100 sockets, 0.9 MB in 51 reads) the reads it saves are worth less than its exec.
 */
export const DUMP_BUFFER_FROM = 5_000;

/** Readings between two that dump both TCP families to check the summary's counts (see `createSsCollector`). */
export const FAMILY_CHECK_EVERY = 30;

/**
 * How long a socket may be in TIME-WAIT (Linux's TCP_TIMEWAIT_LEN is 60 s), with a margin: a family with no
 * TCP socket for this long has none in TIME-WAIT either.
 */
export const TIME_WAIT_MS = 65_000;

/**
 * The family option for `ss -taiD -` given the summary read just before it: `-4` when the namespace has no
 * IPv6 TCP socket, `-6` when it has no IPv4 one, none (both) otherwise or when there is no summary. Sockets in
 * TIME-WAIT are counted apart, of no family (ss -s does not say): `lingering` tells which families may have
 * some, those that had a socket open within {@linkcode TIME_WAIT_MS} (default: both may). ss asks the kernel
 * once per family, and each request walks the whole TCP table, which the kernel keeps for every namespace
 * together: at 1,000 connections beside 85,000 other namespaces' sockets `ss -taiD -` took 57 ms of CPU and
 * `ss -taiD - -4` 31 ms. A socket of the family left out that opens between the summary and the dump is read at
 * the next poll, as if it had opened just after this one: the family was empty when the summary was read.
 */
export function dumpFamilies(
  summary: SsTcpSummary | null,
  lingering: { ipv4: boolean; ipv6: boolean } = { ipv4: true, ipv6: true },
): string[] {
  // No TCP socket at all is also what an ss that could not read /proc/net/sockstat prints: both.
  if (summary === null || summary.ipv4 + summary.ipv6 === 0) return [];
  const waiting = summary.timeWait > 0;
  if (summary.ipv6 === 0 && !(waiting && lingering.ipv6)) return ["-4"];
  if (summary.ipv4 === 0 && !(waiting && lingering.ipv4)) return ["-6"];
  return [];
}
/**
 * `--traffic`'s fallback when `ss -D` cannot be used: the same one text run
 * per tick with `-i` (counters) and `-O` (one line per socket, iproute2 5.2
 * on; an older ss gets the arguments without `-O`).
 */
export const SS_TRAFFIC_ARGS = { withOwners: ["-tunapeiOH"], withoutOwners: ["-tunaeiOH"] } as const;

/**
 * The owner walk's spacing the live commands use: after a walk of every
 * process's descriptors that took W, the next one for new sockets waits 3 W,
 * so walks take at most a quarter of the time (of one core: `ss` is one
 * thread), however many sockets are open. At 20,000 sockets a walk costs
 * 1–1.3 s of CPU: walking for every poll that saw a new socket cost more than
 * the 1 s tick by itself.
 */
export const OWNER_WALK_SPACING = 3;
/**
 * How long the live commands hold a new socket back for the walk that names
 * its process, unless a walk that started after it is running: longer, it is
 * reported without one (its first-seen time kept) and the process is filled in
 * when a walk learns it. Spaced walks at 20,000 sockets come every 4–6 s (more
 * on a loaded machine); walks of a few ms (a few thousand sockets) always name
 * it first. Short enough that a connection of a few seconds is reported while
 * it is open: with 10 s, at 21,000 sockets 7 of 8 four-second connections were
 * first reported as TIME_WAIT after they closed (their accepted sides never),
 * and the alert for a 5 s connection to a blocklisted address came after it
 * closed. The price: bytes a socket moves before a walk names it count as no
 * process's (the traffic ledger does not move them later).
 */
export const OWNER_WAIT_MS = 3_000;

interface Owner {
  pid: number;
  name: string | null;
}

/** The owner of a socket without a process. */
const NO_OWNER: InodeOwner = Object.freeze({ pid: null, name: null });
/** Processes whose owner objects are kept for sharing (past it, they are made anew). */
const OWNER_OBJECTS_MAX = 10_000;

/** Options of {@linkcode createSsCollector}. */
export interface SsCollectorOptions {
  platform: CollectorPlatform;
  /** Runs ss and find; defaults to the platform's programs. */
  run?: RunTool;
  /** uid → name; defaults to /etc/passwd when readable. */
  userNames?: Map<string, string> | null;
  /** Whether this runs as root (null: unknown); defaults to asking the platform. */
  root?: boolean | null;
  /** Read TCP byte counters (`--traffic`). */
  traffic?: boolean;
  /**
   * Read TCP from the kernel's structures (`ss -taD -`, and UDP as text) without `traffic` too, until it cannot
   * be read (then the text of `ss -tunaeH`, as without it). Default: with `traffic` only. A live reading
   * (monitor, serve) asks for it: the dump costs less than the text, and an unchanged socket in it is the
   * same object again at the next poll.
   */
  dump?: boolean;
  /**
   * Read a large dump (from {@linkcode DUMP_BUFFER_FROM} sockets at the last reading) through `stdbuf`
   * ({@linkcode DUMP_BUFFER_ARGS}) where it may run (`--allow-run=stdbuf`); plain `ss` otherwise, and from the
   * first time stdbuf cannot run on. Default: with `dump`.
   */
  bufferDump?: boolean;
  /**
   * Space the runs of `ss -p` for new sockets: after one, the next waits this
   * many times as long as that one took (default 0: one whenever a socket is
   * new). Walking every process's descriptors costs as much as `ss -tunap`
   * (0.3 s of CPU at 20,000 sockets, a second when loaded), so with 2 a steady
   * stream of new connections costs at most a third of the time instead of a
   * walk per poll. A socket that opens in between is left out of the readings
   * until the next walk names its process, so that it is never reported, nor
   * its bytes counted, without it (one that also closes in between is missed,
   * as one shorter than a poll is).
   */
  ownerWalkSpacing?: number;
  /**
   * How long a socket may be held back for its owner (default: until the
   * walk). Past it, the socket is read with no process (`pid` null); a later
   * walk fills the process in. {@linkcode CollectResult.waited} tells how
   * long each held socket waited, so that it is stamped with the time it was
   * first seen.
   */
  ownerWaitMs?: number;
  /** The clock that spaces them, ms (default `performance.now`). */
  now?: () => number;
  /**
   * Read once (a one-shot `snapshot`): keep nothing for a next reading, neither the owner of every inode nor
   * when it was last listed (at 21,000 sockets two maps of 21,000 entries, built and swept for nothing).
   */
  once?: boolean;
  /** Fill `process_path` (default true); false runs no `find` and leaves every path null. */
  processPaths?: boolean;
  /**
   * Name the sockets' processes with conntrail's own walk of the descriptors (`find` and `ps`, about half the
   * cost of `ss -p`) where it can run; `ss -p` otherwise. Default: with `once`. A live reading (monitor, serve)
   * walks so at the start (whose walk the first line waits for) and for new sockets later: at the same share
   * of the time, spaced walks that cost half come twice as often, so a new socket waits half as long.
   */
  ownWalk?: boolean;
}

/**
 * Why sockets show no process, as far as it is true for this run: only a run
 * that is not root (or cannot tell) is told that root would see more.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { noProcessNote } from "./ss_collector.ts";
 * deepStrictEqual(noProcessNote(2, true),
 *   "2 sockets show no process: they belong to another network namespace or were being torn down");
 * ```
 */
export function noProcessNote(count: number, root: boolean | null): string {
  const subject = `${count} ${count === 1 ? "socket shows" : "sockets show"} no process`;
  if (root === true) return `${subject}: they belong to another network namespace or were being torn down`;
  const others = root === false
    ? "other users' sockets (run as root to see their processes)"
    : "other users' sockets (only root sees their processes)";
  return `${subject}: ${others}, another network namespace's, or sockets being torn down`;
}

/**
 * The listening sockets (TCP `LISTEN`, UDP bound without a peer) in the text of `ss -tunapeH`: only the
 * lines with those words are cut out and parsed (a walk lists 20,000 sockets, a machine a few listeners).
 */
function listenersIn(text: string): Socket[] {
  const starts = new Set<number>();
  const lines: string[] = [];
  for (const word of [" LISTEN ", " UNCONN "]) {
    for (let at = text.indexOf(word); at >= 0;) {
      const start = text.lastIndexOf("\n", at) + 1;
      const newline = text.indexOf("\n", at);
      const end = newline < 0 ? text.length : newline;
      if (!starts.has(start)) lines.push(text.slice(start, end));
      starts.add(start);
      at = newline < 0 ? -1 : text.indexOf(word, end);
    }
  }
  if (lines.length === 0) return [];
  return parseSs(lines.join("\n"), { traffic: true }).sockets.filter(isListening);
}

/**
 * A dump with the listeners a later reading (the owner walk) lists and the dump missed. A dump is no
 * snapshot: the kernel sends listeners first, then the other sockets, so a listener opened during the dump,
 * with a connection accepted on it, can be missed while that connection is read; without its listener the
 * connection would look outgoing. A listener the walk lists was open all along since then (it precedes
 * what it accepted), so it joins the reading.
 */
function withListeners(dumped: Socket[], listeners: Socket[]): Socket[] {
  if (listeners.length === 0) return dumped;
  const listed = new Set<number>();
  for (const s of dumped) if (s.inode && isListening(s)) listed.add(s.inode);
  // Not one without a process: it may have opened after ss read the processes, and would be read without one.
  const missed = listeners.filter((s) => s.inode && s.pid !== null && !listed.has(s.inode));
  return missed.length === 0 ? dumped : [...dumped, ...missed];
}

const NO_SOCKETS: readonly Socket[] = Object.freeze([]);

/**
 * The sockets with an inode and no process. A function of its own, not a loop in the async `collect`: V8 compiles
 * and runs a loop in an async function more dearly, and this one runs every poll while all sockets have one.
 */
function unownedCount(sockets: readonly Socket[]): number {
  let unowned = 0;
  for (const s of sockets) if (s.inode && s.pid === null) unowned++;
  return unowned;
}

/** How long a poll waits for a spaced walk of the processes' descriptors before it goes on without it. */
const WALK_WAIT_MS = 250;

/** Wait for `promise`, at most `ms`. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<void>((resolve) => timer = setTimeout(resolve, timerDelay(ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Said when a socket held back for its process closed before a walk named it. */
export const MISSED_NOTE = "connections that opened and closed between two walks of every process's " +
  "descriptors (spaced so that they take at most a quarter of a core) were not reported; --trace sees them";

/** Whether ss refused an option it is too old to know (`-O` before iproute2 5.2). */
function isUnknownOption(error: unknown): boolean {
  return error instanceof Error && /invalid option|unrecognized option/i.test(error.message);
}

/**
 * The Linux default collector. The first reading runs `ss -tunapeH`; later
 * readings run `ss -tunaeH`, which skips the costly walk over every process's
 * descriptors, and take owners from a cache keyed by socket inode (an inode
 * never changes). Only when a socket's inode is new does it walk again.
 * Executable paths come from `/proc/<pid>/exe` through `find`, once per process.
 *
 * With `traffic`, a reading is `ss -taiD -` (TCP with byte counters, from the
 * kernel's structures) and `ss -uaneH` (UDP), with owners from the same cache;
 * measured at 10,000 connections this costs less than `ss -tunaeH` does (see
 * bench/monitor_tick_bench.ts). If `ss -D` cannot be read, it says so once and
 * reads the counters from the text of `ss -i` instead. A reading asked for no
 * counters ({@linkcode CollectRequest}) dumps TCP without them (`ss -taD -`) and
 * gives each socket the counters last read of it.
 */
export function createSsCollector(options: SsCollectorOptions): Collector {
  const runTool = options.run ?? toolRunner(options.platform.programs);
  // `ss -p` walks every process's descriptors, as lsof does: the same hang guard as lsof's.
  const run: RunTool = (command, args, runOptions) =>
    runTool(command, args, { timeoutMs: DESCRIPTOR_WALK_TIMEOUT_MS, ...runOptions });
  const traffic = options.traffic ?? false;
  const once = options.once ?? false;
  const processPaths = options.processPaths ?? true;
  let oneLine = true;
  /** `ss -tunapeH` or `ss -tunaeH`, read as text. */
  const ssText = async (owners: boolean) => {
    // Read as it comes: the whole text (2.6 MB at 21,000 sockets, and its bytes before it) is never held.
    const reader = new SsTextReader();
    const { stdout } = await run("ss", owners ? SS_ARGS_WITH_OWNERS : SS_ARGS_WITHOUT_OWNERS, {
      onChunk: (chunk) => reader.push(chunk),
    });
    // A runner that hands the output back whole instead (tests' scripted ones) is read the same.
    return stdout === "" ? reader.end() : parseSs(stdout);
  };
  const ss = async (owners: boolean) => {
    if (!traffic) return await ssText(owners);
    const args = owners ? SS_TRAFFIC_ARGS.withOwners : SS_TRAFFIC_ARGS.withoutOwners;
    if (oneLine) {
      try {
        return parseSs((await run("ss", args)).stdout, { traffic });
      } catch (error) {
        if (!isUnknownOption(error)) throw error;
        oneLine = false;
      }
    }
    return parseSs((await run("ss", args.map((a) => a.replace("O", "")))).stdout, { traffic });
  };
  const userNames = options.userNames === undefined ? readUserNames(options.platform) : options.userNames;
  // An unchanged TCP socket is the same object from poll to poll: a poll of idle connections makes no garbage. It
  // also holds what is known of its inode's owner (see InodeOwners), which moves to a Map when it is forgotten.
  const memory = new InetDiagMemory((socket, inode) => owners.forgotten(socket, inode));
  /**
   * What the collector knows of each inode's owner (`pid` null: no process), and the last reading that listed
   * the inode (or, after a walk named it, the reading after that walk).
   */
  const owners = new InodeOwners(memory);
  /** One owner object per process (and name), shared by its sockets. */
  const ownerObjects = new Map<number, InodeOwner>();
  const ownerObject = (owner: Owner | null): InodeOwner => {
    if (owner === null) return NO_OWNER;
    const known = ownerObjects.get(owner.pid);
    if (known !== undefined && known.name === owner.name) return known;
    if (ownerObjects.size >= OWNER_OBJECTS_MAX) ownerObjects.clear();
    const made = { pid: owner.pid, name: owner.name };
    ownerObjects.set(owner.pid, made);
    return made;
  };
  // The reading that last listed each inode without a known owner (an owned inode's stamp is in its entry): a
  // reading builds no set of the inodes it lists (20,000 a second at 10,000 connections) to forget the others.
  const listedAt = new Map<number, number>();
  /** Keep what is now known of an inode's owner, listed (at least) at `stamp`. */
  /** Owners set so far: a reading that waited for a walk sees whether the walk named any. */
  let ownersSet = 0;
  const setOwner = (inode: number, owner: Owner | null, stamp = 0) => {
    ownersSet++;
    const at = Math.max(owners.listedAt(inode) ?? 0, listedAt.get(inode) ?? 0, stamp);
    listedAt.delete(inode);
    owners.set(inode, ownerObject(owner), at);
  };
  /** Read TCP from `ss -D` (until it cannot be read: then the text of `ss -i`, or without traffic `ss -tunaeH`). */
  let dump = options.dump ?? traffic;
  const notes: string[] = [];
  const paths = new ProcessPathCache(findExePaths(run, (remedy) => {
    notes.push(`process paths are left out: ${remedy} from /proc/<pid>/exe`);
  }));
  let warm = false;
  // Said once per run: the count changes from poll to poll, the reason does not.
  let saidNoProcess = false;
  const root = options.root === undefined ? runningAsRoot(options.platform) : options.root;

  const now = options.now ?? (() => performance.now());
  /** Readings made so far. */
  let readings = 0;
  const spacing = options.ownerWalkSpacing ?? 0;
  const waitMs = options.ownerWaitMs ?? Infinity;
  /** When the next `ss -p` for new sockets may run. */
  let nextWalkAt = -Infinity;
  /** When the latest walk started, and the spaced walk running beside the polls, if one is. */
  let walkStartedAt = -Infinity;
  let walking: Promise<void> | null = null;
  const mayWalk = () => now() >= nextWalkAt;
  /** Owners a tracer saw (`--trace`): a new socket it names needs no walk. */
  let hint: OwnerHint | null = null;
  const takeHints = (sockets: readonly Socket[]) => {
    if (hint === null) return;
    for (const s of sockets) {
      if (!s.inode || owners.of(s) !== undefined) continue;
      const owner = hint(s);
      if (owner !== undefined) setOwner(s.inode, owner);
    }
  };
  /** Whether a socket's owner is known (or it has no inode to know it by): a socket waiting for a walk is not. */
  const ownerKnown = (s: Socket) => !s.inode || owners.of(s) !== undefined;
  /** Sockets held back for a walk: since when (the clock's ms), and the reading that last held them. */
  const held = new Map<number, { since: number; reading: number }>();
  /** Sockets that waited longer than `waitMs` and are read without a process until a walk names it. */
  const released = new Set<number>();
  /** Held sockets read in this reading, and how long they waited (ms). */
  let waited = new Map<number, number>();
  /** When the current reading started: a socket it lists first was first seen then. */
  let readingAt = 0;
  /** New sockets a walk found no process for once: the next walk says whether that stands. */
  const unconfirmed = new Set<number>();
  /** Held sockets that closed before a walk named them: never read. */
  let missed = 0;
  /**
   * The sockets read now, without those waiting for a walk, nor the connections queued on a listener that
   * waits (not accepted yet, they have no inode; read without their listener they would look outgoing).
   * A socket that waited `waitMs` is read without its process.
   */
  const withoutWaiting = (sockets: Socket[], candidates: readonly Socket[] = sockets): Socket[] => {
    const t = now();
    const reading = readings + 1;
    const waits = (s: Socket): boolean => {
      if (ownerKnown(s) || released.has(s.inode!)) return false;
      const since = held.get(s.inode!)?.since ?? readingAt;
      // A walk that started after the socket was first listed will name it: it waits for that walk.
      if (t - since < waitMs || (walking !== null && walkStartedAt >= since)) {
        held.set(s.inode!, { since, reading });
        return true;
      }
      held.delete(s.inode!);
      released.add(s.inode!);
      if (t > since) waited.set(s.inode!, t - since);
      return false;
    };
    const holding = new Set<number>();
    const ports = new Set<string>();
    // Only a socket whose owner is not known can wait: the candidates hold all of those.
    for (const s of candidates) {
      if (!waits(s)) continue;
      holding.add(s.inode!);
      if (isListening(s)) ports.add(`${s.protocol} ${s.local_port}`);
    }
    if (holding.size === 0) return sockets;
    const queued = (s: Socket) =>
      !s.inode && !LINGERING_STATUSES.has(s.status) && ports.has(`${s.protocol} ${s.local_port}`);
    return sockets.filter((s) => !(s.inode && holding.has(s.inode)) && !queued(s));
  };
  /** Held sockets a walk has named: read now, with how long they waited. */
  const releaseNamed = (sockets: Socket[]) => {
    if (held.size === 0) return;
    // Most readings under churn hold sockets that no walk has named yet: nothing to look for among 21,000.
    let named = false;
    for (const inode of held.keys()) {
      if (!owners.has(inode)) continue;
      named = true;
      break;
    }
    if (!named) return;
    const t = now();
    for (const s of sockets) {
      const wait = s.inode ? held.get(s.inode) : undefined;
      if (wait === undefined || !ownerKnown(s)) continue;
      held.delete(s.inode!);
      if (t > wait.since) waited.set(s.inode!, t - wait.since);
    }
  };

  /**
   * After a walk from `started`, the next waits `spacing` times as long; the first reading's walk, which every
   * run makes, does not count: a connection opened soon after the start is named at once.
   */
  const spaceFrom = (started: number, first: boolean) => {
    if (first) return;
    const ended = now();
    nextWalkAt = ended + (ended - started) * spacing;
  };

  /** Whether the flags let conntrail run `command` (true when that cannot be told: it is tried, and may fail). */
  const mayRun = (command: string) => {
    try {
      return options.platform.may({ name: "run", command });
    } catch {
      return true;
    }
  };
  /** Whether owners may come from conntrail's own walk (find and ps) instead of `ss -p`: until it cannot run. */
  // Asked first: a find that walks for nothing and a ps it may not run would cost more than `ss -p` alone
  // (the flags `--allow-run=ss,find` that snapshot asked for before it walked on its own).
  let ownWalk = (options.ownWalk ?? once) && ["find", "ps"].every(mayRun);
  /**
   * A listing run beside conntrail's own walk of the descriptors (started already, or now), both read; null when
   * find or ps cannot be run (then `ss -p` walks).
   */
  const walkBeside = async <T>(
    listing: Promise<T>,
    started?: ReturnType<typeof walkSocketOwners>,
  ): Promise<[T, SocketOwners] | null> => {
    const [listed, walked] = await Promise.allSettled([listing, started ?? walkSocketOwners(run)]);
    if (walked.status === "rejected") {
      const error = walked.reason;
      const unavailable = error instanceof PermissionError || error instanceof OwnerWalkUnusable ||
        (error instanceof ToolError && error.notFound);
      if (!unavailable) throw error;
      ownWalk = false;
      return null;
    }
    if (listed.status === "rejected") throw listed.reason;
    return [listed.value, walked.value];
  };
  /** The sockets (`ss` without `-p`) with their owners from conntrail's own walk, run beside it. */
  const readWalked = async (): Promise<ParseResult | null> => {
    // A walk's listing needs no counters, with `traffic` too: the text without them is enough.
    const both = await walkBeside(ssText(false));
    if (both === null) return null;
    const [parsed, { pids, names, skipped }] = both;
    for (const s of parsed.sockets) {
      const pid = s.inode ? pids.pidOf(s.inode) : undefined;
      s.pid = pid ?? null;
      s.process_name = pid === undefined ? null : names.get(pid) ?? null;
    }
    if (skipped.length > 0) parsed.skipped.push(...skipped);
    return parsed;
  };
  /** The inodes and listeners of `ss` without `-p` (see {@linkcode SsListingReader}). */
  const ssListing = async () => {
    const reader = new SsListingReader();
    const { stdout } = await run("ss", SS_ARGS_WITHOUT_OWNERS, { onChunk: (chunk) => reader.push(chunk) });
    // A runner that hands the output back whole instead (tests' scripted ones) is read the same.
    if (stdout !== "") reader.pushText(stdout);
    return reader.end();
  };

  const readWithOwners = async () => {
    const started = now();
    const first = !warm;
    const parsed = ((once || first) && ownWalk && !traffic ? await readWalked() : null) ?? await ss(true);
    if (!once) {
      for (const s of parsed.sockets) {
        if (s.inode) setOwner(s.inode, s.pid === null ? null : { pid: s.pid, name: s.process_name });
      }
    }
    warm = true;
    spaceFrom(started, first);
    return parsed;
  };

  /**
   * Walk every process's descriptors for the owners of the sockets. The walk is a reading of its own, later
   * than the dump: it returns the listeners it lists (see `withListeners`), and the owners it names are kept
   * until a reading after it leaves their inodes out (a socket opened during or after the dump is named for
   * the next reading, not forgotten and walked for again).
   */
  const learnOwners = async (early?: ReturnType<typeof walkSocketOwners>): Promise<Socket[]> => {
    const started = now();
    const first = !warm;
    walkStartedAt = started;
    try {
      /** What a walk says of a socket's owner (null: none), for this reading and the ones after it. */
      const learn = (inode: number, owner: Owner | null) => {
        // A socket made while the walk ran (after its scan of /proc, before its socket list) shows no process:
        // a new socket's first "none" waits for a second walk to confirm it (the start's walk is believed).
        if (owner === null && background && !first && !owners.has(inode) && !unconfirmed.has(inode)) {
          unconfirmed.add(inode);
          listedAt.set(inode, Math.max(listedAt.get(inode) ?? 0, readings + 1));
          return;
        }
        unconfirmed.delete(inode);
        // Kept until a reading after the walk leaves it out: a socket that opened after the reading's listing
        // (a listener the kernel's dump missed) is named for the next one, not forgotten and walked for again.
        // Not one without a process: it may have opened after the walk read the processes.
        setOwner(inode, owner, owner === null ? 0 : readings + 1);
      };
      // Conntrail's own walk where it may run (about half of ss -p's cost, so spaced walks come twice as often
      // and a new socket waits half as long for its process); the start's may have begun beside the dump.
      // Of the listing, only the inodes and the listeners are kept while the walk runs.
      const walked = ownWalk ? await walkBeside(ssListing(), first ? early : undefined) : null;
      if (walked !== null) {
        const [{ inodes, listeners }, { pids, names }] = walked;
        // One owner per process, not per socket: 21,000 sockets of one process are one object.
        const ownerOf = new Map<number, Owner>();
        const ownerFor = (pid: number): Owner => {
          let owner = ownerOf.get(pid);
          if (owner === undefined) ownerOf.set(pid, owner = { pid, name: names.get(pid) ?? null });
          return owner;
        };
        for (const inode of inodes) {
          const pid = pids.pidOf(inode);
          learn(inode, pid === undefined ? null : ownerFor(pid));
        }
        for (const s of listeners) {
          const pid = s.inode ? pids.pidOf(s.inode) : undefined;
          s.pid = pid ?? null;
          s.process_name = pid === undefined ? null : names.get(pid) ?? null;
        }
        warm = true;
        // Its listing is later than the dump, as ss -p's is: the listeners the dump missed.
        return listeners;
      }
      const text = (await run("ss", SS_ARGS_WITH_OWNERS)).stdout;
      for (const [inode, owner] of parseSsInodeOwners(text)) learn(inode, owner);
      warm = true;
      return listenersIn(text);
    } finally {
      spaceFrom(started, first);
    }
  };

  /**
   * Spaced walks run beside the polls: a poll waits for one at most `WALK_WAIT_MS` (a walk of a few
   * thousand sockets' owners is done by then), so that a walk of seconds (20,000 sockets) does not hold
   * the poll up. Its owners serve the polls after it.
   */
  const background = spacing > 0;
  /** Walk for sockets whose owner is not known, when a walk may run; the listeners of a walk this reading saw end. */
  const walkFor = async (sockets: readonly Socket[]): Promise<Socket[]> => {
    if (!sockets.some((s) => !ownerKnown(s))) return [];
    if (!background) return mayWalk() ? await learnOwners() : [];
    let listeners: Socket[] = [];
    if (walking === null && mayWalk()) {
      const walk: Promise<void> = learnOwners().then((found) => {
        listeners = found;
      }, (error) => {
        notes.push(
          `a walk of the processes' descriptors failed: ${error instanceof Error ? error.message : error}`,
        );
      }).finally(() => {
        if (walking === walk) walking = null;
      });
      walking = walk;
      await within(walk, WALK_WAIT_MS);
      return listeners;
    }
    if (walking !== null) await within(walking, WALK_WAIT_MS);
    return [];
  };

  /** Set each socket's owner as known (none where unknown); returns the sockets whose owner is not known. */
  const nameOwners = (sockets: readonly Socket[]): readonly Socket[] => {
    let unknown: Socket[] | null = null;
    for (const s of sockets) {
      if (!s.inode) continue;
      const owner = owners.of(s);
      if (owner === undefined) (unknown ??= []).push(s);
      s.pid = owner?.pid ?? null;
      s.process_name = owner?.name ?? null;
    }
    return unknown ?? NO_SOCKETS;
  };

  const readWithCache = async () => {
    const parsed = await ss(false);
    takeHints(parsed.sockets);
    if (background) await walkFor(parsed.sockets);
    const walk = !background && mayWalk();
    for (const s of parsed.sockets) {
      if (!s.inode) continue;
      const owner = owners.of(s);
      if (owner === undefined && walk) return null;
      s.pid = owner?.pid ?? null;
      s.process_name = owner?.name ?? null;
    }
    return walk ? parsed : { ...parsed, sockets: withoutWaiting(parsed.sockets) };
  };

  // The same for UDP's text: an unchanged line is not parsed again.
  const udpMemory = new SsLineMemory();
  /** Sockets the last dump and UDP reading listed together. */
  let lastCount = 0;
  /**
   * Whether the summary's counts per family hold here. Every `FAMILY_CHECK_EVERY` readings both families are
   * dumped; a family the summary said was empty that lists sockets then (a /proc that counts wrong, or a socket
   * that opened between the two runs) makes every later dump ask for both, as before the summary was read.
   */
  let trustSummary = true;
  let sinceBoth = 0;
  /**
   * When a socket of each family was last counted or listed (the clock's ms); the start counts as such a time
   * (sockets closed before it may still be in TIME-WAIT). A family without one since {@linkcode TIME_WAIT_MS}
   * has no socket in TIME-WAIT: on a machine whose connections come and go, some always are, and the summary
   * does not say of which family.
   */
  const startedAt = now();
  const lastOpen = { ipv4: startedAt, ipv6: startedAt };
  const familiesFor = (summary: SsTcpSummary | null): string[] => {
    const t = now();
    if (summary === null) lastOpen.ipv4 = lastOpen.ipv6 = t;
    else {
      if (summary.ipv4 > 0) lastOpen.ipv4 = t;
      if (summary.ipv6 > 0) lastOpen.ipv6 = t;
    }
    if (!trustSummary || ++sinceBoth >= FAMILY_CHECK_EVERY) return [];
    return dumpFamilies(summary, {
      ipv4: t - lastOpen.ipv4 < TIME_WAIT_MS,
      ipv6: t - lastOpen.ipv6 < TIME_WAIT_MS,
    });
  };
  const checkSummary = (summary: SsTcpSummary | null, families: string[], tcp: readonly Socket[]) => {
    if (families.length > 0) return;
    sinceBoth = 0;
    if (summary === null) return;
    const empty = dumpFamilies(summary);
    if (empty.length === 0) return;
    const left = empty[0] === "-4" ? 6 : 4;
    if (tcp.some((s) => s.family === left)) trustSummary = false;
  };
  /**
   * Read a large dump through `stdbuf` (see {@linkcode DUMP_BUFFER_ARGS}) until it cannot run. Asked first: under
   * `deno run` with a terminal, running a command the flags do not grant stops the monitor at Deno's prompt.
   */
  let bufferDump = (options.bufferDump ?? dump) && mayRun("stdbuf");
  /** Run `command` (`ss`, or `stdbuf` running it) for the TCP dump; its exit code, and the reader it was read by. */
  const dumpTcp = async (command: string, args: readonly string[], okCodes?: readonly number[]) => {
    // Read as it comes: only a chunk of the dump (8.8 MB at 10,000 connections) is held at a time.
    const reader = new InetDiagReader({
      traffic,
      counters: countersNow,
      memory: once ? undefined : memory,
      room: lastCount,
    });
    const { code } = await run(command, args, {
      onChunk: (chunk) => reader.push(chunk),
      ...(okCodes === undefined ? {} : { okCodes }),
    });
    return { code, reader };
  };
  /** The dump through `stdbuf`; null (and plain `ss` from now on) when stdbuf cannot run or start ss. */
  const dumpBuffered = async (args: readonly string[]): Promise<ParseResult | null> => {
    try {
      // stdbuf exits 125 when it fails itself, 126 or 127 when it cannot run ss: plain ss says why, if it fails.
      const { code, reader } = await dumpTcp("stdbuf", [...DUMP_BUFFER_ARGS, "ss", ...args], [
        0,
        125,
        126,
        127,
      ]);
      if (code === 0) return reader.end();
    } catch (error) {
      if (!(error instanceof PermissionError || (error instanceof ToolError && error.notFound))) throw error;
    }
    bufferDump = false;
    return null;
  };
  const readDump = async (): Promise<ParseResult> => {
    // The start's own walk of the descriptors runs beside the dump (its listing of the sockets comes after it).
    const early = !warm && ownWalk ? walkSocketOwners(run) : undefined;
    early?.catch(() => {}); // a failed dump leaves it; a failed walk is read in readWalked
    // UDP first: its run's summary says which families the TCP dump asks for.
    const { summary, listing } = splitSsSummary((await run("ss", SS_DUMP_ARGS.udp)).stdout);
    // `ss -u` alone prints no Netid column: its rows are UDP because UDP is what it was asked for.
    const udp = parseSs(listing, { traffic, protocol: "UDP", memory: udpMemory });
    const families = familiesFor(summary);
    const args = [...(countersNow ? SS_DUMP_ARGS.tcp : SS_DUMP_TCP_WITHOUT_COUNTERS), ...families];
    const tcp = (bufferDump && lastCount >= DUMP_BUFFER_FROM ? await dumpBuffered(args) : null) ??
      (await dumpTcp("ss", args)).reader.end();
    checkSummary(summary, families, tcp.sockets);
    // UDP joins the reader's own array, made with room for as many sockets as the last reading had: a copy of
    // 21,000 sockets a poll (or the array growing) would be old-generation garbage.
    let sockets = tcp.sockets;
    for (const s of udp.sockets) sockets.push(s);
    lastCount = sockets.length;
    takeHints(sockets);
    if (!warm) {
      sockets = withListeners(sockets, await learnOwners(early));
      if (sockets.some((s) => !ownerKnown(s))) sockets = withoutWaiting(sockets);
      nameOwners(sockets);
    } else {
      // Owners as known now, in one pass that also lists the sockets whose owner is not known: most polls list
      // none (and walk for none, hold none back), a poll under churn a few dozen among 21,000, and only those are
      // looked at again.
      const unknown = nameOwners(sockets);
      if (unknown.length > 0) {
        const before = ownersSet;
        sockets = withListeners(sockets, await walkFor(unknown));
        sockets = withoutWaiting(sockets, unknown);
        // A walk that ended meanwhile may have named any socket (one it had found without a process too).
        nameOwners(ownersSet === before ? unknown : sockets);
      }
    }
    return { sockets, skipped: [...tcp.skipped, ...udp.skipped] };
  };

  /**
   * Whether the reading under way reads the counters: with `traffic`, unless the request said it need not.
   * Only the dump can leave them out; the text of `ss -i` (when the dump cannot be read) always has them.
   */
  let countersNow = traffic;
  let dumpWorked = false;
  const read = async (): Promise<ParseResult> => {
    if (dump) {
      try {
        const parsed = await readDump();
        dumpWorked = true;
        return parsed;
      } catch (error) {
        // A dump that never worked (an ss or kernel that cannot) is given up; a later failure is a failed poll.
        if (dumpWorked || (error instanceof Error && /did not finish/.test(error.message))) throw error;
        dump = false;
        // Without counters the text gives the same table: nothing to say.
        if (traffic) {
          notes.push(
            `byte counters come from the text of \`ss -i\`: \`ss -taiD -\` could not be read (${
              error instanceof Error ? error.message : error
            })`,
          );
        }
      }
    }
    return (warm && !once ? await readWithCache() : null) ?? await readWithOwners();
  };

  /** The last reading that listed an inode (-1: none remembered). */
  const lastListed = (inode: number) => owners.listedAt(inode) ?? listedAt.get(inode) ?? -1;
  const forgetClosed = (sockets: Socket[]) => {
    const reading = ++readings;
    for (const s of sockets) {
      if (s.inode && !owners.list(s, reading)) listedAt.set(s.inode, reading);
    }
    // When this pass stamped all owners (a poll in which nothing closed), none is forgotten and none looked at.
    owners.forgetUnlisted(reading);
    held.forEach((wait, inode) => {
      if (wait.reading === reading) return;
      held.delete(inode);
      missed++;
    });
    unconfirmed.forEach((inode) => {
      if (lastListed(inode) < reading) unconfirmed.delete(inode);
    });
    released.forEach((inode) => {
      if (owners.has(inode) || listedAt.get(inode) !== reading) released.delete(inode);
    });
    listedAt.forEach((at, inode) => {
      if (at < reading) listedAt.delete(inode);
    });
  };

  const collect = async (request?: CollectRequest): Promise<CollectResult> => {
    countersNow = traffic && (request?.counters ?? true);
    waited = new Map();
    readingAt = now();
    const missedBefore = missed;
    const parsed = await read();
    releaseNamed(parsed.sockets);
    if (!once) forgetClosed(parsed.sockets);
    if (processPaths) await paths.fill(parsed.sockets);
    nameUsers(parsed.sockets, userNames);
    // Counted only until said: the note is given once per run (a pass over 21,000 sockets a poll at 10k).
    const unowned = saidNoProcess ? 0 : unownedCount(parsed.sockets);
    const result: CollectResult = { sockets: parsed.sockets, skipped: parsed.skipped, notes: [...notes] };
    if (waited.size > 0) result.waited = waited;
    if (missed > missedBefore) result.notes.push(MISSED_NOTE);
    if (unowned > 0 && !saidNoProcess) {
      saidNoProcess = true;
      result.notes.push(noProcessNote(unowned, root));
    }
    notes.length = 0;
    return result;
  };

  return {
    name: "ss",
    collect: singleFlight(collect),
    takeOwnersFrom: (given) => {
      hint = given;
    },
  };
}
