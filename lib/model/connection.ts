/**
 * The connection vocabulary shared by every collector, command and export.
 *
 * Field names follow the README's Output section: one set of snake_case names for JSON,
 * NDJSON and CSV.
 *
 * @module
 */

/** Transport protocol of a socket. */
export type Protocol = "TCP" | "UDP";

/** IP family: IPv4-mapped IPv6 addresses are reported as family 4. */
export type Family = 4 | 6;

/** Which way a connection goes, as seen from this machine. */
export type Direction = "outgoing" | "incoming" | "listening" | "unknown";

/** One socket as a parser read it, before direction and time are known. */
export interface Socket {
  protocol: Protocol;
  family: Family;
  local_ip: string;
  local_port: number;
  /** `null` for listening and unconnected sockets. */
  remote_ip: string | null;
  remote_port: number | null;
  /** A normalised status word (see `normalizeStatus`). */
  status: string;
  pid: number | null;
  process_name: string | null;
  process_path: string | null;
  user: string | null;
  /** Kernel socket inode where the source tells it (Linux); 0 or null when it has none. */
  inode: number | null;
  /**
   * Bytes this socket has sent so far, from the kernel's counters (`--traffic`):
   * absent when counters were not asked for, `null` when the source has none
   * (UDP, listening sockets, platforms without counters).
   */
  bytes_sent?: number | null;
  /** Bytes received so far; absent or `null` as for `bytes_sent`. */
  bytes_received?: number | null;
}

/** One connection in a snapshot: a socket with its time and direction (the inode stays internal). */
export interface Connection extends Omit<Socket, "inode"> {
  timestamp: string;
  direction: Direction;
  /**
   * The name the program asked for (from DNS answers, `--sniff-dns`); null
   * when no answer gave the remote address, absent where nothing listens to
   * DNS (snapshots). `hostname` (reverse DNS) is enrichment, not this.
   */
  domain?: string | null;
}

/** The SPEC field order, which is also the CSV column order after the logger's columns. */
export const CONNECTION_FIELDS: readonly Exclude<keyof Connection, "domain">[] = [
  "timestamp",
  "protocol",
  "process_name",
  "process_path",
  "pid",
  "local_ip",
  "local_port",
  "remote_ip",
  "remote_port",
  "status",
  "family",
  "direction",
  "user",
];

/** The byte counter fields `--traffic` adds after {@linkcode CONNECTION_FIELDS}. */
export const TRAFFIC_FIELDS = ["bytes_sent", "bytes_received"] as const;
