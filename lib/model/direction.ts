import type { Connection, Direction, Socket } from "./connection.ts";
import { type ConnectionMemory, RememberedConnection } from "./connection_memory.ts";
import { RememberedSocket } from "./remembered_socket.ts";

const WILDCARDS = new Set(["0.0.0.0", "::"]);

/** True for sockets that wait for peers: TCP `LISTEN` and UDP bound without a peer. */
export function isListening(socket: Pick<Socket, "status" | "remote_ip">): boolean {
  return socket.status === "LISTEN" ||
    (socket.status === "UNCONNECTED" && socket.remote_ip === null);
}

/** Listening addresses by protocol and port: a lookup that builds no strings per socket. */
class Listeners {
  #byPort = { TCP: new Map<number, Set<string>>(), UDP: new Map<number, Set<string>>() };
  add(s: Socket): void {
    const ports = this.#byPort[s.protocol];
    const ips = ports.get(s.local_port) ?? new Set<string>();
    ips.add(s.local_ip);
    ports.set(s.local_port, ips);
  }
  holds(s: Socket): boolean {
    const ips = this.#byPort[s.protocol].get(s.local_port);
    if (ips === undefined) return false;
    // A dual-stack listener on [::] also accepts IPv4 peers.
    return ips.has(s.local_ip) || ips.has(s.family === 4 ? "0.0.0.0" : "::") || ips.has("::");
  }
}

/**
 * The listening addresses of `sockets` (those {@linkcode isListening} says wait for peers): what the directions of
 * a reading's connections are told from. A reading handed over in batches lists them all before its batches.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { listenersOf, toConnectionsInPlace } from "./direction.ts";
 * const base = { protocol: "TCP" as const, family: 4 as const, local_ip: "127.0.0.1",
 *   pid: null, process_name: null, process_path: null, user: null, inode: 7 };
 * const listeners = listenersOf([{ ...base, local_port: 80, remote_ip: null, remote_port: null, status: "LISTEN" }]);
 * const [accepted] = toConnectionsInPlace(
 *   [{ ...base, local_port: 80, remote_ip: "127.0.0.1", remote_port: 5000, status: "ESTABLISHED" }],
 *   "2026-01-01T00:00:00.000+00:00",
 *   listeners,
 * );
 * deepStrictEqual(accepted?.direction, "incoming");
 * ```
 */
export function listenersOf(sockets: readonly Socket[]): Listeners {
  const listeners = new Listeners();
  // Indexed, not for-of: Maglev (the top tier under --max-opt=2) keeps a for-of's array iterator calls, three
  // times the cost of this pass over 22,000 sockets a poll at 10k (Turbofan: the same).
  for (let i = 0; i < sockets.length; i++) if (isListening(sockets[i]!)) listeners.add(sockets[i]!);
  return listeners;
}

/** A socket's connection: its fields in SPEC order, its time and direction (not its inode). */
function connectionOf(s: Socket, timestamp: string, direction: Direction): Connection {
  // Counters only when they were asked for (`--traffic`): absent otherwise, not null. Written in the literal,
  // not added after it: an added property goes to a second array per object (at 10k, 21,000 of them, ~0.8 MiB
  // kept).
  const connection: Connection = s.bytes_sent !== undefined && s.bytes_received !== undefined
    ? {
      timestamp,
      protocol: s.protocol,
      family: s.family,
      local_ip: s.local_ip,
      local_port: s.local_port,
      remote_ip: s.remote_ip,
      remote_port: s.remote_port,
      status: s.status,
      direction,
      pid: s.pid,
      process_name: s.process_name,
      process_path: s.process_path,
      user: s.user,
      bytes_sent: s.bytes_sent,
      bytes_received: s.bytes_received,
    }
    : {
      timestamp,
      protocol: s.protocol,
      family: s.family,
      local_ip: s.local_ip,
      local_port: s.local_port,
      remote_ip: s.remote_ip,
      remote_port: s.remote_port,
      status: s.status,
      direction,
      pid: s.pid,
      process_name: s.process_name,
      process_path: s.process_path,
      user: s.user,
    };
  if (s.bytes_sent !== undefined && s.bytes_received === undefined) connection.bytes_sent = s.bytes_sent;
  if (s.bytes_received !== undefined && s.bytes_sent === undefined) {
    connection.bytes_received = s.bytes_received;
  }
  return connection;
}

/**
 * Turn parsed sockets into connections: stamp them with one time and derive
 * each one's direction from the set of listening ports (`listeners`: those of
 * the reading, when `sockets` are a batch of it; by default their own).
 *
 * A socket is `listening` when it waits for peers (TCP `LISTEN`, unconnected
 * UDP), `incoming` when its local port is one a listener of the same protocol
 * holds on its address or on the wildcard address, `outgoing` when it has a peer
 * otherwise, and `unknown` when it has neither.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { toConnections } from "./direction.ts";
 * const base = { protocol: "TCP" as const, family: 4 as const, local_ip: "127.0.0.1",
 *   pid: null, process_name: null, process_path: null, user: null, inode: null };
 * const [listener, accepted, dialled] = toConnections([
 *   { ...base, local_port: 80, remote_ip: null, remote_port: null, status: "LISTEN" },
 *   { ...base, local_port: 80, remote_ip: "127.0.0.1", remote_port: 5000, status: "ESTABLISHED" },
 *   { ...base, local_port: 5000, remote_ip: "127.0.0.1", remote_port: 80, status: "ESTABLISHED" },
 * ], "2026-01-01T00:00:00.000+00:00");
 * deepStrictEqual([listener?.direction, accepted?.direction, dialled?.direction],
 *   ["listening", "incoming", "outgoing"]);
 * ```
 */
