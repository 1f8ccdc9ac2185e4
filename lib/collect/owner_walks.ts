/**
 * The walks of every process's descriptors that name the owners of a live collector's new sockets: when one may
 * run (spaced, beside the polls), how (conntrail's own walk with `find` and `cat`, or `ss -p`), what it teaches
 * the {@linkcode OwnerBook}, and the listeners its listing adds to a dump that missed them.
 */
import type { Socket } from "../model/connection.ts";
import { isListening } from "../model/direction.ts";
import { PermissionError, ToolError } from "../model/errors.ts";
import { timerDelay } from "../model/timer_delay.ts";
import { parseSs, parseSsInodeOwners } from "../parse/ss.ts";
import type { Owner, OwnerBook } from "./owner_book.ts";
import type { RunTool } from "./run_tool.ts";
import { SS_ARGS_WITH_OWNERS } from "./ss_args.ts";
import { OwnerWalkUnusable, type SocketOwners, walkSocketOwners } from "./socket_owner_walk.ts";

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
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { withListeners } from "./owner_walks.ts";
 * const listener = { protocol: "TCP" as const, family: 4 as const, local_ip: "0.0.0.0", local_port: 8080,
 *   remote_ip: null, remote_port: null, status: "LISTEN", pid: 42, process_name: "server",
 *   process_path: null, user: null, inode: 9 };
 * deepStrictEqual(withListeners([], [listener]), [listener]);
 * deepStrictEqual(withListeners([listener], [{ ...listener }]), [listener]); // the dump has it
 * ```
 */
export function withListeners(dumped: Socket[], listeners: Socket[]): Socket[] {
  if (listeners.length === 0) return dumped;
  const listed = new Set<number>();
  for (const s of dumped) if (s.inode && isListening(s)) listed.add(s.inode);
  // Not one without a process: it may have opened after ss read the processes, and would be read without one.
  const missed = listeners.filter((s) => s.inode && s.pid !== null && !listed.has(s.inode));
  return missed.length === 0 ? dumped : [...dumped, ...missed];
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

/** A walk of every process's descriptors, as {@linkcode walkSocketOwners} starts it. */
export type StartedWalk = ReturnType<typeof walkSocketOwners>;

/** Options of {@linkcode createOwnerWalks}. */
export interface OwnerWalksOptions {
  /** Runs ss, find and cat. */
  run: RunTool;
  /** The clock that spaces the walks, ms. */
  now: () => number;
  /** What the walks teach. */
  book: OwnerBook;
  /** After a walk, the next for new sockets waits this many times as long (0: whenever a socket is new). */
  spacing: number;
  /** Whether conntrail's own walk may run (the flags grant find and cat): until it cannot. */
  ownWalk: boolean;
  /** Says something the collector's next result tells (a walk beside the polls that failed). */
  note: (text: string) => void;
  /**
   * The listening TCP sockets, read beside conntrail's own walk (see {@linkcode withListeners}): the dump's
   * (`ss -tlD -`) while the readings are dumps, none while they are text (a text reading lists its listeners
   * with the rest). Default: none.
   */
  listListeners?: () => Promise<Socket[]>;
}

/** The owner walks of a collector (see {@linkcode createOwnerWalks}). */
export interface OwnerWalks {
  /** Whether spaced walks run beside the polls (a poll waits for one only a moment). */
  readonly background: boolean;
  /** Whether owners come from conntrail's own walk (find and cat) instead of `ss -p`: until it cannot run. */
  readonly ownWalk: boolean;
  /** Whether a walk for new sockets may run now. */
  mayWalk(): boolean;
  /** When the walk running beside the polls started (null: none runs). */
  runningSince(): number | null;
  /**
   * After a walk from `started`, the next waits `spacing` times as long; the first reading's walk, which every
   * run makes, does not count: a connection opened soon after the start is named at once.
   */
  spaceFrom(started: number, first: boolean): void;
  /** The start's own walk, begun now beside the first dump (undefined: `ss -p` walks). */
  startEarly(): StartedWalk | undefined;
  /**
   * A listing run beside conntrail's own walk of the descriptors (started already, or now), both read; null when
   * find or cat cannot be run (then `ss -p` walks).
   */
  walkBeside<T>(listing: Promise<T>, started?: StartedWalk): Promise<[T, SocketOwners] | null>;
  /**
   * Walk for the owners of the reading's `sockets` whose owner is not known (`first`: the first reading's walk;
   * `early`: its walk, begun already). Returns the listeners read beside the walk (see {@linkcode withListeners}).
   */
  learnOwners(sockets: readonly Socket[], first: boolean, early?: StartedWalk): Promise<Socket[]>;
  /** Walk for sockets whose owner is not known, when a walk may run; the listeners of a walk this reading saw end. */
  walkFor(sockets: readonly Socket[]): Promise<Socket[]>;
}

/**
 * The walks that name a collector's sockets' owners. A walk names the sockets of the reading that asked for it.
 * Conntrail's own walk finds every socket descriptor: the next reading also names from it the sockets that
 * opened after the reading that asked and before the walk got to them (instead of walking for them again). With
 * `spacing`, walks run beside the polls: a poll waits for one at most 250 ms (a walk of a few thousand sockets'
 * owners is done by then), so that a walk of seconds (20,000 sockets) does not hold the poll up; its owners
 * serve the polls after it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { createOwnerBook } from "./owner_book.ts";
 * import { createOwnerWalks } from "./owner_walks.ts";
 * const book = createOwnerBook();
 * const text = 'tcp ESTAB 0 0 10.0.0.2:5000 8.8.8.8:443 users:(("curl",pid=42,fd=3)) ino:7 sk:1 <->\n';
 * const walks = createOwnerWalks({
 *   run: () => Promise.resolve({ code: 0, stdout: text, stderr: "" }),
 *   now: () => 0,
 *   book,
 *   spacing: 0,
 *   ownWalk: false,
 *   note: () => {},
 * });
 * await walks.learnOwners([], true); // ss -p names every socket it lists
 * deepStrictEqual(book.has(7), true);
 * ```
 */
