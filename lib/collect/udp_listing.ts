/**
 * UDP's sockets, read before each TCP dump, with the TCP counts per family that say which families the dump asks
 * for (see `ss_tcp_dump.ts`).
 *
 * Where it may run `cat` (`--allow-run=cat`), one `cat /proc/net/sockstat /proc/net/sockstat6 /proc/net/udp
 * /proc/net/udp6` gives both (Deno lets a program read /proc itself only with `--allow-all`): every row with its
 * inode and uid, and the counts ss's summary prints from the same sockstat files. Measured at 1,000 connections
 * and 100 UDP sockets, 100 runs each from bash in the namespace: 4.8-5.1 ms of CPU a run against 7.4-8.2 ms for
 * `ss -uanH -s` (and 3.5-3.7 ms for /bin/true: about 1.3 ms of work against 4); the monitor's CPU a tick
 * 0.020-0.024 s against 0.023-0.027 (monitor_process_bench, 3 rounds each). An unchanged row gives its socket
 * back as the same object. Every row has its inode at every poll: neither `-e`'s cost nor the gap said below.
 * A live reading that needs no TCP byte counters adds `/proc/net/tcp` and `tcp6` to the same run where that
 * saves the TCP dump's ss run (see `TCP_ROWS_BELOW` in `ss_tcp_dump.ts`).
 * A live reading has the files printed by one `sed` kept running, where it may run sed (`--allow-run=sed`):
 * no program started a poll (see `read_files.ts`).
 * From the first time cat cannot read them (not allowed, no /proc/net/udp), ss's text:
 *
 * `ss -uanH -s` or `ss -uaneH -s`: the run's summary says which families the dump asks for, its rows are UDP's
 * sockets.
 *
 * A live reading (monitor, serve) leaves `-e` out of most polls. `-e` prints each socket's inode and uid, which
 * name its owner and user, and its cgroup: the first socket ss prints so makes it walk every folder of the
 * cgroup2 tree (iproute2's `cg_init_map`: `nftw`, a `stat` for each control file), and the kernel gives every
 * socket a cgroup. A host where systemd keeps a folder for each service, scope and slice has hundreds of them.
 * Measured with 5 UDP sockets (perf stat): `ss -uaneH` 4.8 ms a run, 11.4 ms with 100 more folders, 25.6 ms
 * with 300; `ss -uanH` 4.6 ms with any number. So a poll lists UDP without `-e` and gives back, for each row,
 * the socket the last reading listed on the same addresses and ports, with its inode and uid (the same object:
 * see `Listed`). It lists with `-e` instead:
 * - at the first poll, and every {@linkcode FULL_EVERY} polls;
 * - at once (a second run) when the listing shows a socket the poll before did not list;
 * - at the next poll too, while the sockets keep changing (a full reading that differs from the one before).
 *
 * What it cannot tell: a socket closed and another opened on the same addresses and ports between two polls
 * (a service restarted within a poll) keeps the first one's inode, and so its owner, until the next full
 * reading, at most {@linkcode FULL_EVERY} polls later. One that stays closed for a poll is new when it returns.
 *
 * @module
 */
import { parseSs, splitSsSummary, SsLineMemory, type SsTcpSummary } from "../parse/ss.ts";
import {
  PROC_NET_SOCKSTATS,
  PROC_NET_TCP_TABLES,
  PROC_NET_UDP_LISTING,
  PROC_NET_UDP_TABLES,
  ProcNetListingReader,
} from "../parse/proc_net_listing.ts";
import type { ProcTcpRows } from "../parse/proc_net_tcp.ts";
import { ToolError } from "../model/errors.ts";
import type { ParseResult } from "../parse/parse_result.ts";
import type { Socket } from "../model/connection.ts";
import type { RunTool } from "./run_tool.ts";
import { catFiles, type FileReading } from "./read_files.ts";

/** `ss`'s arguments for UDP's text with the summary: `full` with `-e` (inode, uid), `quick` without. */
export const UDP_LISTING_ARGS = { full: ["-uaneH", "-s"], quick: ["-uanH", "-s"] } as const;

/** Polls from one full reading to the next, at most: how long a socket reopened within a poll may keep its inode. */
export const FULL_EVERY = 10;

/** One reading of UDP: the run's summary (null when it printed none) and the sockets. */
export interface UdpReading {
  summary: SsTcpSummary | null;
  udp: ParseResult;
  /** Whether TCP's rows were read too, into the rows {@linkcode UdpListing.read} was given. */
  tcpRead?: boolean;
}

/** Which families' TCP tables a reading needs, given the counts read just before. */
export type TcpFamilies = (summary: SsTcpSummary | null) => { ipv4: boolean; ipv6: boolean };

