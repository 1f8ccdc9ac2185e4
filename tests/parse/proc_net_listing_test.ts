import { deepStrictEqual, ok } from "node:assert/strict";
import { parseProcNetListing, ProcNetListingReader } from "../../lib/parse/proc_net_listing.ts";
import { ProcTcpRows } from "../../lib/parse/proc_net_tcp.ts";
import { InetDiagReader } from "../../lib/parse/inet_diag.ts";
import { parseSs, SsLineMemory } from "../../lib/parse/ss.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { fixture } from "../fixture.ts";
import { socketFields } from "./_socket_fields.ts";

/** The fields both readings give UDP sockets, by inode. */
function udpFields(sockets: readonly Socket[]): unknown[] {
  return [...sockets].sort((a, b) => (a.inode ?? 0) - (b.inode ?? 0)).map(socketFields);
}

Deno.test("parseProcNetListing() reads a real cat of sockstat, sockstat6, udp, udp6 as ss -uaneH listed the same sockets", () => {
  const { summary, udp, tables } = parseProcNetListing(fixture("cat-proc-net-sockstat-udp_debian12.txt"));
  const ss = parseSs(fixture("ss-uaneH_iproute2-6.1_debian12_same-sockets.txt"), { protocol: "UDP" });
  deepStrictEqual([udp.skipped, ss.skipped, tables], [[], [], 2]);
  deepStrictEqual(summary, { ipv4: 0, ipv6: 0, timeWait: 0 });
  // Rows from hash slot 10,000 on start with their number (`%5d:`), no space before it.
  ok(/^\d{5}: /m.test(fixture("cat-proc-net-sockstat-udp_debian12.txt")));
  deepStrictEqual(udp.sockets.length, 7);
  // The one difference: ss prints an IPv6 socket on [::] that takes IPv4 too (`v6only:0`) as `*:5355`, read as
  // 0.0.0.0; /proc/net/udp6 lists it as what it is (the TCP dump reads such a listener so too).
  const dualStack = (s: Socket) => s.local_port === 5355;
  deepStrictEqual(
    udpFields(udp.sockets.filter((s) => !dualStack(s))),
    udpFields(ss.sockets.filter((s) => !dualStack(s))),
  );
  deepStrictEqual(udpFields(udp.sockets.filter(dualStack)).map((f) => (f as unknown[]).slice(0, 2)), [[
    6,
    "::",
  ]]);
  deepStrictEqual(udpFields(ss.sockets.filter(dualStack)).map((f) => (f as unknown[]).slice(0, 2)), [[
    4,
    "0.0.0.0",
  ]]);
  deepStrictEqual(udp.sockets.find((s) => s.local_port === 5300)?.user, "65534");
});

Deno.test("parseProcNetListing() reads the TCP counts as ss -s prints them, IPv6 off as 0, and no TCP line as no summary", () => {
  const head = "sockets: used 30\nTCP: inuse 12 orphan 1 tw 4 alloc 40 mem 3\nUDP: inuse 0 mem 0\n";
  deepStrictEqual(parseProcNetListing(`${head}TCP6: inuse 7\n${UDP_HEAD}\n`).summary, {
    ipv4: 12,
    ipv6: 7,
    timeWait: 4,
  });
  deepStrictEqual(parseProcNetListing(`${head}${UDP_HEAD}\n`).summary, { ipv4: 12, ipv6: 0, timeWait: 4 });
  const { summary, tables } = parseProcNetListing(`UDP: inuse 0 mem 0\n${UDP_HEAD}\n`);
  deepStrictEqual([summary, tables], [null, 1]);
});

Deno.test("parseProcNetListing() skips a line that is no row, count or head, and counts it", () => {
  const { udp } = parseProcNetListing(`${UDP_HEAD}\n\x1b[31mred\n 1: nonsense\n${udpRow(5000, 9)}\n`);
  deepStrictEqual(udp.sockets.map((s) => s.inode), [9]);
  deepStrictEqual(udp.skipped.map((s) => s.reason), ["not a /proc/net row", "not a /proc/net socket row"]);
});

Deno.test("parseProcNetListing() with a memory gives an unchanged row's socket back, its queues changed or not, and forgets a row gone", () => {
  const memory = new SsLineMemory();
  const [first] = parseProcNetListing(`${UDP_HEAD}\n${udpRow(5000, 9)}\n`, { memory }).udp.sockets;
  first!.process_name = "dnsmasq";
  const queued = udpRow(5000, 9).replace("00000000:00000000", "00000000:00000340");
  const [again] = parseProcNetListing(`${UDP_HEAD}\n${queued}\n`, { memory }).udp.sockets;
  deepStrictEqual([again === first, again?.process_name, again?.user], [true, null, "0"]);
  const [reopened] = parseProcNetListing(`${UDP_HEAD}\n${udpRow(5000, 10)}\n`, { memory }).udp.sockets;
  deepStrictEqual([reopened === first, reopened?.inode, memory.size], [false, 10, 1]);
});

/** The head of /proc/net/udp. */
const UDP_HEAD =
  "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout " +
  "inode ref pointer drops";

/** A /proc/net/udp row: 127.0.0.1:`port`, unconnected, uid 0, `inode`. */
function udpRow(port: number, inode: number): string {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return `  541: 0100007F:${hexPort} 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 ` +
    `${inode} 2 0000000000000000 0`;
}

Deno.test("ProcNetListingReader reads the text in chunks of any size as whole, TCP's rows after UDP's", () => {
  const tcp = fixture("proc-net-tcp_debian12.txt");
  const text = `${fixture("cat-proc-net-sockstat-udp_debian12.txt")}${tcp}${
    fixture("proc-net-tcp6_debian12.txt")
  }`;
  const read = (size: number) => {
    const rows = new ProcTcpRows();
    const reader = new ProcNetListingReader({ tcp: rows });
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length; at += size) reader.push(bytes.slice(at, at + size));
    const listing = reader.end();
    const dump = new InetDiagReader();
    rows.readBy(dump);
    const tcpSockets = dump.end().sockets.map((s) => [s.family, s.local_ip, s.local_port, s.status, s.inode]);
    return { ...listing, udp: udpFields(listing.udp.sockets), skipped: listing.udp.skipped, tcpSockets };
  };
  const whole = read(text.length);
  deepStrictEqual([whole.tables, whole.tcpTables, whole.skipped, whole.udp.length], [2, 2, [], 7]);
  deepStrictEqual(whole.tcpSockets.length, 10); // 7 rows of tcp, 3 of tcp6
  for (const size of [1, 7, 64, 4096]) deepStrictEqual(read(size), whole, `chunks of ${size}`);
});

Deno.test("ProcNetListingReader reads a line of spaces that a chunk ends inside as it reads it whole: no line", () => {
  // The line kept from the chunk before is shorter than the row kept before it (whose digits follow it there).
  const text = `TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\n${UDP_HEAD}\n${udpRow(5000, 9)}\n   \n`;
  const bytes = new TextEncoder().encode(text);
  const rowEnd = text.indexOf("\n   \n");
  const reader = new ProcNetListingReader();
  reader.push(bytes.slice(0, rowEnd - 20));
  reader.push(bytes.slice(rowEnd - 20, rowEnd + 4));
  reader.push(bytes.slice(rowEnd + 4));
  const chunked = reader.end().udp;
  const whole = parseProcNetListing(text).udp;
  deepStrictEqual([chunked.skipped, chunked.sockets.map((s) => s.inode)], [[], [9]]);
  deepStrictEqual(chunked, whole);
});
