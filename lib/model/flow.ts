/**
 * A connection as a flow between a source and a destination, the way ECS and
 * OCSF records see it: the source is the end that opened it.
 *
 * @module
 */
import { communityId } from "./community_id.ts";
import type { Connection, Protocol } from "./connection.ts";

/** IANA protocol numbers of the transports conntrail lists. */
export const IANA_PROTOCOL: Readonly<Record<Protocol, number>> = { TCP: 6, UDP: 17 };

/** One end of a flow. */
export interface FlowEnd {
  ip: string;
  port: number | null;
  /** True for this machine's end of the connection. */
  local: boolean;
}

/** Both ends of a connection; a listening or unconnected socket has only a destination (itself). */
export interface FlowEnds {
  source: FlowEnd | null;
  destination: FlowEnd;
}

/**
 * Source and destination of a connection: an outgoing (or unknown) connection
 * goes from the local end to the remote one, an incoming one the other way;
 * a listening socket is the destination of connections to come.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { flowEnds } from "./flow.ts";
 * const ends = flowEnds({ direction: "incoming", local_ip: "10.0.0.2", local_port: 22,
 *   remote_ip: "198.51.100.7", remote_port: 50000 });
 * deepStrictEqual(ends.source, { ip: "198.51.100.7", port: 50000, local: false });
 * deepStrictEqual(ends.destination, { ip: "10.0.0.2", port: 22, local: true });
 * ```
 */
export function flowEnds(
  c: Pick<Connection, "direction" | "local_ip" | "local_port" | "remote_ip" | "remote_port">,
): FlowEnds {
  const local: FlowEnd = { ip: c.local_ip, port: c.local_port, local: true };
  if (c.remote_ip === null || c.direction === "listening") return { source: null, destination: local };
  const remote: FlowEnd = { ip: c.remote_ip, port: c.remote_port, local: false };
  return c.direction === "incoming"
    ? { source: remote, destination: local }
    : { source: local, destination: remote };
}

/**
 * The Community ID v1 of a connection with a peer, null for listening and
 * unconnected sockets (they are no flow yet).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { connectionCommunityId } from "./flow.ts";
 * const c = { protocol: "TCP" as const, direction: "outgoing" as const, local_ip: "1.2.3.4", local_port: 1122,
 *   remote_ip: "5.6.7.8", remote_port: 3344 };
 * deepStrictEqual(connectionCommunityId(c), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
 * deepStrictEqual(connectionCommunityId({ ...c, remote_ip: null, remote_port: null }), null);
 * ```
 */
export function connectionCommunityId(
  c: Pick<Connection, "protocol" | "direction" | "local_ip" | "local_port" | "remote_ip" | "remote_port">,
): string | null {
  if (c.remote_ip === null || c.remote_port === null) return null;
  return communityId({
    protocol: IANA_PROTOCOL[c.protocol],
    sourceIp: c.local_ip,
    sourcePort: c.local_port,
    destinationIp: c.remote_ip,
    destinationPort: c.remote_port,
  });
}

/**
 * Fields other features add to a connection when they are on: `domain` (the
 * name the program asked for, from DNS answers) and the byte counters of
 * `--traffic`. Read through here so that records carry them when present.
 */
export interface FlowExtras {
  domain?: string | null;
  bytes_sent?: number | null;
  bytes_received?: number | null;
}

/**
 * The optional extras of a connection, each null when unknown.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { flowExtras } from "./flow.ts";
 * deepStrictEqual(flowExtras({ bytes_sent: 10 }), { domain: null, bytes_sent: 10, bytes_received: null });
 * ```
 */
export function flowExtras(c: object): Required<FlowExtras> {
  const extras = c as FlowExtras;
  return {
    domain: typeof extras.domain === "string" && extras.domain !== "" ? extras.domain : null,
    bytes_sent: typeof extras.bytes_sent === "number" ? extras.bytes_sent : null,
    bytes_received: typeof extras.bytes_received === "number" ? extras.bytes_received : null,
  };
}
