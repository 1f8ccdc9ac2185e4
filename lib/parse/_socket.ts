import type { Protocol, Socket } from "../model/connection.ts";
import { normalizeStatus } from "../model/status.ts";
import { type Endpoint, isNoPeer } from "./endpoint.ts";

/** What a row tells about a socket's owner; fields a tool does not print are left out. */
export interface SocketOwner {
  pid?: number | null;
  process_name?: string | null;
  user?: string | null;
  inode?: number | null;
}

/**
 * Build a socket from the endpoints and state word a parser read: a wildcard
 * peer (`*:*`, `0.0.0.0:0`) means no peer, and the status is normalised.
 */
export function socketFromRow(
  protocol: Protocol,
  endpoints: { local: Endpoint; peer: Endpoint | null; state: string },
  owner: SocketOwner = {},
): Socket {
  const { local, peer, state } = endpoints;
  const hasPeer = peer !== null && !isNoPeer(peer);
  return {
    protocol,
    family: local.family,
    local_ip: local.ip,
    // An unbound UDP socket (`*.*`) has no port yet.
    local_port: local.port ?? 0,
    remote_ip: hasPeer ? peer.ip : null,
    remote_port: hasPeer ? peer.port : null,
    status: normalizeStatus(state, protocol, hasPeer),
    pid: owner.pid ?? null,
    process_name: owner.process_name ?? null,
    process_path: null,
    user: owner.user ?? null,
    inode: owner.inode ?? null,
  };
}