export function createOwnerWalks(options: OwnerWalksOptions): OwnerWalks {
  const { run, now, book, spacing, note } = options;
  let ownWalk = options.ownWalk;
  /** When the next `ss -p` for new sockets may run. */
  let nextWalkAt = -Infinity;
  /** When the latest walk started, and the spaced walk running beside the polls, if one is. */
  let walkStartedAt = -Infinity;
  let walking: Promise<void> | null = null;
  const mayWalk = () => now() >= nextWalkAt;
  const background = spacing > 0;
  const spaceFrom = (started: number, first: boolean) => {
    if (first) return;
    const ended = now();
    nextWalkAt = ended + (ended - started) * spacing;
  };
  const walkBeside = async <T>(
    listing: Promise<T>,
    started?: StartedWalk,
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
  const listListeners = options.listListeners ?? (() => Promise.resolve([]));
  /**
   * What conntrail's last own walk found, for the reading under way when it ended and the next one (`reading`:
   * the book's readings then): they name from it the sockets it found that they list with no owner known. Its
   * index keeps 8 to 16 bytes a socket descriptor (a typed array grown by doubling) until the next reading
   * that asks for a walk, or the next walk.
   */
  let lastWalk: { pids: SocketOwners["pids"]; ownerFor: (pid: number) => Owner; reading: number } | null =
    null;
  /** Name from the last own walk the sockets it found whose owner is not known yet (see `createOwnerWalks`). */
  const learnFromLastWalk = (sockets: readonly Socket[]) => {
    if (lastWalk === null) return;
    const { pids, ownerFor, reading } = lastWalk;
    if (book.readings > reading + 1) {
      lastWalk = null; // too old: a descriptor may have moved to another process since
      return;
    }
    for (const s of sockets) {
      if (!s.inode || book.ownerKnown(s)) continue;
      const pid = pids.pidOf(s.inode);
      if (pid !== undefined) book.learn(s.inode, ownerFor(pid), false);
    }
  };

  /**
   * Walk every process's descriptors for the owners of the reading's sockets whose owner is not known. Beside
   * conntrail's own walk, the listeners are read (see `withListeners`): later than the dump, as ss -p's
   * listing is. ss -p lists and names every socket, and its owners are kept until a reading after it leaves
   * their inodes out (a socket opened during or after the dump is named for the next reading, not forgotten
   * and walked for again).
   */
  const learnOwners = async (
    sockets: readonly Socket[],
    first: boolean,
    early?: StartedWalk,
  ): Promise<Socket[]> => {
    const started = now();
    walkStartedAt = started;
    lastWalk = null;
    try {
      // A new socket's first "none" waits for a second walk to confirm it (the start's walk is believed).
      const doubt = background && !first;
      // Conntrail's own walk where it may run (about half of ss -p's cost, so spaced walks come twice as often
      // and a new socket waits half as long for its process); the start's may have begun beside the dump.
      // The sockets asked about are known before it starts: no listing of every socket runs beside it.
      const wanted = sockets.filter((s) => s.inode && !book.ownerKnown(s));
      const walked = ownWalk ? await walkBeside(listListeners(), first ? early : undefined) : null;
      if (walked !== null) {
        // The walk named every process holding a socket, after it walked (see nameProcesses), not only the owners
        // of the sockets asked about: the next reading names from this walk sockets that opened since.
        const [listeners, { pids, names }] = walked;
        // One owner per process, not per socket: 21,000 sockets of one process are one object.
        const ownerOf = new Map<number, Owner>();
        const ownerFor = (pid: number): Owner => {
          let owner = ownerOf.get(pid);
          if (owner === undefined) ownerOf.set(pid, owner = { pid, name: names.get(pid) ?? null });
          return owner;
        };
        for (const s of wanted) {
          const pid = pids.pidOf(s.inode!);
          book.learn(s.inode!, pid === undefined ? null : ownerFor(pid), doubt);
        }
        // A listener the dump missed joins the reading (see `withListeners`): its owner is known as the others'.
        for (const s of listeners) {
          const pid = s.inode ? pids.pidOf(s.inode) : undefined;
          const owner = pid === undefined ? null : ownerFor(pid);
          s.pid = owner?.pid ?? null;
          s.process_name = owner?.name ?? null;
          if (s.inode && !book.has(s.inode)) book.learn(s.inode, owner, doubt);
        }
        lastWalk = { pids, ownerFor, reading: book.readings };
        return listeners;
      }
      const text = (await run("ss", SS_ARGS_WITH_OWNERS)).stdout;
      for (const [inode, owner] of parseSsInodeOwners(text)) book.learn(inode, owner, doubt);
      return listenersIn(text);
    } finally {
      spaceFrom(started, first);
    }
  };

  const walkFor = async (sockets: readonly Socket[]): Promise<Socket[]> => {
    learnFromLastWalk(sockets);
    if (!sockets.some((s) => !book.ownerKnown(s))) return [];
    if (!background) return mayWalk() ? await learnOwners(sockets, false) : [];
    let listeners: Socket[] = [];
    if (walking === null && mayWalk()) {
      const walk: Promise<void> = learnOwners(sockets, false).then((found) => {
        listeners = found;
      }, (error) => {
        note(
          `a walk of the processes' descriptors failed: ${error instanceof Error ? error.message : error}`,
        );
      }).finally(() => {
        if (walking === walk) walking = null;
      });
      walking = walk;
      await within(walk, WALK_WAIT_MS);
      return listeners;
    }
    if (walking !== null) {
      await within(walking, WALK_WAIT_MS);
      learnFromLastWalk(sockets); // a walk that ended meanwhile names what it found of this reading's
    }
    return [];
  };

  return {
    background,
    get ownWalk() {
      return ownWalk;
    },
    mayWalk,
    runningSince: () => walking !== null ? walkStartedAt : null,
    spaceFrom,
    startEarly: () => ownWalk ? walkSocketOwners(run) : undefined,
    walkBeside,
    learnOwners,
    walkFor,
  };
}
