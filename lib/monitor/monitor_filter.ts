import { isLocalAddress } from "../model/address_scope.ts";
import type { Connection } from "../model/connection.ts";
import { rowAddress } from "../model/direction.ts";
import type { IpRangeSet } from "../model/ip_range_set.ts";

/** What the monitor leaves out. */
export interface MonitorFilterOptions {
  /** Hide rows whose address is private, loopback, link-local, CGNAT, multicast or reserved. */
  filterLocal: boolean;
  /** Hide rows whose address is in these ranges (`--filter-file`). */
  hidden: IpRangeSet | null;
  /** Case-insensitive part of the process name. */
  process?: string;
  /** Keep connections with this local or remote port. */
  port?: number;
  /** Keep only connections this machine opened. */
  outgoing: boolean;
}

/**
 * Build the monitor's connection filter. The address a rule looks at is the
 * row's: the remote IP, or the local IP of a listening socket.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { monitorFilter } from "./monitor_filter.ts";
 * const keep = monitorFilter({ filterLocal: true, hidden: null, outgoing: false });
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "192.168.1.1", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const,
 *   pid: null, process_name: null, process_path: null, user: null };
 * deepStrictEqual([keep(c), keep({ ...c, remote_ip: "8.8.8.8" })], [false, true]);
 * ```
 */
export function monitorFilter(options: MonitorFilterOptions): (c: Connection) => boolean {
  const process = options.process?.toLowerCase();
  return (c) => {
    if (options.outgoing && c.direction !== "outgoing") return false;
    if (options.port !== undefined && c.local_port !== options.port && c.remote_port !== options.port) {
      return false;
    }
    if (process !== undefined && !(c.process_name?.toLowerCase().includes(process) ?? false)) return false;
    const ip = rowAddress(c);
    if (options.filterLocal && isLocalAddress(ip)) return false;
    if (options.hidden !== null && options.hidden.has(ip)) return false;
    return true;
  };
}