/** UDP's text, read poll after poll (see the module's text). */
export interface UdpListing {
  /**
   * Read UDP; with `tcp`, where it reads /proc through `cat`, TCP's rows from `/proc/net/tcp` and `tcp6` in the
   * same run, into `tcp` (`tcpRead` says whether it did: if not, `tcp` holds none). With `tcpFamilies` too,
   * where the files are printed by a kept sed: the counts are read first, and `tcpFamilies` says from them
   * which families' tables to read (an empty `tcp6` costs a walk of every TCP socket: 1.5-1.9 ms of CPU at
   * 1,000 connections).
   */
  read(tcp?: ProcTcpRows, tcpFamilies?: TcpFamilies): Promise<UdpReading>;
  /** Readings so far with `-e` (the full ones). */
  readonly fullReadings: number;
}

/**
 * A socket a full reading made, and the uid `user` its row gave (a collector names the user on the socket
 * itself). A quick reading gives the same object back: the monitor redoes nothing for a socket that is the same
 * object as at the poll before (`ConnectionMemory`), so the two kinds of reading make no change between them.
 */
interface Listed {
  socket: Socket;
  user: string | null;
}

/**
 * A socket's addresses and ports, with `#n` for the n-th socket of a listing on the same ones (`SO_REUSEPORT`
 * groups, one socket per interface): ss lists them in the kernel's hash order, the same from run to run.
 */
function keyIn(listed: Map<string, Listed>, s: Socket): string {
  const key = `${s.local_ip} ${s.local_port} ${s.remote_ip} ${s.remote_port}`;
  if (!listed.has(key)) return key;
  let n = 1;
  while (listed.has(`${key}#${n}`)) n++;
  return `${key}#${n}`;
}

/** A full reading's sockets by their keys (before any collector named their users). */
function listedOf(sockets: readonly Socket[]): Map<string, Listed> {
  const listed = new Map<string, Listed>();
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    listed.set(keyIn(listed, s), { socket: s, user: s.user });
  }
  return listed;
}

/** A quick reading's sockets found among the full reading's: the full reading's objects, and their keys. */
interface Found {
  sockets: Socket[];
  /** The uid `user` each one's row gave. */
  users: (string | null)[];
  listed: Map<string, Listed>;
}

/**
 * The sockets `known` holds for a quick reading's, in the quick reading's order; null when one of them is not
 * in `known` (a new socket: the poll reads the full listing instead).
 */
function identify(sockets: readonly Socket[], known: Map<string, Listed>): Found | null {
  const found: Found = { sockets: [], users: [], listed: new Map() };
  for (let i = 0; i < sockets.length; i++) {
    const key = keyIn(found.listed, sockets[i]!);
    const entry = known.get(key);
    if (entry === undefined) return null;
    found.sockets.push(entry.socket);
    found.users.push(entry.user);
    found.listed.set(key, entry);
  }
  return found;
}

