/**
 * The Linux default collector, `ss`: which readings a poll makes (the TCP dump and UDP's text, or the text of
 * `ss -tunaeH`), and what it does around them (owners from the {@linkcode OwnerBook}, new sockets held for a
 * walk, process paths, user names, its notes). The parts live beside it: `ss_tcp_dump.ts` (the dump),
 * `owner_book.ts` (owners by inode), `held_sockets.ts` (sockets waiting for their owner), `owner_walks.ts`
 * (the walks that name owners).
 */
import type { Socket } from "../model/connection.ts";
import { ToolError } from "../model/errors.ts";
import { parseSs, SsTextReader } from "../parse/ss.ts";
import { InetDiagMemory } from "../parse/inet_diag.ts";
import type { ParseResult } from "../parse/parse_result.ts";
import type { Collector, CollectorPlatform, CollectRequest, CollectResult, OwnerHint } from "./collector.ts";
import { findExePaths } from "./linux_exe_paths.ts";
import { ProcessPathCache } from "./process_paths.ts";
import { DESCRIPTOR_WALK_TIMEOUT_MS, type RunTool, toolRunner } from "./run_tool.ts";
import { singleFlight } from "./single_flight.ts";
import { nameUsers, readUserNames } from "./user_names.ts";
import { runningAsRoot } from "./running_as_root.ts";
import { SS_ARGS_WITH_OWNERS, SS_ARGS_WITHOUT_OWNERS, SS_TRAFFIC_ARGS } from "./ss_args.ts";
import { createTcpDump, TCP_ROWS_BELOW } from "./ss_tcp_dump.ts";
import { ProcTcpRows } from "../parse/proc_net_tcp.ts";
import { createUdpListing } from "./udp_listing.ts";
import { PROC_NET_TCP_TABLES, PROC_NET_UDP_LISTING } from "../parse/proc_net_listing.ts";
import { catFiles, sedThenCat } from "./read_files.ts";
import { SedFileReader } from "./sed_file_reader.ts";
import { createOwnerBook, type OwnerBook } from "./owner_book.ts";
import { createHeldSockets } from "./held_sockets.ts";
import { createOwnerWalks, withListeners } from "./owner_walks.ts";
import { isListening } from "../model/direction.ts";
import { dumpBatches, nameWalkedOwners, setPaths, unownedCount } from "./dump_batches.ts";
import type { DumpColumns } from "../parse/dump_columns.ts";
import type { SocketOwners } from "./socket_owner_walk.ts";

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
   * same object again at the next poll. A one-shot reading (`once`) that walks the descriptors on its own lists
   * its sockets so beside the walk (UDP's text, then the dump) unless this is false.
   */
  dump?: boolean;
  /**
   * Read a large dump (from `DUMP_BUFFER_FROM` sockets at the last reading) through `stdbuf`
   * (`DUMP_BUFFER_ARGS`, see `ss_tcp_dump.ts`) where it may run (`--allow-run=stdbuf`); plain `ss` otherwise, and from the
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
  /**
   * Have /proc/net's files printed by one `sed` kept running (`sed_file_reader.ts`) where it may run sed, not by
   * a `cat` a poll. Default: in a live reading (not `once`) with the platform's programs (no `run` given).
   * `close` ends it.
   */
  keptSed?: boolean;
  /** Fill `process_path` (default true); false runs no `find` and leaves every path null. */
  processPaths?: boolean;
  /**
   * Name the sockets' processes with conntrail's own walk of the descriptors (`find`, and `cat` for the names,
   * about half the cost of `ss -p`) where it can run; `ss -p` otherwise. Default: with `once`. A live reading
   * (monitor, serve) walks so at the start (whose walk the first line waits for) and for new sockets later: at
   * the same share of the time, spaced walks that cost half come twice as often, so a new socket waits half as
   * long.
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

/** A one-shot reading's listing: with TCP's dump kept as columns (`dump`) when it is to be read in batches. */
interface DumpedListing extends ParseResult {
  dump?: DumpColumns;
}

/** A reading's sockets; with `walked`, TCP's dump to be made into sockets in batches after them. */
interface WalkedListing extends ParseResult {
  walked?: { columns: DumpColumns; owners: SocketOwners };
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
 * kernel's structures) and UDP's rows (`udp_listing.ts`: /proc's through `cat`,
 * else ss's text), with owners from the same cache;
 * measured at 10,000 connections this costs less than `ss -tunaeH` does (see
 * bench/monitor_tick_bench.ts). If `ss -D` cannot be read, it says so once and
 * reads the counters from the text of `ss -i` instead. A reading asked for no
 * counters ({@linkcode CollectRequest}) dumps TCP without them (`ss -taD -`), or below
 * {@linkcode TCP_ROWS_BELOW} sockets reads TCP's rows of /proc in UDP's `cat`, and
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
  const memory = new InetDiagMemory((socket, inode) => book.forgotten(socket, inode));
  const book: OwnerBook = createOwnerBook(memory);
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
  /** Owners a tracer saw (`--trace`): a new socket it names needs no walk. */
  let hint: OwnerHint | null = null;
  const takeHints = (sockets: readonly Socket[]) => {
    if (hint !== null) book.takeHints(sockets, hint);
  };
  const held = createHeldSockets({
    book,
    now,
    ...(options.ownerWaitMs === undefined ? {} : { waitMs: options.ownerWaitMs }),
  });
  /** The sockets read now, without those held back for a walk (see `HeldSockets.withoutWaiting`). */
  const withoutWaiting = (sockets: Socket[], candidates: readonly Socket[] = sockets): Socket[] =>
    held.withoutWaiting(sockets, candidates, walks.runningSince());

  /** Whether the flags let conntrail run `command` (true when that cannot be told: it is tried, and may fail). */
  const mayRun = (command: string) => {
    try {
      return options.platform.may({ name: "run", command });
    } catch {
      return true;
    }
  };
  const walks = createOwnerWalks({
    run,
    now,
    book,
    spacing: options.ownerWalkSpacing ?? 0,
    // Asked first: a find that walks for nothing and a cat it may not run would cost more than `ss -p` alone
    // (the flags `--allow-run=ss,find` that snapshot asked for before it walked on its own).
    ownWalk: (options.ownWalk ?? once) && ["find", "cat"].every(mayRun),
    note: (text) => notes.push(text),
    // A text reading lists its listeners with the rest; a dump may miss one (see `withListeners`).
    // Only an extra: a failed listeners' dump costs the walk nothing (a walk cut short by its guard or a stop is).
    listListeners: async () => {
      if (!dump) return [];
      try {
        return (await tcpDump.listeners()).sockets.filter(isListening);
      } catch (error) {
        if (error instanceof ToolError && error.timedOut) throw error;
        return [];
      }
    },
  });
  /** Whether a one-shot reading lists its sockets as UDP's text and the TCP dump (see `dumpedListing`). */
  let listByDump = once && (options.dump ?? true);
  /**
   * A one-shot reading's listing beside its walk: UDP's text (`ss -uaneH -s`) and TCP dumped (`ss -taD -`, one
   * family when the summary says the other has none), in the order of `ss -tunaeH`'s text (UDP first), the same
   * sockets as its rows give. At 25,200 sockets ss costs 20-40 ms of CPU so instead of 60-100 ms for the text;
   * the reading in JS costs the same. The text when the dump cannot be read (from then on). `batched`: TCP's
   * sockets are kept as columns (`dump`), made into objects after the walk a batch at a time (dump_batches.ts).
   */
  const dumpedListing = async (batched: boolean): Promise<DumpedListing> => {
    if (listByDump) {
      try {
        if (batched) {
          const { summary, udp } = await udpListing.read(undefined, undefined);
          const tcp = await tcpDump.readColumns(summary);
          return { sockets: udp.sockets, skipped: [...udp.skipped, ...tcp.skipped], dump: tcp.columns };
        }
        const { udp, tcp } = await udpThenDump(false, 0);
        const sockets = udp.sockets;
        const tcpSockets = tcp.sockets;
        for (let i = 0; i < tcpSockets.length; i++) sockets.push(tcpSockets[i]!);
        return { sockets, skipped: [...udp.skipped, ...tcp.skipped] };
      } catch (error) {
        // As a live reading's dump: one cut short (its guard, a stop) says nothing of whether ss can dump.
        if (error instanceof ToolError && error.timedOut) throw error;
        listByDump = false;
      }
    }
    return await ssText(false);
  };
  /**
   * The sockets (`ss` without `-p`) with their owners from conntrail's own walk, run beside it. `batched`: a
   * one-shot reading keeps TCP's dump as columns for batches (`walked`), when it can be read (else the text).
   */
  const readWalked = async (batched: boolean): Promise<WalkedListing | null> => {
    // A walk's listing needs no counters, with `traffic` too: the text without them is enough.
    const both = await walks.walkBeside<DumpedListing>(once ? dumpedListing(batched) : ssText(false));
    if (both === null) return null;
    const [{ sockets, skipped, dump }, owners] = both;
    const parsed: WalkedListing = { sockets, skipped };
    if (dump !== undefined) parsed.walked = { columns: dump, owners };
    nameWalkedOwners(parsed.sockets, owners.pids, owners.names);
    if (owners.skipped.length > 0) parsed.skipped.push(...owners.skipped);
    return parsed;
  };

  const readWithOwners = async (batched: boolean): Promise<WalkedListing> => {
    const started = now();
    const first = !warm;
    const parsed = ((once || first) && walks.ownWalk && !traffic ? await readWalked(batched) : null) ??
      await ss(true);
    if (!once) {
      for (const s of parsed.sockets) {
        if (s.inode) book.setOwner(s.inode, s.pid === null ? null : { pid: s.pid, name: s.process_name });
      }
    }
    warm = true;
    walks.spaceFrom(started, first);
    return parsed;
  };

  const readWithCache = async () => {
    const parsed = await ss(false);
    takeHints(parsed.sockets);
    if (walks.background) await walks.walkFor(parsed.sockets);
    const walk = !walks.background && walks.mayWalk();
    for (const s of parsed.sockets) {
      if (!s.inode) continue;
      const owner = book.ownerOf(s);
      if (owner === undefined && walk) return null;
      s.pid = owner?.pid ?? null;
      s.process_name = owner?.name ?? null;
    }
    return walk ? parsed : { ...parsed, sockets: withoutWaiting(parsed.sockets) };
  };

  /** /proc's files printed by one sed kept running (see `read_files.ts`), in a live reading that may run it. */
  const sed = !once && (options.keptSed ?? options.run === undefined) && mayRun("sed")
    ? new SedFileReader(options.platform.programs, [...PROC_NET_UDP_LISTING, ...PROC_NET_TCP_TABLES])
    : null;
  // UDP's rows from /proc through sed or cat (else ss's text, mostly without `-e` in a live reading).
  const udpListing = createUdpListing(run, {
    traffic,
    once,
    cat: mayRun("cat") || sed !== null,
    files: sed === null ? catFiles(run) : sedThenCat(sed, catFiles(run)),
  });
  /** TCP's rows of /proc, read beside UDP's (see {@linkcode TCP_ROWS_BELOW}): one buffer, reading after reading. */
  const tcpRows = new ProcTcpRows();
  /** Sockets the last dump and UDP reading listed together. */
  let lastCount = 0;
  /**
   * Read a large dump through `stdbuf` until it cannot run. Asked first: under `deno run` with a terminal,
   * running a command the flags do not grant stops the monitor at Deno's prompt.
   */
  const tcpDump = createTcpDump({
    run,
    now,
    traffic,
    ...(once ? {} : { memory }),
    bufferDump: (options.bufferDump ?? dump) && mayRun("stdbuf"),
  });
  /**
   * UDP's text (see `udp_listing.ts`), then the TCP dump (counters when `counters`, room for `room` sockets),
   * each parsed on its own: UDP first, because its run's summary says which families the dump asks for.
   */
  const udpThenDump = async (
    counters: boolean,
    room: number,
  ): Promise<{ udp: ParseResult; tcp: ParseResult }> => {
    // TCP's rows from UDP's cat, when this live reading needs no counters, the last listed few sockets and
    // closed none (see TcpDump.readRows).
    const rows = !counters && !once && room > 0 && room < TCP_ROWS_BELOW && tcpDump.rowsWorth
      ? tcpRows
      : undefined;
    const { summary, udp, tcpRead } = await udpListing.read(
      rows,
      rows === undefined ? undefined : tcpDump.rowFamilies,
    );
    const tcp = tcpRead ? tcpDump.readRows(tcpRows, summary, room) : null;
    return { udp, tcp: tcp ?? await tcpDump.read(summary, counters, room) };
  };
  const readDump = async (): Promise<ParseResult> => {
    // The start's own walk of the descriptors runs beside the dump (its listing of the sockets comes after it).
    const early = !warm ? walks.startEarly() : undefined;
    early?.catch(() => {}); // a failed dump leaves it; a failed walk is read in readWalked
    const { udp, tcp } = await udpThenDump(countersNow, lastCount);
    // UDP joins the reader's own array, made with room for as many sockets as the last reading had: a copy of
    // 21,000 sockets a poll (or the array growing) would be old-generation garbage.
    let sockets = tcp.sockets;
    const udpSockets = udp.sockets;
    for (let i = 0; i < udpSockets.length; i++) sockets.push(udpSockets[i]!);
    lastCount = sockets.length;
    takeHints(sockets);
    if (!warm) {
      sockets = withListeners(sockets, await walks.learnOwners(sockets, true, early));
      warm = true;
      if (sockets.some((s) => !book.ownerKnown(s))) sockets = withoutWaiting(sockets);
      book.nameOwners(sockets);
    } else {
      // Owners as known now, in one pass that also lists the sockets whose owner is not known: most polls list
      // none (and walk for none, hold none back), a poll under churn a few dozen among 21,000, and only those are
      // looked at again.
      const unknown = book.nameOwners(sockets);
      if (unknown.length > 0) {
        const before = book.ownersSet;
        sockets = withListeners(sockets, await walks.walkFor(unknown));
        sockets = withoutWaiting(sockets, unknown);
        // A walk that ended meanwhile may have named any socket (one it had found without a process too).
        book.nameOwners(book.ownersSet === before ? unknown : sockets);
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
  const read = async (batched: boolean): Promise<WalkedListing> => {
    if (dump) {
      try {
        const parsed = await readDump();
        dumpWorked = true;
        return parsed;
      } catch (error) {
        // A dump that never worked (an ss or kernel that cannot) is given up; a later failure is a failed poll,
        // and so is one cut short (its guard or a stop killed it): that says nothing of whether ss can dump.
        if (dumpWorked || (error instanceof ToolError && error.timedOut)) throw error;
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
    return (warm && !once ? await readWithCache() : null) ?? await readWithOwners(batched);
  };

  /** Forget what is known of the inodes a reading no longer lists, and the held sockets it did not list. */
  const forgetClosed = (sockets: Socket[]) => held.forget(book.forgetClosed(sockets));

  const collect = async (request?: CollectRequest): Promise<CollectResult> => {
    countersNow = traffic && (request?.counters ?? true);
    held.begin();
    const missedBefore = held.missed;
    const parsed = await read(request?.batches ?? false);
    held.releaseNamed(parsed.sockets);
    if (!once) forgetClosed(parsed.sockets);
    const walked = parsed.walked;
    // A reading in batches asks for the paths of every process the walk named: its sockets are not made yet.
    const pathOf = processPaths && walked !== undefined ? await paths.pathsOf(walked.owners.names) : null;
    if (pathOf !== null) setPaths(parsed.sockets, pathOf);
    else if (processPaths) await paths.fill(parsed.sockets);
    nameUsers(parsed.sockets, userNames);
    // Counted only until said: the note is given once per run (a pass over 21,000 sockets a poll at 10k).
    const unowned = saidNoProcess ? 0 : unownedCount(parsed.sockets);
    const result: CollectResult = { sockets: parsed.sockets, skipped: parsed.skipped, notes: [...notes] };
    const waited = held.waited;
    if (waited.size > 0) result.waited = waited;
    if (held.missed > missedBefore) result.notes.push(MISSED_NOTE);
    const sayUnowned = (count: number) => {
      if (count === 0 || saidNoProcess) return;
      saidNoProcess = true;
      result.notes.push(noProcessNote(count, root));
    };
    if (walked === undefined) sayUnowned(unowned);
    else {
      const { pids, names } = walked.owners;
      result.more = dumpBatches(
        walked.columns,
        { pids, names, paths: pathOf, userNames },
        (unownedInDump) => sayUnowned(unowned + unownedInDump),
      );
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
    close: async () => await sed?.close(),
  };
}