export function toConnections(
  sockets: readonly Socket[],
  timestamp: string,
  memory?: ConnectionMemory,
  listeners: Listeners = listenersOf(sockets),
): Connection[] {
  const directionOf = (s: Socket): Direction => {
    if (isListening(s)) return "listening";
    if (listeners.holds(s) && !WILDCARDS.has(s.local_ip)) return "incoming";
    return s.remote_ip === null ? "unknown" : "outgoing";
  };
  const poll = memory?.begin() ?? 0;
  // Always the same kind of array (holey, made at its length): `sockets.map` gave a packed one at most polls and a
  // holey one at some (poll 110 at 1,000 connections), and the tracker's optimized update, which had seen only
  // packed ones, was thrown away there ("wrong map") and compiled again (Turbofan: 40-160 ms of the main thread).
  const connections: Connection[] = new Array(sockets.length);
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    const direction = directionOf(s);
    const known = memory?.get(s, poll);
    if (known !== undefined && sameConnection(known, s, direction)) {
      connections[i] = known;
    } else if (memory !== undefined && (s.inode || RememberedSocket.is(s))) {
      // A socket its reader remembers without an inode (TIME_WAIT, by its cookie) holds its connection too.
      const connection = new RememberedConnection(s, timestamp, direction, poll);
      // The same connection with new counters or a new state: what the tracker keeps of it stays with it.
      if (known !== undefined && sameFourTuple(known, s)) {
        RememberedConnection.carryTracked(known as RememberedConnection, connection);
      }
      memory.set(s, connection);
      connections[i] = connection;
    } else {
      connections[i] = connectionOf(s, timestamp, direction);
    }
  }
  memory?.end(poll);
  return connections;
}

/**
 * {@linkcode toConnections} for sockets read once and not used after (a one-shot `snapshot` that is not
 * saved; `listeners` as there): each socket becomes its connection in place, its time and direction added,
 * instead of a copy. At 25,000 sockets read whole the copies were 3.4 MB more of heap at the peak, copied again by
 * each young-generation collection they outlived. The objects keep their `inode`: for writers of named fields
 * (table, JSON, CSV, ECS/OCSF), not for a store, which would keep it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { toConnectionsInPlace } from "./direction.ts";
 * const base = { protocol: "TCP" as const, family: 4 as const, local_ip: "127.0.0.1",
 *   pid: null, process_name: null, process_path: null, user: null, inode: 7 };
 * const sockets = [{ ...base, local_port: 80, remote_ip: null, remote_port: null, status: "LISTEN" }];
 * const [listener] = toConnectionsInPlace(sockets, "2026-01-01T00:00:00.000+00:00");
 * deepStrictEqual([listener === sockets[0], listener?.direction], [true, "listening"]);
 * ```
 */
export function toConnectionsInPlace(
  sockets: Socket[],
  timestamp: string,
  listeners: Listeners = listenersOf(sockets),
): Connection[] {
  for (const s of sockets) {
    const direction: Direction = isListening(s)
      ? "listening"
      : listeners.holds(s) && !WILDCARDS.has(s.local_ip)
      ? "incoming"
      : s.remote_ip === null
      ? "unknown"
      : "outgoing";
    const c = s as Socket & { timestamp?: string; direction?: Direction };
    c.timestamp = timestamp;
    c.direction = direction;
  }
  return sockets as unknown as Connection[];
}

/** Whether a connection read earlier is of the socket's protocol and four-tuple (its key in the tracker). */
function sameFourTuple(c: Connection, s: Socket): boolean {
  return c.local_port === s.local_port && c.remote_port === s.remote_port && c.local_ip === s.local_ip &&
    c.remote_ip === s.remote_ip && c.protocol === s.protocol;
}

/** Whether a connection read earlier says all that a socket says now (its time aside). */
function sameConnection(c: Connection, s: Socket, direction: Direction): boolean {
  return c.status === s.status && c.direction === direction && c.local_port === s.local_port &&
    c.remote_port === s.remote_port && c.local_ip === s.local_ip && c.remote_ip === s.remote_ip &&
    c.protocol === s.protocol && c.family === s.family && c.pid === s.pid &&
    c.process_name === s.process_name && c.process_path === s.process_path && c.user === s.user &&
    c.bytes_sent === s.bytes_sent && c.bytes_received === s.bytes_received;
}

/**
 * The address a connection is about: its peer, or its own address when it
 * listens or has no peer. Rows, filters and event lines all use this one.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { rowAddress } from "./direction.ts";
 * deepStrictEqual(rowAddress({ direction: "listening", local_ip: "0.0.0.0", remote_ip: null }), "0.0.0.0");
 * deepStrictEqual(rowAddress({ direction: "outgoing", local_ip: "10.0.0.2", remote_ip: "8.8.8.8" }), "8.8.8.8");
 * ```
 */
export function rowAddress(c: Pick<Connection, "direction" | "local_ip" | "remote_ip">): string {
  return c.direction === "listening" || c.remote_ip === null ? c.local_ip : c.remote_ip;
}

/**
 * The port that names the service: the remote port of an outgoing
 * connection, the local port otherwise (incoming, listening).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { servicePort } from "./direction.ts";
 * deepStrictEqual(servicePort({ direction: "outgoing", local_port: 50000, remote_port: 443 }), 443);
 * deepStrictEqual(servicePort({ direction: "incoming", local_port: 22, remote_port: 50000 }), 22);
 * ```
 */
export function servicePort(c: Pick<Connection, "direction" | "local_port" | "remote_port">): number | null {
  return c.direction === "outgoing" ? c.remote_port : c.local_port;
}
