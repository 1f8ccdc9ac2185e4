import { deepStrictEqual } from "node:assert/strict";
import type { Connection, Socket } from "../../lib/model/connection.ts";
import { ConnectionMemory } from "../../lib/model/connection_memory.ts";
import { toConnections, toConnectionsInPlace } from "../../lib/model/direction.ts";

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

Deno.test("toConnections() with a memory gives a connection again only while everything a socket says is unchanged", () => {
  const memory = new ConnectionMemory();
  const dialled: Socket = {
    ...base,
    local_port: 40000,
    remote_ip: "198.51.100.7",
    remote_port: 443,
    status: "ESTABLISHED",
    pid: 7,
    process_name: "curl",
    inode: 11,
    bytes_sent: 10,
    bytes_received: 20,
  };
  const timeWait: Socket = { ...dialled, local_port: 40001, status: "TIME_WAIT", inode: 0, pid: null };
  const poll = (sockets: Socket[], second: number) =>
    toConnections(sockets, `2026-11-21T10:00:0${second}.000+00:00`, memory);
  const [first, lingering] = poll([dialled, timeWait], 0);
  const [again, lingeringAgain] = poll([{ ...dialled }, timeWait], 1);
  deepStrictEqual([again === first, lingeringAgain === lingering, again?.timestamp], [
    true,
    false,
    "2026-11-21T10:00:00.000+00:00",
  ]);
  const changes: Partial<Socket>[] = [
    { bytes_sent: 11 },
    { bytes_received: 21 },
    { pid: 8 },
    { process_name: "wget" },
    { process_path: "/usr/bin/curl" },
    { user: "ana" },
    { status: "CLOSE_WAIT" },
  ];
  let previous = again;
  changes.forEach((change, i) => {
    const [changed] = poll([{ ...dialled, ...change }], i + 2);
    deepStrictEqual([changed === previous, changed?.timestamp], [
      false,
      `2026-11-21T10:00:0${i + 2}.000+00:00`,
    ]);
    previous = changed;
  });
  // A listener appearing on its port turns the connection incoming: a new connection too.
  const [incoming] = poll([{ ...dialled, ...changes.at(-1) }, { ...base, local_port: 40000, inode: 12 }], 9);
  deepStrictEqual([incoming === previous, incoming?.direction], [false, "incoming"]);
  poll([], 9);
  deepStrictEqual(memory.size, 0);
});

Deno.test("toConnectionsInPlace() makes each socket the connection toConnections() copies, its inode aside", () => {
  const sockets: Socket[] = [
    { ...base, local_ip: "0.0.0.0", local_port: 22, inode: 1 },
    { ...base, local_port: 22, remote_ip: "10.0.0.9", remote_port: 51000, status: "ESTABLISHED", inode: 2 },
    { ...base, local_port: 51000, remote_ip: "10.0.0.9", remote_port: 22, status: "ESTABLISHED", pid: 7 },
    { ...base, protocol: "UDP", local_port: 443, status: "UNCONNECTED", process_name: "dnsd", user: "0" },
    { ...base, local_port: 443, remote_ip: "1.1.1.1", remote_port: 5000, status: "ESTABLISHED" },
    { ...base, family: 6, local_ip: "::", local_port: 8080 },
    { ...base, local_port: 8080, remote_ip: "1.1.1.1", remote_port: 5001, status: "ESTABLISHED" },
    {
      ...base,
      local_ip: "0.0.0.0",
      local_port: 22,
      remote_ip: "10.0.0.9",
      remote_port: 9,
      status: "ESTABLISHED",
    },
    { ...base, status: "CLOSE" },
    {
      ...base,
      local_port: 80,
      remote_ip: "10.0.0.9",
      remote_port: 1,
      status: "ESTABLISHED",
      bytes_sent: 5,
      bytes_received: null,
    },
  ];
  const copies = toConnections(sockets.map((s) => ({ ...s })), "2026-12-03T10:00:00.000+00:00");
  const inPlace = toConnectionsInPlace(sockets, "2026-12-03T10:00:00.000+00:00");
  deepStrictEqual(inPlace.every((c, i) => c === (sockets[i] as unknown)), true);
  deepStrictEqual(
    inPlace.map((c) => {
      const { inode: _, ...rest } = c as Connection & { inode?: number | null };
      return rest;
    }),
    copies,
  );
  deepStrictEqual(
    inPlace.map((c) => c.direction),
    [
      "listening",
      "incoming",
      "outgoing",
      "listening",
      "outgoing",
      "listening",
      "incoming",
      "outgoing",
      "unknown",
      "outgoing",
    ],
  );
});

Deno.test("toConnections() with a memory makes connections a reader cannot tell from plain ones: the same fields in the same order, with and without counters", () => {
  const sockets: Socket[] = [
    { ...base, local_port: 80, inode: 11 },
    {
      ...base,
      local_port: 5000,
      remote_ip: "203.0.113.9",
      remote_port: 443,
      status: "ESTABLISHED",
      inode: 12,
    },
    {
      ...base,
      local_port: 5001,
      remote_ip: "203.0.113.9",
      remote_port: 443,
      status: "ESTABLISHED",
      inode: 13,
      bytes_sent: 10,
      bytes_received: 20,
    },
  ];
  const at = "2026-12-03T10:00:00.000+00:00";
  const remembered = toConnections(sockets, at, new ConnectionMemory());
  const plain = toConnections(sockets, at);
  // JSON keeps the order of the fields (deepStrictEqual does not look at it), as the NDJSON and exports write them.
  deepStrictEqual(remembered.map((c) => JSON.stringify(c)), plain.map((c) => JSON.stringify(c)));
  deepStrictEqual(remembered.map((c) => JSON.stringify({ ...c })), plain.map((c) => JSON.stringify(c)));
  deepStrictEqual(remembered.map((c) => Object.keys(c).join()), plain.map((c) => Object.keys(c).join()));
});
