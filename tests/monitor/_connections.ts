import type { Connection } from "../../lib/model/connection.ts";

/** A connection for monitor tests: an outgoing TCP connection unless overridden. */
export function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    timestamp: "2026-11-21T14:30:00.000+00:00",
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: 50000,
    remote_ip: "203.0.113.7",
    remote_port: 443,
    status: "ESTABLISHED",
    direction: "outgoing",
    pid: 4211,
    process_name: "firefox",
    process_path: "/usr/lib/firefox/firefox",
    user: "ana",
    ...overrides,
  };
}

/** A listening socket for monitor tests. */
export function listener(port: number, overrides: Partial<Connection> = {}): Connection {
  return connection({
    local_ip: "0.0.0.0",
    local_port: port,
    remote_ip: null,
    remote_port: null,
    status: "LISTEN",
    direction: "listening",
    process_name: "sshd",
    pid: 812,
    process_path: "/usr/sbin/sshd",
    ...overrides,
  });
}

/** Time `seconds` after 14:30:00 local time on 2026-11-21. */
export function at(seconds: number): Date {
  return new Date(2026, 10, 21, 14, 30, seconds);
}
