/**
 * Reading TCP as the kernel's own structures (`ss -taD -`): which address families a dump asks for, given the
 * summary read just before it; whether it goes through `stdbuf`; and the reader it is read by as it comes.
 * The monitor's steady poll is this dump and UDP's text (see `createSsCollector`).
 */
import type { SsTcpSummary } from "../parse/ss.ts";
import { type InetDiagMemory, InetDiagReader } from "../parse/inet_diag.ts";
import type { ParseResult, SkippedLine } from "../parse/parse_result.ts";
import { DumpColumns } from "../parse/dump_columns.ts";
import type { RunTool } from "./run_tool.ts";
import type { ProcTcpRows } from "../parse/proc_net_tcp.ts";
import { PermissionError, ToolError } from "../model/errors.ts";

/**
 * With `--traffic`: TCP sockets as the kernel's own structures (`-D -` writes
 * the raw `sock_diag` answer, `-i` asks for `tcp_info` with the byte
 * counters, so ss formats nothing). UDP is read as text just before
 * (`udp_listing.ts`), after ss's summary (`-s`), whose TCP counts per family
 * say which families the dump needs to ask for (see {@linkcode dumpFamilies}).
 */
export const SS_DUMP_ARGS = { tcp: ["-taiD", "-"] } as const;
/**
 * The dump without the counters (`dump` without `traffic`): no `tcp_info`, so the kernel fills 124 bytes a
 * socket instead of 440. Measured at 10,000 connections (20,000 sockets) beside 46,000 other namespaces'
 * sockets: `ss -taD - -4` 33-36 ms of CPU, `ss -tanH -4` (the text, without -e) 81 ms.
 */
export const SS_DUMP_TCP_WITHOUT_COUNTERS = ["-taD", "-"] as const;

/**
 * The listening TCP sockets alone, dumped (`-l`: the kernel walks its listening table only), for an owner walk
 * (see `owner_walks.ts`). Not text: `ss -tlneH` would print each listener's inode only with `-e`, which walks the
 * machine's whole cgroup tree before its first line (measured at 1,000 connections, 50 runs each with nsenter:
 * `ss -tunaeH` 28.6 ms of CPU a run, `ss -tlD -` 17.8, `ss -V` 13).
 */
export const SS_DUMP_TCP_LISTENERS = ["-tlD", "-"] as const;

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

/**
 * The sockets (at the last reading) below which a reading that needs no byte counters takes TCP's rows from
 * `/proc/net/tcp` and `tcp6` through the `cat` that reads UDP's (see `udp_listing.ts`, `proc_net_tcp.ts`)
 * instead of running `ss -taD -`: one program a poll instead of two. Measured at 1,000 connections (2,100
 * sockets), 100 runs each from bash in the namespace: the cat with TCP's tables 9.1-9.2 ms of CPU a run, against
 * 4.8-5.1 for the cat without them plus 10.8-11.3 for the dump; at 10,000 (21,000 sockets) the tables cost
 * about what ss's run and dump do (cat of TCP's tables 37-39 ms, the dump 28-31 plus ss's UDP run 10.7-11.7),
 * and their 3 MB of text are read whole: the dump from here on, as with stdbuf.
 *
 * Rows are read only after a reading that closed no TCP socket, and trusted only when they list every socket the
 * last reading listed: /proc/net/tcp is read a page (about 27 rows) at a time, each read resuming at a bucket and
 * an offset into it, so while sockets come and go it can list a socket twice (read once) or leave one out (a
 * review measured one held socket left out in 1,994 reads under churn with TIME_WAIT sockets, none in 362
 * dumps, which resume every 32 kB). Rows that leave one out are not read: the dump runs in the same poll, into
 * the same memory, and a socket still open stays as it was instead of closing for a poll. Under churn every
 * reading closes some: the polls dump, as before the rows.
 */
export const TCP_ROWS_BELOW = DUMP_BUFFER_FROM;

/** Readings between two that dump both TCP families to check the summary's counts (see {@linkcode createTcpDump}). */
export const FAMILY_CHECK_EVERY = 30;

