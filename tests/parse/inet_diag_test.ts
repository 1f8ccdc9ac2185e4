import { deepStrictEqual, throws } from "node:assert/strict";
import { InetDiagMemory, parseInetDiagDump } from "../../lib/parse/inet_diag.ts";
import { parseSs } from "../../lib/parse/ss.ts";
import { fixture } from "../fixture.ts";

const DUMP = Deno.readFileSync(new URL("../fixtures/ss-taiD_iproute2-6.1_debian12.bin", import.meta.url));

Deno.test("parseInetDiagDump() reads what the text of ss -tapeiOH says about the same sockets, counters included", () => {
  const dump = parseInetDiagDump(DUMP, { traffic: true });
  deepStrictEqual(dump.skipped, []);
  deepStrictEqual(dump.sockets.length, 11);
  // The text capture was taken at the same moment; its one TIME-WAIT of another program's port is left out.
  const text = parseSs(fixture("ss-tapeiOH_iproute2-6.1_debian12.txt"), { traffic: true }).sockets
    .filter((s) => [s.local_port, s.remote_port].some((p) => p === 60833 || p === 39121))
    .map((s) => ({ ...s, pid: null, process_name: null }));
  const key = (s: { local_port: number; remote_port: number | null; family: number }) =>
    `${s.family} ${s.local_port} ${s.remote_port}`;
  const sorted = <T extends { local_port: number; remote_port: number | null; family: number }>(list: T[]) =>
    [...list].sort((a, b) => key(a).localeCompare(key(b)));
  deepStrictEqual(sorted(dump.sockets), sorted(text));
  const client = dump.sockets.find((s) => s.local_port === 58058);
  deepStrictEqual([client?.status, client?.bytes_sent, client?.bytes_received], [
    "ESTABLISHED",
    1_014_875,
    5_000,
  ]);
  deepStrictEqual(dump.sockets.filter((s) => s.status === "TIME_WAIT").map((s) => [s.user, s.bytes_sent]), [[
    null,
    null,
  ]]);
});

Deno.test("parseInetDiagDump() without traffic adds no counter fields", () => {
  const { sockets } = parseInetDiagDump(DUMP);
  deepStrictEqual(sockets.some((s) => "bytes_sent" in s), false);
});

/** One ESTABLISHED IPv4 socket whose tcp_info is `infoLength` bytes, counters set, then NLMSG_DONE. */
function dumpWithInfo(infoLength: number): Uint8Array {
  const messageLength = 16 + 72 + 4 + infoLength;
  const aligned = (messageLength + 3) & ~3;
  const bytes = new Uint8Array(aligned + 16);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, messageLength, true);
  view.setUint16(4, 20, true);
  bytes.set([2, 1], 16);
  view.setUint16(20, 40000);
  view.setUint16(22, 443);
  bytes.set([10, 0, 0, 2], 24);
  bytes.set([198, 51, 100, 7], 40);
  view.setUint32(80, 1000, true); // uid
  view.setUint32(84, 77, true); // inode
  view.setUint16(88, 4 + infoLength, true);
  view.setUint16(90, 2, true); // INET_DIAG_INFO
  const info = 92;
  if (infoLength >= 136) {
    view.setUint32(info + 120, 52_341, true); // bytes_acked
    view.setUint32(info + 128, 1_877, true); // bytes_received
  }
  if (infoLength >= 208) view.setUint32(info + 200, 52_000, true); // bytes_sent
  view.setUint32(aligned, 16, true);
  view.setUint16(aligned + 4, 3, true);
  return bytes;
}

Deno.test("parseInetDiagDump() takes what each kernel's tcp_info holds: bytes_sent from 4.19, bytes_acked before, nothing before 4.1", () => {
  const counters = (length: number) => {
    const [socket] = parseInetDiagDump(dumpWithInfo(length), { traffic: true }).sockets;
    return [socket?.bytes_sent, socket?.bytes_received];
  };
  deepStrictEqual(counters(232), [52_000, 1_877]); // Linux 5.x and later
  deepStrictEqual(counters(160), [52_341, 1_877]); // Linux 4.1 to 4.18: bytes_acked stands in
  deepStrictEqual(counters(104), [null, null]); // before Linux 4.1: no counters
  const [socket] = parseInetDiagDump(dumpWithInfo(232)).sockets;
  deepStrictEqual([socket?.remote_ip, socket?.remote_port, socket?.user, socket?.inode], [
    "198.51.100.7",
    443,
    "1000",
    77,
  ]);
});

Deno.test("parseInetDiagDump() skips a message cut short and refuses what is not a dump", () => {
  const whole = dumpWithInfo(232);
  const socketOnly = whole.subarray(0, whole.length - 16);
  throws(() => parseInetDiagDump(socketOnly), /no end-of-dump message/);
  const parsed = parseInetDiagDump(new Uint8Array([...DUMP, ...whole.subarray(0, 40)]));
  deepStrictEqual(parsed.sockets.length, 11);
  deepStrictEqual(parsed.skipped.map((s) => s.reason), ["message of 324 bytes is cut short"]);
  throws(
    () => parseInetDiagDump(new TextEncoder().encode("tcp ESTAB 0 0 1.2.3.4:5 6.7.8.9:10\n")),
    SyntaxError,
  );
  throws(() => parseInetDiagDump(new Uint8Array()), SyntaxError);
});

Deno.test("parseInetDiagDump() with a memory reads an unchanged socket into the same object, with fresh counters and no owner", () => {
  const memory = new InetDiagMemory();
  const first = parseInetDiagDump(DUMP, { traffic: true, memory }).sockets;
  const fresh = parseInetDiagDump(DUMP, { traffic: true }).sockets;
  const withInode = first.filter((s) => s.inode !== 0);
  deepStrictEqual(memory.size, withInode.length);
  for (const s of withInode) {
    s.pid = 4242;
    s.process_name = "stale";
    s.process_path = "/stale";
    s.user = "someone";
    s.bytes_sent = -1;
  }
  const second = parseInetDiagDump(DUMP, { traffic: true, memory }).sockets;
  // Socket for socket: the same IPv4 objects where there is an inode, and exactly what a parse without memory reads.
  // (IPv6 ones are read afresh: their text would be built to compare it.)
  deepStrictEqual(
    second.map((s, i) => s === first[i]),
    first.map((s) => s.inode !== 0 && !s.local_ip.includes(":")),
  );
  deepStrictEqual(second, fresh);
});

Deno.test("parseInetDiagDump() with a memory reads a socket afresh when its state or endpoints changed, and forgets one not listed", () => {
  const memory = new InetDiagMemory();
  const [before] = parseInetDiagDump(dumpWithInfo(232), { traffic: true, memory }).sockets;
  const moved = dumpWithInfo(232);
  moved[17] = 8; // CLOSE_WAIT
  const [after] = parseInetDiagDump(moved, { traffic: true, memory }).sockets;
  deepStrictEqual([after === before, after?.status, before?.status], [false, "CLOSE_WAIT", "ESTABLISHED"]);
  const repointed = dumpWithInfo(232);
  repointed[43] = 8; // another remote address, same inode
  repointed[17] = 8;
  const [elsewhere] = parseInetDiagDump(repointed, { traffic: true, memory }).sockets;
  deepStrictEqual([elsewhere === after, elsewhere?.remote_ip], [false, "198.51.100.8"]);
  const empty = dumpWithInfo(232).subarray(-16);
  deepStrictEqual(parseInetDiagDump(empty, { memory }).sockets, []);
  deepStrictEqual(memory.size, 0);
});
