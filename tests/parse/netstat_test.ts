import { deepStrictEqual, throws } from "node:assert/strict";
import { parseNetstat } from "../../lib/parse/netstat.ts";
import { fixture } from "../fixture.ts";

Deno.test("parseNetstat() reads Linux net-tools -tunap with PID/Program", () => {
  const { sockets, skipped } = parseNetstat(fixture("netstat-tunap_net-tools-2.10.txt"));
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 11);
  const udp = sockets.find((s) => s.protocol === "UDP");
  deepStrictEqual([udp?.status, udp?.remote_port, udp?.pid, udp?.process_name], [
    "CONNECTED",
    47125,
    11541,
    "python3",
  ]);
  const v6 = sockets.find((s) => s.family === 6 && s.status === "LISTEN");
  deepStrictEqual([v6?.local_ip, v6?.remote_ip], ["::1", null]);
});

Deno.test("parseNetstat() reads conntrail's -tunapeW with User and Inode, and UDP rows without state", () => {
  const { sockets, skipped } = parseNetstat(fixture("netstat-tunapeW_net-tools-2.10_debian12.txt"));
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 11);
  const unconnected = sockets.find((s) => s.status === "UNCONNECTED");
  deepStrictEqual([unconnected?.user, unconnected?.inode, unconnected?.pid], ["0", 7218, 3100]);
  deepStrictEqual(sockets.find((s) => s.local_port === 34842)?.status, "FIN_WAIT_2");
});

Deno.test("parseNetstat() reads macOS 26 process:pid owners with spaces in names", () => {
  const { sockets, skipped } = parseNetstat(fixture("netstat-anv-p-tcp_macos26.txt"));
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 9);
  const helper = sockets.find((s) => s.local_port === 62243);
  deepStrictEqual([helper?.process_name, helper?.pid], ["Code Helper (Plu", 17120]);
  const dual = sockets.find((s) => s.local_port === 48123);
  deepStrictEqual([dual?.local_ip, dual?.family], ["::", 6]);
  const scoped = sockets.find((s) => s.local_port === 48126);
  deepStrictEqual(scoped?.local_ip, "fe80::1");
  deepStrictEqual(sockets.find((s) => s.status === "TIME_WAIT")?.remote_port, 64546);
});

Deno.test("parseNetstat() reads the macOS 12-15 pid/epid layout; pid 0 is no owner", () => {
  const { sockets } = parseNetstat(fixture("netstat-anv-p-tcp_macos12-15.txt"));
  deepStrictEqual(sockets.map((s) => s.pid), [18432, 18432, null, 18500, 999]);
});

Deno.test("parseNetstat() skips macOS -An rows whose addresses fill the column and the UNIX sections", () => {
  const { sockets, skipped } = parseNetstat(fixture("netstat-An_macos10.14.txt"));
  const truncated = skipped.filter((s) => s.reason.includes("truncated"));
  deepStrictEqual(truncated.length, 47);
  deepStrictEqual(skipped.length, 48); // the 47 cut rows and one icm4 row; the UNIX and kernel sections are not rows
  deepStrictEqual(sockets.length, 90);
  deepStrictEqual(
    sockets.some((s) => s.local_ip.includes("2600:1700:bab0:d") && s.local_ip.length < 20),
    false,
  );
  const unbound = sockets.find((s) => s.protocol === "UDP" && s.local_port === 0);
  deepStrictEqual(unbound?.status, "UNCONNECTED");
});

Deno.test("parseNetstat() reads Windows -ano with CRLF and UDP rows without state", () => {
  const { sockets, skipped } = parseNetstat(fixture("netstat-ano_windows10.txt"));
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 208);
  const udp = sockets.find((s) => s.protocol === "UDP" && s.local_port === 53);
  deepStrictEqual([udp?.status, udp?.remote_ip, udp?.pid], ["UNCONNECTED", null, 4808]);
  const listen = sockets.find((s) => s.local_port === 135 && s.family === 6);
  deepStrictEqual([listen?.local_ip, listen?.status, listen?.remote_ip], ["::", "LISTEN", null]);
  const scoped = sockets.find((s) => s.local_ip.startsWith("fe80::244e"));
  deepStrictEqual(scoped?.local_port, 1900);
});

Deno.test("parseNetstat() reads Windows -an without a PID column and counts its junk line", () => {
  const { sockets, skipped } = parseNetstat(fixture("netstat-an_windows10.txt"));
  deepStrictEqual(sockets.length, 259);
  deepStrictEqual(sockets.every((s) => s.pid === null), true);
  deepStrictEqual(skipped.length, 1);
  deepStrictEqual(skipped[0]?.line.includes("asda"), true);
});

Deno.test("parseNetstat() throws SyntaxError on text that is not netstat output", () => {
  throws(() => parseNetstat("lorem ipsum\ndolor sit amet\n"), SyntaxError);
});