/**
 * The longest time between two readings of both TCP families, whatever the poll interval: half the 60 s a socket
 * stays in TIME-WAIT. A connection that opens and closes between two polls is counted at none (sockstat counts
 * TIME-WAIT for no family), so its family need not linger; its TIME-WAIT socket, listed by a reading of both
 * families within its 60 s, is what shows it at all, and makes its family linger from then on (the readings after
 * list it until it ends). Every {@linkcode FAMILY_CHECK_EVERY} readings alone is 30 s at `-t 1`, 5 minutes at
 * `-t 10`.
 */
export const BOTH_FAMILIES_EVERY_MS = 30_000;

/**
 * How long a socket may be in TIME-WAIT (Linux's TCP_TIMEWAIT_LEN is 60 s), with a margin: a family with no
 * TCP socket counted or listed for this long has none in TIME-WAIT either, but those of a connection that opened
 * and closed between two readings (never counted), which a reading of both families lists first.
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
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { dumpFamilies } from "./ss_tcp_dump.ts";
 * deepStrictEqual(dumpFamilies({ ipv4: 5, ipv6: 0, timeWait: 0 }), ["-4"]);
 * deepStrictEqual(dumpFamilies({ ipv4: 5, ipv6: 0, timeWait: 1 }), []); // the TIME-WAIT ones may be IPv6
 * ```
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

/** Options of {@linkcode createTcpDump}. */
export interface TcpDumpOptions {
  /** Runs ss (and stdbuf). */
  run: RunTool;
  /** The clock (ms) that tells how long ago a family had a socket open. */
  now: () => number;
  /** Read the byte counters when a reading asks for them (`--traffic`). */
  traffic: boolean;
  /** The memory of the dump's sockets from reading to reading (none for a one-shot reading). */
  memory?: InetDiagMemory;
  /** Read a large dump through `stdbuf` (the caller has asked whether it may run) until it cannot. */
  bufferDump: boolean;
}

/** What a TCP dump is read with, reading after reading (see {@linkcode createTcpDump}). */
export interface TcpDump {
  /**
   * The TCP sockets, dumped: `summary` is the summary of the UDP run just before (null: none), `counters`
   * whether this reading reads the byte counters, `room` how many sockets the reading will hold with UDP's
   * (the last reading's count: the reader's array is made that long).
   */
  read(summary: SsTcpSummary | null, counters: boolean, room: number): Promise<ParseResult>;
  /**
   * TCP's sockets from /proc's rows (without counters: a socket read before keeps its last ones), read as a
   * dump is, with its memory: `summary` is the counts read beside them. Null when the rows leave out a socket
   * the last reading listed: the caller dumps instead (see {@linkcode TcpDump.rowsWorth}), which lists it if it
   * is still open (the rows are read into the same memory: nothing is forgotten before the dump).
   */
  readRows(rows: ProcTcpRows, summary: SsTcpSummary | null, room: number): ParseResult | null;
  /**
   * Which families' tables of /proc a reading of its rows needs, given the counts read just before: those a
   * dump would ask for ({@linkcode dumpFamilies}, both every {@linkcode FAMILY_CHECK_EVERY} readings). The rows
   * {@linkcode TcpDump.readRows} reads next check the counts as such a dump does.
   */
  rowFamilies(summary: SsTcpSummary | null): { ipv4: boolean; ipv6: boolean };
  /**
   * Whether the next reading without counters may read /proc's rows: the last reading closed no TCP socket (left
   * none out that the one before listed). Under churn every reading closes some and dumps.
   */
  readonly rowsWorth: boolean;
  /** The listening TCP sockets, dumped now ({@linkcode SS_DUMP_TCP_LISTENERS}); none of them is remembered. */
  listeners(): Promise<ParseResult>;
  /**
   * The dump without counters, its sockets kept as columns (see `dump_columns.ts`), not objects (`summary` as for
   * {@linkcode TcpDump.read}), and the lines it skipped. A one-shot reading makes the objects after its walk, a
   * batch at a time (see `dump_batches.ts`). Throws the reader's `SyntaxError` when the dump is not whole.
   * Nothing is remembered.
   */
  readColumns(summary: SsTcpSummary | null): Promise<{ columns: DumpColumns; skipped: SkippedLine[] }>;
}

