import { deepStrictEqual, ok, throws } from "node:assert/strict";
import ipaddr from "ipaddr.js";
import type { Socket } from "../../lib/model/connection.ts";
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

Deno.test("parseNetstat() skips macOS -An rows whose local port netstat cut, and the UNIX sections", () => {
  const { sockets, skipped, notes } = parseNetstat(fixture("netstat-An_macos10.14.txt"));
  const cut = skipped.filter((s) => s.reason.includes("cut the local port"));
  deepStrictEqual(cut.length, 47);
  deepStrictEqual(skipped.length, 48); // the 47 cut rows and one icm4 row; the UNIX and kernel sections are not rows
  deepStrictEqual(sockets.length, 90);
  deepStrictEqual(
    sockets.some((s) => s.local_ip.includes("2600:1700:bab0:d") && s.local_ip.length < 20),
    false,
  );
  deepStrictEqual(notes, []);
  const unbound = sockets.find((s) => s.protocol === "UDP" && s.local_port === 0);
  deepStrictEqual(unbound?.status, "UNCONNECTED");
});

/** Every address is a whole one or visibly cut: none is a cut one passed off as valid. */
function assertNoCutAddressLooksValid(sockets: Socket[], cutParts: string[]): void {
  for (const s of sockets) {
    for (const ip of [s.local_ip, s.remote_ip]) {
      if (ip === null) continue;
      if (ip.endsWith("\u2026")) {
        ok(cutParts.includes(ip.slice(0, -1)), `${ip} is marked cut but was printed whole`);
        deepStrictEqual(ipaddr.isValid(ip), false);
      } else {
        ok(ipaddr.isValid(ip), `${ip} is neither an address nor marked cut`);
        ok(!cutParts.includes(ip), `${ip} was cut by netstat and is shown as an address`);
      }
    }
  }
}

Deno.test("parseNetstat() keeps macOS rows whose IPv6 addresses netstat cut, marking the cut address, in TCP and UDP rows", () => {
  // A real Mac OS X `netstat -an`: "fe80::21e:52ff:f" is a valid IPv6 address, and a cut one.
  const { sockets, skipped, notes } = parseNetstat(fixture("netstat-an_macos10.5_cut-ipv6.txt"));
  deepStrictEqual(skipped.map((s) => s.reason), ["not a netstat TCP/UDP row"]); // icm6
  deepStrictEqual(sockets.length, 27);
  assertNoCutAddressLooksValid(sockets, ["fe80::21e:52ff:f", "fe80::21f:f3ff:f"]);
  const tcp = sockets.find((s) => s.local_port === 50133);
  deepStrictEqual(
    [tcp?.protocol, tcp?.family, tcp?.local_ip, tcp?.remote_ip, tcp?.remote_port, tcp?.status],
    ["TCP", 6, "fe80::21e:52ff:f\u2026", "fe80::21f:f3ff:f\u2026", 5009, "ESTABLISHED"],
  );
  const udp = sockets.find((s) =>
    s.protocol === "UDP" && s.local_port === 123 && s.family === 6 && s.local_ip !== "::"
  );
  deepStrictEqual([udp?.local_ip, udp?.remote_ip, udp?.status], [
    "fe80::21e:52ff:f\u2026",
    null,
    "UNCONNECTED",
  ]);
  // Short addresses are whole: a scoped link-local one keeps its address.
  ok(sockets.some((s) => s.local_ip === "fe80::1" && s.local_port === 88));
  deepStrictEqual(notes, [
    'netstat cut 6 IPv6 addresses to fit its column; they are shown as printed, ending in "\u2026" ' +
    "(macOS: netstat -anvl prints them whole)",
  ]);
});

Deno.test("parseNetstat() keeps the process of a macOS 26 row whose IPv6 peer netstat cut", () => {
  const { sockets, skipped } = parseNetstat(fixture("netstat-anv_macos26_cut-ipv6_handwritten.txt"));
  deepStrictEqual(skipped, []);
  assertNoCutAddressLooksValid(sockets, [
    "2a02:8109:b6bf:1",
    "2a00:1450:4001:8",
    "2606:4700::6812:",
    "fe80::a1b2:3cff:",
  ]);
  const browser = sockets.find((s) => s.local_port === 49822);
  deepStrictEqual(
    [browser?.pid, browser?.process_name, browser?.remote_ip, browser?.remote_port, browser?.status],
    [2417, "Google Chrome H", "2a00:1450:4001:8\u2026", 443, "ESTABLISHED"],
  );
  const mdns = sockets.find((s) => s.protocol === "UDP" && s.family === 6);
  deepStrictEqual([mdns?.local_ip, mdns?.local_port, mdns?.process_name], [
    "fe80::a1b2:3cff:\u2026",
    5353,
    "mDNSResponder",
  ]);
  deepStrictEqual(sockets.find((s) => s.local_port === 49830)?.remote_ip, "140.82.121.4");
});

Deno.test("parseNetstat() takes macOS netstat -l output's whole IPv6 addresses as they are", () => {
  const header =
    "Proto Recv-Q Send-Q  Local Address                                 Foreign Address                               (state)\n";
  const row = (local: string, remote: string) =>
    `tcp6       0      0  ${local.padEnd(45)} ${remote.padEnd(45)} ESTABLISHED\n`;
  const { sockets, notes } = parseNetstat(
    header + row("2a02:8109:b6bf:1e00:5d1c:9a2e:7b31:c4a8.49822", "2a00:1450:4001:81c::200e.443") +
      row("2001:db8:85a3::1.50000", "2001:db8:85a3::2.443"),
  );
  deepStrictEqual(sockets.map((s) => [s.local_ip, s.remote_ip]), [
    ["2a02:8109:b6bf:1e00:5d1c:9a2e:7b31:c4a8", "2a00:1450:4001:81c::200e"],
    ["2001:db8:85a3::1", "2001:db8:85a3::2"],
  ]);
  deepStrictEqual(notes, []);
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

Deno.test("parseNetstat() with traffic reads macOS 26 rxbytes/txbytes for TCP, null where netstat has none", () => {
  const mac26 = parseNetstat(fixture("netstat-anv-p-tcp_macos26.txt"), { traffic: true }).sockets;
  const timeWait = mac26.find((s) => s.status === "TIME_WAIT");
  deepStrictEqual([timeWait?.bytes_sent, timeWait?.bytes_received], [0, 52]);
  deepStrictEqual(
    mac26.filter((s) => s.status === "ESTABLISHED").map((s) => [s.bytes_sent, s.bytes_received]),
    [[0, 0], [0, 0]],
  );
  deepStrictEqual(mac26.filter((s) => s.status === "LISTEN").every((s) => s.bytes_sent === null), true);
  const mac15 = parseNetstat(fixture("netstat-anv-p-tcp_macos12-15.txt"), { traffic: true }).sockets;
  deepStrictEqual(mac15.every((s) => s.bytes_sent === null && s.bytes_received === null), true);
  const windows = parseNetstat(fixture("netstat-ano_windows10.txt"), { traffic: true }).sockets;
  deepStrictEqual(windows.every((s) => s.bytes_sent === null && s.bytes_received === null), true);
  const plain = parseNetstat(fixture("netstat-anv-p-tcp_macos26.txt")).sockets;
  deepStrictEqual(plain.some((s) => "bytes_sent" in s), false);
});
