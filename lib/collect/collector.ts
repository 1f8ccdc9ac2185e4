import type { Socket } from "../model/connection.ts";
import type { SkippedLine } from "../parse/parse_result.ts";
import type { Platform } from "../platform/platform.ts";

/** What of the machine collectors use: its OS, the programs they run, /proc and /etc/passwd, the user id. */
export type CollectorPlatform = Pick<Platform, "os" | "programs" | "files" | "may" | "mayRead" | "uid">;

/** The names `--collector` accepts. */
export const COLLECTOR_NAMES = ["auto", "ss", "proc", "netstat", "lsof"] as const;

/** A `--collector` value. */
export type CollectorName = typeof COLLECTOR_NAMES[number];

/** One reading of the system's sockets. */
export interface CollectResult {
  sockets: Socket[];
  /** Lines of tool output that could not be read, with reasons. */
  skipped: SkippedLine[];
  /** One-line remarks for the user: what was left out and which flag or privilege would add it. */
  notes: string[];
  /**
   * Sockets read now that were held back since an earlier reading (waiting
   * for their process): inode → how long they waited, in ms. They were first
   * seen that long ago.
   */
  waited?: Map<number, number>;
  /**
   * Asked for with {@linkcode CollectRequest.batches}: the sockets read after `sockets`, handed over a batch at a
   * time.
   */
  more?: SocketBatches;
}

/**
 * The rest of a one-shot reading, made as it is iterated: the ss collector keeps the TCP dump's sockets as columns
 * during its walk and makes them into objects a batch (100) at a time afterwards, each with its owner, path and
 * user. No batch outlives its turn, so no socket object is kept (at 25,000 sockets, 3.4 MB of objects that each
 * young-generation collection copied).
 */
export interface SocketBatches {
  /** Every listening socket of the batches (TCP `LISTEN`): the ports the reading's directions are told from. */
  listeners: Socket[];
  /** The batches. Iterated once; a note on the sockets without a process goes to the result's `notes` after it. */
  batches: Iterable<Socket[]>;
}

/**
 * A reading's sockets a batch at a time: `sockets`, then the batches of {@linkcode CollectResult.more}.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { socketBatches } from "./collector.ts";
 * import type { Socket } from "../model/connection.ts";
 * const socket = (inode: number) => ({ inode }) as unknown as Socket;
 * const a = socket(1), b = socket(2), c = socket(3);
 * deepStrictEqual([...socketBatches({ sockets: [a] })], [[a]]);
 * deepStrictEqual([...socketBatches({ sockets: [a], more: { listeners: [], batches: [[b], [c]] } })], [[a], [b], [c]]);
 * ```
 */
export function* socketBatches(result: Pick<CollectResult, "sockets" | "more">): Generator<Socket[]> {
  yield result.sockets;
  if (result.more !== undefined) yield* result.more.batches;
}

/** What one reading is asked for. */
export interface CollectRequest {
  /**
   * Read the TCP byte counters in this reading (default true). False: a collector that can read the sockets
   * without them (the ss collector's dump, `ss -taD -`, 124 bytes a socket instead of 440) does, and gives each
   * socket the counters it last read of it (null for one it has not read yet); the others read them as always.
   */
  counters?: boolean;
  /**
   * Hand sockets over in batches where the reading can ({@linkcode CollectResult.more}: the ss collector's
   * one-shot reading with its own walk and the TCP dump). Default false: every socket in `sockets`.
   */
  batches?: boolean;
}

/** Who owns a socket, as another source (a tracer) knows it; undefined when it does not. */
export type OwnerHint = (socket: Socket) => { pid: number; name: string | null } | undefined;

/** Something that reads the current sockets: a tool, /proc, or a saved capture. */
export interface Collector {
  /** The collector actually in use (after `auto` picked one). */
  readonly name: string;
  collect(request?: CollectRequest): Promise<CollectResult>;
  /**
   * Take the owners of new sockets from `hint` where it knows them (a tracer
   * saw the connect or accept), before walking every process's descriptors
   * for them. Collectors that learn owners otherwise need not have it.
   */
  takeOwnersFrom?(hint: OwnerHint): void;
  /** End what the collector keeps running between readings (a live ss collector's `sed`). */
  close?(): Promise<void>;
}