/**
 * The TCP dump of a collector's readings. It asks for one family when the summary says the other is empty
 * ({@linkcode dumpFamilies}), and every {@linkcode FAMILY_CHECK_EVERY} readings (at least every
 * {@linkcode BOTH_FAMILIES_EVERY_MS}) for both, to check the
 * summary's counts: a family the summary said was empty that lists sockets then (a /proc that counts wrong, or a
 * socket that opened between the two runs) makes every later dump ask for both, as before the summary was read.
 * From {@linkcode DUMP_BUFFER_FROM} sockets it reads through `stdbuf` ({@linkcode DUMP_BUFFER_ARGS}), and with
 * plain `ss` from the first time stdbuf cannot run or start ss.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { createTcpDump } from "./ss_tcp_dump.ts";
 * const asked: string[] = [];
 * const dump = createTcpDump({
 *   run: (command, args, options) => {
 *     asked.push([command, ...args].join(" "));
 *     const done = new DataView(new ArrayBuffer(16)); // an empty dump: its end-of-dump message alone
 *     done.setUint32(0, 16, true);
 *     done.setUint16(4, 3, true); // NLMSG_DONE
 *     options?.onChunk?.(new Uint8Array(done.buffer));
 *     return Promise.resolve({ code: 0, stdout: "", stderr: "" });
 *   },
 *   now: () => 0,
 *   traffic: true,
 *   bufferDump: false,
 * });
 * const { sockets } = await dump.read({ ipv4: 3, ipv6: 0, timeWait: 0 }, false, 0);
 * deepStrictEqual([asked, sockets], [["ss -taD - -4"], []]); // no IPv6 socket: IPv4 only, without counters
 * ```
 */
