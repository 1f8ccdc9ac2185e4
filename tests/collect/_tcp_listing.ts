/** TCP sockets for the tests of the sparse-counters switch: one host's connections, live and in TIME_WAIT. */
import type { Socket } from "../../lib/model/connection.ts";

/** A TCP socket of curl's from local `port` to 203.0.113.7:443. */
export function tcp(port: number, status = "ESTABLISHED"): Socket {
  return {
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: port,
    remote_ip: "203.0.113.7",
    remote_port: 443,
    status,
    pid: 1,
    process_name: "curl",
    process_path: null,
    user: null,
    inode: null,
  };
}

/** `open` live TCP sockets and `timeWait` in TIME_WAIT. */
export function listing(open: number, timeWait = 0): Socket[] {
  return [
    ...Array.from({ length: open }, (_, i) => tcp(10_000 + i)),
    ...Array.from({ length: timeWait }, (_, i) => tcp(30_000 + i, "TIME_WAIT")),
  ];
}
