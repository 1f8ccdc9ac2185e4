import type { Socket } from "../model/connection.ts";
import type { SkippedLine } from "../parse/parse_result.ts";
import type { Platform } from "../platform/platform.ts";

/** What of the machine collectors use: its OS, the programs they run, /proc and /etc/passwd, the user id. */
export type CollectorPlatform = Pick<Platform, "os" | "programs" | "files" | "mayRead" | "uid">;

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
}

/** Something that reads the current sockets: a tool, /proc, or a saved capture. */
export interface Collector {
  /** The collector actually in use (after `auto` picked one). */
  readonly name: string;
  collect(): Promise<CollectResult>;
}
