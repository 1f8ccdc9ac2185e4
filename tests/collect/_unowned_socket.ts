/** Sockets a reading listed without their process, for the tests of the owner book, walks and held sockets. */
import type { Socket } from "../../lib/model/connection.ts";

/**
 * An established TCP socket from 10.0.0.2, local port 40,000 + `inode`, to 10.0.0.9:443, its process not known
 * (`overrides` change any field).
 */
export function unownedSocket(inode: number, overrides: Partial<Socket> = {}): Socket {
  return {
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: 40_000 + inode,
    remote_ip: "10.0.0.9",
    remote_port: 443,
    status: "ESTABLISHED",
    pid: null,
    process_name: null,
    process_path: null,
    user: null,
    inode,
    ...overrides,
  };
}
