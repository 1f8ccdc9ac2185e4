import { canonicalIp } from "./ip_address.ts";
import type { Connection } from "./connection.ts";
import { normalizeStatus, TCP_STATUSES } from "./status.ts";

/** Which connections to keep. Every field that is set must match. */
export interface ConnectionFilter {
  proto?: "tcp" | "udp";
  /** A status word in any tool's spelling (`ESTAB`, `time-wait`, `LISTENING`, `CONNECTED`). */
  state?: string;
  pid?: number;
  /** Case-insensitive part of the process name. */
  process?: string;
  /** False leaves out listening and unconnected sockets. */
  listening?: boolean;
  /** The remote address, in any spelling of it (`::ffff:10.0.0.1` is `10.0.0.1`). */
  remote?: string;
  /** The local or the remote port. */
  port?: number;
}

/**
 * An address in one spelling, so that two spellings of it compare equal; the
 * input itself when it is not an address.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { canonicalAddress } from "./connection_filter.ts";
 * deepStrictEqual(canonicalAddress("::ffff:10.0.0.1"), "10.0.0.1");
 * deepStrictEqual(canonicalAddress("2001:DB8:0::1"), "2001:db8::1");
 * ```
 */
export function canonicalAddress(ip: string): string {
  const bare = ip.split("%", 1)[0] ?? ip;
  return canonicalIp(bare) ?? ip;
}

const UDP_STATUSES = ["CONNECTED", "UNCONNECTED"];

/**
 * Read a user's status word into conntrail's spelling, or `null` when no tool
 * uses it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { statusFromUser } from "./connection_filter.ts";
 * deepStrictEqual(statusFromUser("time-wait"), "TIME_WAIT");
 * deepStrictEqual(statusFromUser("unconnected"), "UNCONNECTED");
 * deepStrictEqual(statusFromUser("sleeping"), null);
 * ```
 */
export function statusFromUser(word: string): string | null {
  const upper = word.toUpperCase();
  if (UDP_STATUSES.includes(upper)) return upper;
  const status = normalizeStatus(upper, "TCP", true);
  return status === "UNKNOWN" && upper !== "UNKNOWN" ? null : status;
}

/** Every status word `--state` accepts, for error messages. */
export const STATUS_WORDS: readonly string[] = [...TCP_STATUSES, ...UDP_STATUSES];

/**
 * Keep the connections that match every set field of the filter.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { filterConnections } from "./connection_filter.ts";
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "127.0.0.1", local_port: 80,
 *   remote_ip: null, remote_port: null, status: "LISTEN", direction: "listening" as const, pid: 7,
 *   process_name: "nginx", process_path: null, user: null };
 * deepStrictEqual(filterConnections([c], { process: "NGI" }).length, 1);
 * deepStrictEqual(filterConnections([c], { listening: false }).length, 0);
 * ```
 */
export function filterConnections(
  connections: readonly Connection[],
  filter: ConnectionFilter,
): Connection[] {
  const status = filter.state === undefined ? undefined : statusFromUser(filter.state);
  const protocol = filter.proto?.toUpperCase();
  const process = filter.process?.toLowerCase();
  const remote = filter.remote === undefined ? undefined : canonicalAddress(filter.remote);
  return connections.filter((c) =>
    (remote === undefined || (c.remote_ip !== null && canonicalAddress(c.remote_ip) === remote)) &&
    (filter.port === undefined || c.local_port === filter.port || c.remote_port === filter.port) &&
    (protocol === undefined || c.protocol === protocol) &&
    (status === undefined || c.status === status) &&
    (filter.pid === undefined || c.pid === filter.pid) &&
    (process === undefined || (c.process_name?.toLowerCase().includes(process) ?? false)) &&
    (filter.listening !== false || c.direction !== "listening")
  );
}
