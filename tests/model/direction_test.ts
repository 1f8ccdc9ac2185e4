import { deepStrictEqual } from "node:assert/strict";
import type { Socket } from "../../lib/model/connection.ts";
import { toConnections } from "../../lib/model/direction.ts";

const base: Socket = {
  protocol: "TCP",
  family: 4,
  local_ip: "10.0.0.5",
  local_port: 0,
  remote_ip: null,
  remote_port: null,
  status: "LISTEN",
  pid: null,
  process_name: null,
  process_path: null,
  user: null,
  inode: null,
};

Deno.test("toConnections() calls a connection on a wildcard listener's port incoming", () => {
  const directions = toConnections([
    { ...base, local_ip: "0.0.0.0", local_port: 22 },
    { ...base, local_port: 22, remote_ip: "10.0.0.9", remote_port: 51000, status: "ESTABLISHED" },
    { ...base, local_port: 51000, remote_ip: "10.0.0.9", remote_port: 22, status: "ESTABLISHED" },
  ], "t").map((c) => c.direction);
  deepStrictEqual(directions, ["listening", "incoming", "outgoing"]);
});

Deno.test("toConnections() does not match a UDP listener to a TCP port, and a dual-stack [::] listener takes IPv4", () => {
  const directions = toConnections([
    { ...base, protocol: "UDP", local_port: 443, status: "UNCONNECTED" },
    { ...base, local_port: 443, remote_ip: "1.1.1.1", remote_port: 5000, status: "ESTABLISHED" },
    { ...base, family: 6, local_ip: "::", local_port: 8080 },
    { ...base, local_port: 8080, remote_ip: "1.1.1.1", remote_port: 5001, status: "ESTABLISHED" },
  ], "t").map((c) => c.direction);
  deepStrictEqual(directions, ["listening", "outgoing", "listening", "incoming"]);
});

Deno.test("toConnections() calls a socket with neither peer nor listener unknown, and stamps the time", () => {
  const [closed] = toConnections([{ ...base, status: "CLOSE" }], "2026-11-21T10:00:00.000+00:00");
  deepStrictEqual([closed?.direction, closed?.timestamp], ["unknown", "2026-11-21T10:00:00.000+00:00"]);
  deepStrictEqual(Object.hasOwn(closed ?? {}, "inode"), false);
});