/** Whether two readings gave the same objects in the same order (each row unchanged). */
function sameObjects(a: readonly Socket[], b: readonly Socket[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Give the found sockets back as a reading of their rows gives them: no process, no path, the uid for user. */
function asRead(found: Found): Socket[] {
  const sockets = found.sockets;
  for (let i = 0; i < sockets.length; i++) {
    const socket = sockets[i]!;
    socket.pid = null;
    socket.process_name = null;
    socket.process_path = null;
    socket.user = found.users[i]!;
  }
  return sockets;
}

/** Whether two readings list the same addresses and ports, as many times each. */
function sameSockets(a: Map<string, Listed>, b: Map<string, Listed>): boolean {
  if (a.size !== b.size) return false;
  for (const key of a.keys()) if (!b.has(key)) return false;
  return true;
}

/**
 * UDP's listing for a collector. `once` (a one-shot reading) lists with `-e` and keeps nothing; a live one
 * leaves `-e` out where it can (see the module's text) and gives back an unchanged socket as the same object,
 * whichever kind of reading lists it (see {@linkcode SsLineMemory}).
 */
export function createUdpListing(
  run: RunTool,
  options: { traffic: boolean; once: boolean; cat?: boolean; files?: FileReading },
): UdpListing {
  const { traffic, once } = options;
  /** What prints /proc's files: `cat` (a kept `sed` in a live reading, see `read_files.ts`). */
  const files = options.files ?? catFiles(run);
  /** Whether UDP is read from /proc through `cat` (see {@linkcode readByCat}): until it cannot be. */
  let byCat = options.cat ?? false;
  const catMemory = once ? undefined : new SsLineMemory();
  /**
   * The files of {@linkcode PROC_NET_UDP_LISTING} through one `cat`: UDP's rows with their inodes and uids, and
   * the TCP counts ss's summary prints, for a fraction of an ss run (see the module's text). Null when they
   * cannot be read so (no cat, a /proc without them): ss from then on. cat exits 1 when IPv6 is off (no
   * `sockstat6`, `udp6`); the IPv4 table is required.
   */
  const readByCat = async (
    tcp: ProcTcpRows | undefined,
    tcpFamilies: TcpFamilies | undefined,
  ): Promise<UdpReading | null> => {
    try {
      const reader = new ProcNetListingReader({
        ...(catMemory ? { memory: catMemory } : {}),
        ...(tcp ? { tcp } : {}),
        traffic,
      });
      // Read as it comes (see ProcNetListingReader).
      const push = (chunk: Uint8Array) => reader.push(chunk);
      /** TCP's tables asked for. */
      let asked = { ipv4: tcp !== undefined, ipv6: tcp !== undefined };
      if (tcp !== undefined && tcpFamilies !== undefined && files.kept) {
        await files.read(PROC_NET_SOCKSTATS, push);
        asked = tcpFamilies(reader.summary);
        const [tcp4Table, tcp6Table] = PROC_NET_TCP_TABLES;
        const tables = [...(asked.ipv4 ? [tcp4Table] : []), ...(asked.ipv6 ? [tcp6Table] : [])];
        await files.read([...PROC_NET_UDP_TABLES, ...tables], push);
      } else {
        await files.read(
          tcp === undefined ? PROC_NET_UDP_LISTING : [...PROC_NET_UDP_LISTING, ...PROC_NET_TCP_TABLES],
          push,
        );
      }
      const reading = reader.end();
      if (reading.summary !== null && reading.tables > 0) {
        // Each table asked for that this host has (no tcp6 where IPv6 is off, as no udp6): never one family alone
        // where a table was missing.
        const expected = Number(asked.ipv4) + Number(asked.ipv6 && reading.tables > 1);
        const tcpRead = tcp !== undefined && expected > 0 && reading.tcpTables === expected;
        if (!tcpRead) tcp?.clear();
        return { summary: reading.summary, udp: reading.udp, tcpRead };
      }
      tcp?.clear();
    } catch (error) {
      tcp?.clear();
      // One cut short (its guard, a stop) says nothing of whether cat can read them.
      if (error instanceof ToolError && error.timedOut) throw error;
    }
    byCat = false;
    return null;
  };
  const fullMemory = once ? undefined : new SsLineMemory();
  const quickMemory = new SsLineMemory();
  /** The sockets the last poll listed, by their keys. */
  let known = new Map<string, Listed>();
  /** The last quick reading since the last full one: its own sockets, and those found for them. */
  let last: { quick: readonly Socket[]; found: Found } | null = null;
  let fullReadings = 0;
  let sinceFull = 0;
  /** Whether the last full reading listed other sockets than the poll before it: the next poll reads full too. */
  let changing = true;

  const listing = async (args: readonly string[], memory: SsLineMemory | undefined) => {
    const { summary, listing } = splitSsSummary((await run("ss", args)).stdout);
    // `ss -u` alone prints no Netid column: its rows are UDP because UDP is what it was asked for.
    const udp = parseSs(listing, { traffic, protocol: "UDP", ...(memory ? { memory } : {}) });
    return { summary, udp };
  };
  const readFull = async (): Promise<UdpReading> => {
    const reading = await listing(UDP_LISTING_ARGS.full, fullMemory);
    fullReadings++;
    sinceFull = 0;
    last = null;
    if (!once) {
      const listed = listedOf(reading.udp.sockets);
      // The first reading has none before it to differ from.
      changing = fullReadings > 1 && !sameSockets(listed, known);
      known = listed;
    }
    return reading;
  };
  return {
    get fullReadings() {
      return fullReadings;
    },
    read: async (tcp, tcpFamilies) => {
      const byProc = byCat ? await readByCat(tcp, tcpFamilies) : null;
      if (byProc !== null) return byProc;
      if (once || changing || sinceFull + 1 >= FULL_EVERY) return await readFull();
      const { summary, udp } = await listing(UDP_LISTING_ARGS.quick, quickMemory);
      // Rows unchanged since the last quick reading (its memory gave the same objects): the same sockets, found
      // without a key made for each (1,000 UDP sockets at 10k).
      const found = last !== null && sameObjects(udp.sockets, last.quick)
        ? last.found
        : identify(udp.sockets, known);
      if (found === null) return await readFull();
      sinceFull++;
      known = found.listed;
      last = { quick: udp.sockets, found };
      return { summary, udp: { sockets: asRead(found), skipped: udp.skipped } };
    },
  };
}
