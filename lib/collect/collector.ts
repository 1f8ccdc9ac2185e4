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
}

/** What one reading is asked for. */
export interface CollectRequest {
  /**
   * Read the TCP byte counters in this reading (default true). False: a collector that can read the sockets
   * without them (the ss collector's dump, `ss -taD -`, 124 bytes a socket instead of 440) does, and gives each
   * socket the counters it last read of it (null for one it has not read yet); the others read them as always.
   */
  counters?: boolean;
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
