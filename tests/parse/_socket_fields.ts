import type { Socket } from "../../lib/model/connection.ts";

/**
 * What every reading of the kernel's tables gives a socket of its own, to compare two readings of the same
 * sockets: family, both ends, status, user and inode (a socket without inode has no user from the dump's reader).
 */
export function socketFields(s: Socket): unknown[] {
  return [
    s.family,
    s.local_ip,
    s.local_port,
    s.remote_ip,
    s.remote_port,
    s.status,
    s.inode ? s.user : null,
    s.inode,
  ];
}
