import type { Connection } from "./connection.ts";

/**
 * The identity of a connection across polls: protocol and both endpoints. The
 * status is not part of it (a change is a `STATE` event), nor the process (a
 * TIME_WAIT socket has none).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { connectionKey } from "./connection_key.ts";
 * deepStrictEqual(connectionKey({ protocol: "TCP", local_ip: "127.0.0.1", local_port: 5000,
 *   remote_ip: "127.0.0.1", remote_port: 80 }), "TCP 127.0.0.1 5000 127.0.0.1 80");
 * ```
 */
export function connectionKey(
  c: Pick<Connection, "protocol" | "local_ip" | "local_port" | "remote_ip" | "remote_port">,
): string {
  return `${c.protocol} ${c.local_ip} ${c.local_port} ${c.remote_ip ?? "*"} ${c.remote_port ?? "*"}`;
}