export function createTcpDump(options: TcpDumpOptions): TcpDump {
  const { run, now, traffic, memory } = options;
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
  /** Note which families have TCP sockets now (a reading of /proc's rows too: the dumps after it need it). */
  const noteCounts = (summary: SsTcpSummary | null, t: number) => {
    if (summary === null) lastOpen.ipv4 = lastOpen.ipv6 = t;
    else {
      if (summary.ipv4 > 0) lastOpen.ipv4 = t;
      if (summary.ipv6 > 0) lastOpen.ipv6 = t;
    }
  };
  /**
   * When the last reading of both families was read (the clock's ms): not when one was asked for, as rows asked
   * for and not read (one left out, the dump reads instead) are no reading.
   */
  let bothAt = startedAt;
  const familiesFor = (summary: SsTcpSummary | null): string[] => {
    const t = now();
    noteCounts(summary, t);
    if (!trustSummary || ++sinceBoth >= FAMILY_CHECK_EVERY || t - bothAt >= BOTH_FAMILIES_EVERY_MS) return [];
    return dumpFamilies(summary, {
      ipv4: t - lastOpen.ipv4 < TIME_WAIT_MS,
      ipv6: t - lastOpen.ipv6 < TIME_WAIT_MS,
    });
  };
  const checkSummary = (summary: SsTcpSummary | null, families: string[], tcp: ParseResult["sockets"]) => {
    if (families.length > 0) return;
    sinceBoth = 0;
    bothAt = now();
    if (summary === null) return;
    // A family counted empty that lists sockets has some in TIME-WAIT (a connection that opened and closed between
    // two readings was never counted): it lingers as if counted, and the readings after list them until they end.
    if (summary.ipv6 === 0 && tcp.some((s) => s.family === 6)) lastOpen.ipv6 = now();
    if (summary.ipv4 === 0 && tcp.some((s) => s.family === 4)) lastOpen.ipv4 = now();
    const empty = dumpFamilies(summary);
    if (empty.length === 0) return;
    const left = empty[0] === "-4" ? 6 : 4;
    if (tcp.some((s) => s.family === left)) trustSummary = false;
  };
  /** Read a large dump through `stdbuf` (see {@linkcode DUMP_BUFFER_ARGS}) until it cannot run. */
  let bufferDump = options.bufferDump;
  /** The families {@linkcode TcpDump.rowFamilies} said the rows read next are of (null: both, unchecked). */
  let rowsAsked: string[] | null = null;
  /** Whether the last reading (a dump, or /proc's rows) left out a TCP socket the one before listed. */
  let closedLast = true;
  /** Run `command` (`ss`, or `stdbuf` running it) for the TCP dump; its exit code, and the reader it was read by. */
  const dumpTcp = async (
    command: string,
    args: readonly string[],
    counters: boolean,
    room: number,
    okCodes?: readonly number[],
  ) => {
    // Read as it comes: only a chunk of the dump (8.8 MB at 10,000 connections) is held at a time.
    const reader = new InetDiagReader({ traffic, counters, memory, room });
    const { code } = await run(command, args, {
      onChunk: (chunk) => reader.push(chunk),
      ...(okCodes === undefined ? {} : { okCodes }),
    });
    return { code, reader };
  };
  /** The dump through `stdbuf`; null (and plain `ss` from now on) when stdbuf cannot run or start ss. */
  const dumpBuffered = async (
    args: readonly string[],
    counters: boolean,
    room: number,
  ): Promise<InetDiagReader | null> => {
    try {
      // stdbuf exits 125 when it fails itself, 126 or 127 when it cannot run ss: plain ss says why, if it fails.
      const { code, reader } = await dumpTcp("stdbuf", [...DUMP_BUFFER_ARGS, "ss", ...args], counters, room, [
        0,
        125,
        126,
        127,
      ]);
      if (code === 0) return reader;
    } catch (error) {
      if (!(error instanceof PermissionError || (error instanceof ToolError && error.notFound))) throw error;
    }
    bufferDump = false;
    return null;
  };
  return {
    read: async (summary, counters, room) => {
      // Rows asked for and not read (a reading that fell back to this dump) check nothing.
      rowsAsked = null;
      const families = familiesFor(summary);
      const args = [...(counters ? SS_DUMP_ARGS.tcp : SS_DUMP_TCP_WITHOUT_COUNTERS), ...families];
      const reader =
        (bufferDump && room >= DUMP_BUFFER_FROM ? await dumpBuffered(args, counters, room) : null) ??
          (await dumpTcp("ss", args, counters, room)).reader;
      closedLast = reader.unlisted > 0;
      const tcp = reader.end();
      checkSummary(summary, families, tcp.sockets);
      return tcp;
    },
    rowFamilies: (summary) => {
      const families = rowsAsked = familiesFor(summary);
      return { ipv4: families[0] !== "-6", ipv6: families[0] !== "-4" };
    },
    readRows: (rows, summary, room) => {
      const asked = rowsAsked;
      rowsAsked = null;
      const reader = new InetDiagReader({ traffic, counters: false, memory, room });
      rows.readBy(reader);
      if (reader.unlisted > 0) {
        closedLast = true;
        return null;
      }
      noteCounts(summary, now());
      const tcp = reader.end();
      if (asked !== null) checkSummary(summary, asked, tcp.sockets);
      return tcp;
    },
    get rowsWorth() {
      return !closedLast;
    },
    listeners: async () => {
      const reader = new InetDiagReader();
      await run("ss", SS_DUMP_TCP_LISTENERS, { onChunk: (chunk) => reader.push(chunk) });
      return reader.end();
    },
    readColumns: async (summary) => {
      rowsAsked = null;
      const columns = new DumpColumns(summary === null ? 0 : summary.ipv4 + summary.ipv6 + summary.timeWait);
      const reader = new InetDiagReader({ columns });
      await run("ss", [...SS_DUMP_TCP_WITHOUT_COUNTERS, ...familiesFor(summary)], {
        onChunk: (chunk) => reader.push(chunk),
      });
      return { columns, skipped: reader.end().skipped };
    },
  };
}
