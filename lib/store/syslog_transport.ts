/**
 * Connections to syslog receivers, TCP, TLS and UDP, on the platform's network.
 *
 * @module
 */
import type { Network, StreamConnection } from "../platform/platform.ts";
import type { SyslogTarget } from "../parse/syslog_url.ts";

/** One open connection to a receiver. */
export interface SyslogConnection {
  /** Write framed messages; rejects once the connection is broken. */
  write(bytes: Uint8Array): Promise<void>;
  /** Why the connection ended (the receiver closed it, an error), or null while it is up. */
  readonly broken: string | null;
  /** Resolves with that reason as soon as the connection ends, even when nothing is being written. */
  readonly ended: Promise<string>;
  close(): void;
}

/** Opens connections; tests pass their own. */
export type SyslogConnector = (target: SyslogTarget) => Promise<SyslogConnection>;

/** How to open connections: a CA for TLS receivers with a private certificate authority. */
export interface SyslogConnectOptions {
  /** PEM certificates to trust besides the system's, for `tls://`. */
  caCerts?: string[];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function connectStream(
  network: Network,
  target: SyslogTarget,
  options: SyslogConnectOptions,
): Promise<SyslogConnection> {
  // TLS: the handshake is done before this returns (a bad certificate fails here); TCP has keep-alive on.
  const conn: StreamConnection = target.transport === "tls"
    ? await network.connectTls({
      hostname: target.host,
      port: target.port,
      ...(options.caCerts === undefined ? {} : { caCerts: options.caCerts }),
    })
    : await network.connect({ hostname: target.host, port: target.port });
  let broken: string | null = null;
  // A receiver says nothing back; reading only tells when it closed the connection, so nothing more is
  // written into a socket the other end has left.
  const ended = (async () => {
    const buffer = new Uint8Array(512);
    try {
      while ((await conn.read(buffer)) !== null) { /* receivers send nothing worth reading */ }
      broken ??= "the receiver closed the connection";
    } catch (error) {
      broken ??= message(error);
    }
    return broken;
  })();
  return {
    ended,
    async write(bytes) {
      if (broken !== null) throw new Error(broken);
      try {
        let written = 0;
        while (written < bytes.length) written += await conn.write(bytes.subarray(written));
      } catch (error) {
        broken ??= message(error);
        throw error;
      }
    },
    get broken() {
      return broken;
    },
    close() {
      broken ??= "closed";
      try {
        conn.close();
      } catch {
        // Already closed by the other end.
      }
    },
  };
}

async function connectDatagram(network: Network, target: SyslogTarget): Promise<SyslogConnection> {
  const socket = await network.openDatagram({ hostname: target.host, port: target.port });
  let broken: string | null = null;
  let end = (_reason: string) => {};
  const ended = new Promise<string>((resolve) => (end = resolve));
  socket.onError((error) => end(broken ??= message(error)));
  return {
    ended,
    write(bytes) {
      if (broken !== null) return Promise.reject(new Error(broken));
      return socket.send(bytes).catch((error) => {
        end(broken ??= message(error));
        throw error;
      });
    },
    get broken() {
      return broken;
    },
    close() {
      end(broken ??= "closed");
      try {
        socket.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/**
 * The connector on this network: a TCP connection for `tcp://`, a TLS one
 * (with the handshake done, so a bad certificate fails here) for `tls://`, a
 * bound UDP socket for `udp://`.
 */
export function syslogConnector(network: Network, options: SyslogConnectOptions = {}): SyslogConnector {
  return (target) =>
    target.transport === "udp" ? connectDatagram(network, target) : connectStream(network, target, options);
}
