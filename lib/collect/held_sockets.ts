/**
 * The new sockets a live collector holds back until a walk names their process, so that none is reported, nor
 * its bytes counted, without it: which are held, since when, which waited too long and are read without one,
 * and which closed before any walk named them.
 */
import type { Socket } from "../model/connection.ts";
import { isListening } from "../model/direction.ts";
import { LINGERING_STATUSES } from "../model/status.ts";
import type { OwnerBook } from "./owner_book.ts";

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

/** Options of {@linkcode createHeldSockets}. */
export interface HeldSocketsOptions {
  /** What is known of the sockets' owners. */
  book: OwnerBook;
  /** How long a socket may be held back (default: until the walk that names it). */
  waitMs?: number;
  /** The clock, ms. */
  now: () => number;
}

/** The sockets a collector holds back for their owner (see {@linkcode createHeldSockets}). */
export interface HeldSockets {
  /** Held sockets read in the current reading, and how long they waited (ms). */
  readonly waited: Map<number, number>;
  /** Held sockets that closed before a walk named them (never read), so far. */
  readonly missed: number;
  /** A reading starts: a socket it lists first was first seen now. */
  begin(): void;
  /**
   * The sockets read now, without those waiting for a walk, nor the connections queued on a listener that
   * waits (not accepted yet, they have no inode; read without their listener they would look outgoing).
   * A socket that waited `waitMs` is read without its process. `candidates`: the sockets whose owner may not
   * be known (all of those among `sockets`); `walkSince`: when the walk running beside the readings started
   * (null: none runs), which will name a socket first listed before it.
   */
  withoutWaiting(sockets: Socket[], candidates: readonly Socket[], walkSince: number | null): Socket[];
  /** Held sockets a walk has named: read now, with how long they waited. */
  releaseNamed(sockets: readonly Socket[]): void;
  /** After reading `reading`: a held socket it did not list closed unnamed; a released one named or gone is let go. */
  forget(reading: number): void;
}

/**
 * The sockets held back for their owner, with the owners `book` knows.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { createOwnerBook } from "./owner_book.ts";
 * import { createHeldSockets } from "./held_sockets.ts";
 * let clock = 0;
 * const book = createOwnerBook();
 * const held = createHeldSockets({ book, waitMs: 3000, now: () => clock });
 * const socket = { protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", pid: null, process_name: null,
 *   process_path: null, user: null, inode: 7 };
 * held.begin();
 * deepStrictEqual(held.withoutWaiting([socket], [socket], null), []); // held for its process
 * held.forget(book.forgetClosed([])); // the reading listed it without the held socket
 * clock = 1000;
 * held.begin();
 * book.setOwner(7, { pid: 42, name: "curl" });
 * held.releaseNamed([socket]);
 * deepStrictEqual([...held.waited], [[7, 1000]]);
 * ```
 */
export function createHeldSockets(options: HeldSocketsOptions): HeldSockets {
  const { book, now } = options;
  const waitMs = options.waitMs ?? Infinity;
  /** Sockets held back for a walk: since when (the clock's ms), and the reading that last held them. */
  const held = new Map<number, { since: number; reading: number }>();
  /** Sockets that waited longer than `waitMs` and are read without a process until a walk names it. */
  const released = new Set<number>();
  let waited = new Map<number, number>();
  /** When the current reading started: a socket it lists first was first seen then. */
  let readingAt = 0;
  let missed = 0;

  return {
    get waited() {
      return waited;
    },
    get missed() {
      return missed;
    },
    begin: () => {
      waited = new Map();
      readingAt = now();
    },
    withoutWaiting: (sockets, candidates, walkSince) => {
      const t = now();
      const reading = book.readings + 1;
      const waits = (s: Socket): boolean => {
        if (book.ownerKnown(s) || released.has(s.inode!)) return false;
        const since = held.get(s.inode!)?.since ?? readingAt;
        // A walk that started after the socket was first listed will name it: it waits for that walk.
        if (t - since < waitMs || (walkSince !== null && walkSince >= since)) {
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
    },
    releaseNamed: (sockets) => {
      if (held.size === 0) return;
      // Most readings under churn hold sockets that no walk has named yet: nothing to look for among 21,000.
      let named = false;
      for (const inode of held.keys()) {
        if (!book.has(inode)) continue;
        named = true;
        break;
      }
      if (!named) return;
      const t = now();
      for (const s of sockets) {
        const wait = s.inode ? held.get(s.inode) : undefined;
        if (wait === undefined || !book.ownerKnown(s)) continue;
        held.delete(s.inode!);
        if (t > wait.since) waited.set(s.inode!, t - wait.since);
      }
    },
    forget: (reading) => {
      held.forEach((wait, inode) => {
        if (wait.reading === reading) return;
        held.delete(inode);
        missed++;
      });
      released.forEach((inode) => {
        if (!book.listedWithoutOwner(inode, reading)) released.delete(inode);
      });
    },
  };
}
