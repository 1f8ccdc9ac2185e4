/**
 * The sockets of a TCP dump kept as columns while a one-shot reading's walk runs, and made into socket objects a
 * batch at a time after it (see `lib/collect/dump_batches.ts`): ~43 bytes a socket (numbers in typed arrays, the
 * strings as references to the reader's shared ones) instead of an object of 136 that every young-generation
 * collection copies, or the dump's 124 bytes kept as it came.
 *
 * @module
 */
import type { Family, Socket } from "../model/connection.ts";

/**
 * A TCP socket as a dump's reader makes it, without counters: every reader of the dump makes it with this one
 * literal, so that its objects share one shape.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { tcpSocket } from "./dump_columns.ts";
 * const socket = tcpSocket(4, "127.0.0.1", 80, null, null, "LISTEN", "0", 7);
 * deepStrictEqual([socket.protocol, socket.local_port, socket.pid, socket.inode], ["TCP", 80, null, 7]);
 * ```
 */
export function tcpSocket(
  family: Family,
  localIp: string,
  localPort: number,
  remoteIp: string | null,
  remotePort: number | null,
  status: string,
  user: string | null,
  inode: number,
): Socket {
  return {
    protocol: "TCP",
    family,
    local_ip: localIp,
    local_port: localPort,
    remote_ip: remoteIp,
    remote_port: remotePort,
    status,
    pid: null,
    process_name: null,
    process_path: null,
    user,
    inode,
  };
}

/**
 * A dump's sockets as columns, added by its reader (`InetDiagReader({ columns })`) and made into objects a batch
 * at a time ({@linkcode DumpColumns.sockets}); the listening ones whole ({@linkcode DumpColumns.listeners}).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { DumpColumns, tcpSocket } from "./dump_columns.ts";
 * const columns = new DumpColumns(1);
 * columns.add(4, "127.0.0.1", 80, null, null, "LISTEN", "0", 7);
 * columns.add(4, "127.0.0.1", 80, "127.0.0.1", 5000, "ESTABLISHED", "0", 8);
 * deepStrictEqual(columns.sockets(1, 2), [tcpSocket(4, "127.0.0.1", 80, "127.0.0.1", 5000, "ESTABLISHED", "0", 8)]);
 * deepStrictEqual(columns.listeners().map((s) => s.inode), [7]);
 * ```
 */
export class DumpColumns {
  #length = 0;
  #family: Uint8Array;
  #localPort: Uint16Array;
  /** -1: no peer. */
  #remotePort: Int32Array;
  #inode: Uint32Array;
  // Made as long as the room, and filled by index: a column pushed onto from empty was copied as it grew.
  #localIp: string[];
  #remoteIp: (string | null)[];
  #status: string[];
  #user: (string | null)[];

  /** `room`: how many sockets the columns hold before they grow (a dump's count, from the summary). */
  constructor(room: number) {
    const size = Math.max(room, 64);
    this.#family = new Uint8Array(size);
    this.#localPort = new Uint16Array(size);
    this.#remotePort = new Int32Array(size);
    this.#inode = new Uint32Array(size);
    this.#localIp = new Array(size);
    this.#remoteIp = new Array(size);
    this.#status = new Array(size);
    this.#user = new Array(size);
  }

  /** How many sockets were added. */
  get length(): number {
    return this.#length;
  }

  /** Add a socket, as {@linkcode tcpSocket} takes it. */
  add(
    family: Family,
    localIp: string,
    localPort: number,
    remoteIp: string | null,
    remotePort: number | null,
    status: string,
    user: string | null,
    inode: number,
  ): void {
    const at = this.#length++;
    if (at === this.#family.length) this.#grow();
    this.#family[at] = family;
    this.#localPort[at] = localPort;
    this.#remotePort[at] = remotePort ?? -1;
    this.#inode[at] = inode;
    this.#localIp[at] = localIp;
    this.#remoteIp[at] = remoteIp;
    this.#status[at] = status;
    this.#user[at] = user;
  }

  /** The sockets added from `from` up to `to`, as objects (each made afresh). */
  sockets(from: number, to: number): Socket[] {
    const end = Math.min(to, this.#length);
    const sockets: Socket[] = new Array(Math.max(end - from, 0));
    for (let at = from; at < end; at++) sockets[at - from] = this.#socket(at);
    return sockets;
  }

  /** The listening sockets (TCP `LISTEN`), as objects. */
  listeners(): Socket[] {
    const listeners: Socket[] = [];
    for (let at = 0; at < this.#length; at++) {
      if (this.#status[at] === "LISTEN") listeners.push(this.#socket(at));
    }
    return listeners;
  }

  #socket(at: number): Socket {
    const remotePort = this.#remotePort[at]!;
    return tcpSocket(
      this.#family[at] as Family,
      this.#localIp[at]!,
      this.#localPort[at]!,
      this.#remoteIp[at]!,
      remotePort < 0 ? null : remotePort,
      this.#status[at]!,
      this.#user[at]!,
      this.#inode[at]!,
    );
  }

  #grow(): void {
    const size = 2 * this.#family.length;
    const grown = <T extends Uint8Array | Uint16Array | Int32Array | Uint32Array>(
      column: T,
      bigger: T,
    ): T => {
      bigger.set(column);
      return bigger;
    };
    this.#family = grown(this.#family, new Uint8Array(size));
    this.#localPort = grown(this.#localPort, new Uint16Array(size));
    this.#remotePort = grown(this.#remotePort, new Int32Array(size));
    this.#inode = grown(this.#inode, new Uint32Array(size));
  }
}
