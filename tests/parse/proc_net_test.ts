import { deepStrictEqual } from "node:assert/strict";
import { parseProcNet } from "../../lib/parse/proc_net.ts";
import { fixture } from "../fixture.ts";

Deno.test("parseProcNet() decodes little-endian IPv4 rows of a real /proc/net/tcp", () => {
  const { sockets, skipped } = parseProcNet(fixture("proc-net-tcp_debian12.txt"), {
    protocol: "TCP",
    family: 4,
  });
  deepStrictEqual(skipped, []);
  const listener = sockets.find((s) => s.local_port === 39215 && s.status === "LISTEN");
  deepStrictEqual([listener?.local_ip, listener?.remote_ip, listener?.inode], ["127.0.0.1", null, 7209]);
  deepStrictEqual(sockets.find((s) => s.local_port === 34842)?.status, "FIN_WAIT_2");
  deepStrictEqual(
    sockets.find((s) => s.local_port === 40653 && s.remote_port === 34842)?.status,
    "CLOSE_WAIT",
  );
});

Deno.test("parseProcNet() decodes IPv6 rows of a real /proc/net/tcp6", () => {
  const { sockets } = parseProcNet(fixture("proc-net-tcp6_debian12.txt"), { protocol: "TCP", family: 6 });
  deepStrictEqual(sockets.length, 3);
  deepStrictEqual(sockets.every((s) => s.local_ip === "::1"), true);
  deepStrictEqual(sockets.filter((s) => s.remote_ip === "::1").length, 2);
});

Deno.test("parseProcNet() reads IPv4-mapped IPv6 as IPv4, UDP states, and skips junk", () => {
  const mapped = "   0: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000200000A:1388 01 " +
    "00000000:00000000 00:00000000 00000000  1000        0 4242 1";
  const { sockets, skipped } = parseProcNet(`${mapped}\nnonsense\n`, { protocol: "UDP", family: 6 });
  deepStrictEqual([sockets[0]?.family, sockets[0]?.local_ip, sockets[0]?.remote_ip], [
    4,
    "127.0.0.1",
    "10.0.0.2",
  ]);
  deepStrictEqual([sockets[0]?.status, sockets[0]?.user], ["CONNECTED", "1000"]);
  deepStrictEqual(skipped.length, 1);
});
