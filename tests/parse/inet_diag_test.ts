import { deepStrictEqual, ok, throws } from "node:assert/strict";
import type { Socket } from "../../lib/model/connection.ts";
import { InetDiagMemory, InetDiagReader, parseInetDiagDump } from "../../lib/parse/inet_diag.ts";
import { parseSs } from "../../lib/parse/ss.ts";
import { DumpColumns } from "../../lib/parse/dump_columns.ts";
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
  // The TIME_WAIT socket, without an inode, by its cookie.
  deepStrictEqual(memory.lingering.size, 1);
  for (const s of first) {
    s.pid = 4242;
    s.process_name = "stale";
    s.process_path = "/stale";
    s.user = "someone";
    s.bytes_sent = -1;
  }
  const second = parseInetDiagDump(DUMP, { traffic: true, memory }).sockets;
  // Socket for socket: the same IPv4 objects where there is an inode or TIME_WAIT's cookie, and exactly what a parse
  // without memory reads. (IPv6 ones are read afresh: their text would be built to compare it.)
  deepStrictEqual(
    second.map((s, i) => s === first[i]),
    first.map((s) => (s.inode !== 0 || s.status === "TIME_WAIT") && !s.local_ip.includes(":")),
  );
  // A remembered socket is a plain socket to every reader: the same own fields, in the same order.
  deepStrictEqual(second.map((s) => ({ ...s })), fresh);
  deepStrictEqual(second.map((s) => JSON.stringify(s)), fresh.map((s) => JSON.stringify(s)));
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

/** The fixture's dump with its TIME_WAIT socket's cookie (574650) set to `cookie` (low word) and `high`. */
function withTimeWaitCookie(cookie: number, high = 0): Uint8Array {
  const dump = DUMP.slice();
  const view = new DataView(dump.buffer);
  for (let at = 0; at + 16 <= dump.length;) {
    const length = view.getUint32(at, true);
    if (view.getUint16(at + 4, true) === 20 && dump[at + 17] === 6) {
      view.setUint32(at + 16 + 44, cookie, true);
      view.setUint32(at + 16 + 48, high, true);
    }
    at += (length + 3) & ~3;
  }
  return dump;
}

Deno.test("InetDiagReader with a memory keeps a TIME_WAIT socket by its cookie: the same object while cookie, state and endpoints are, and none without a cookie", () => {
  const timeWait = (sockets: readonly Socket[]) => sockets.find((s) => s.status === "TIME_WAIT");
  const memory = new InetDiagMemory();
  const first = timeWait(parseInetDiagDump(DUMP, { traffic: true, memory }).sockets);
  const again = timeWait(parseInetDiagDump(DUMP, { traffic: true, memory }).sockets);
  // Another cookie: another socket (read afresh, and the one before forgotten).
  const other = timeWait(parseInetDiagDump(withTimeWaitCookie(7), { traffic: true, memory }).sockets);
  deepStrictEqual([again === first, other === first, memory.lingering.size], [true, false, 1]);
  deepStrictEqual({ ...other }, { ...first });
  // No cookie (0), or one past 2^53: not remembered.
  for (const [low, high] of [[0, 0], [5, 0x20_0000]] as const) {
    const none = new InetDiagMemory();
    const a = timeWait(parseInetDiagDump(withTimeWaitCookie(low, high), { memory: none }).sockets);
    const b = timeWait(parseInetDiagDump(withTimeWaitCookie(low, high), { memory: none }).sockets);
    deepStrictEqual([a === b, none.lingering.size, a?.user, a?.inode], [false, 0, null, 0]);
  }
});

Deno.test("InetDiagReader({ counters: false }) leaves each remembered socket's last counters, read afresh or not, and gives a new one null", () => {
  const memory = new InetDiagMemory();
  const read = (bytes: Uint8Array, counters: boolean) => {
    const reader = new InetDiagReader({ traffic: true, counters, memory });
    reader.push(bytes);
    return reader.end().sockets;
  };
  const [first] = read(dumpWithInfo(232), true);
  deepStrictEqual([first?.bytes_sent, first?.bytes_received], [52_000, 1_877]);
  // The kernel's next counters (in a dump read without them they would not be there: here they are, unread).
  const later = dumpWithInfo(232);
  new DataView(later.buffer).setUint32(92 + 200, 90_000, true);
  const [same] = read(later, false);
  deepStrictEqual([same === first, same?.bytes_sent, same?.bytes_received], [true, 52_000, 1_877]);
  const closing = dumpWithInfo(232);
  closing[17] = 8; // CLOSE_WAIT: read afresh, same inode
  const [moved] = read(closing, false);
  deepStrictEqual([moved === first, moved?.status, moved?.bytes_sent, moved?.bytes_received], [
    false,
    "CLOSE_WAIT",
    52_000,
    1_877,
  ]);
  const repointed = dumpWithInfo(232);
  repointed[43] = 8; // the same inode connected elsewhere (connect(AF_UNSPEC), then connect): another connection
  const [elsewhere] = read(repointed, false);
  deepStrictEqual([elsewhere?.remote_ip, elsewhere?.bytes_sent, elsewhere?.bytes_received], [
    "198.51.100.8",
    null,
    null,
  ]);
  deepStrictEqual(read(dumpWithInfo(232), true)[0]?.bytes_sent, 52_000); // read with counters again
  const otherPort = dumpWithInfo(232);
  new DataView(otherPort.buffer).setUint16(22, 8443); // the same inode and addresses, another peer port
  const [ported] = read(otherPort, false);
  deepStrictEqual([ported?.remote_port, ported?.bytes_sent, ported?.bytes_received], [8443, null, null]);
  const other = dumpWithInfo(232);
  new DataView(other.buffer).setUint32(84, 78, true); // another inode: never read with counters
  const [unknown] = read(other, false);
  deepStrictEqual([unknown?.inode, unknown?.bytes_sent, unknown?.bytes_received], [78, null, null]);
  const [again] = read(other, true);
  deepStrictEqual([again?.bytes_sent, again?.bytes_received], [52_000, 1_877]);
});

/** Read `bytes` through an InetDiagReader in the chunks `cuts` (offsets) make, each in a buffer reused after it. */
function readInChunks(
  bytes: Uint8Array,
  cuts: number[],
  options: { traffic?: boolean; memory?: InetDiagMemory; columns?: DumpColumns } = {},
) {
  const reader = new InetDiagReader(options);
  const buffer = new Uint8Array(bytes.length);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    const chunk = buffer.subarray(0, cut - from);
    chunk.set(bytes.subarray(from, cut));
    reader.push(chunk);
    // The reader may not keep a chunk: the buffer is spoilt before the next one, as a reused read buffer is.
    chunk.fill(0xa5);
    from = cut;
  }
  return reader.end();
}

/** Two sockets whose messages are not a multiple of 4 bytes long (2 bytes of padding each), then NLMSG_DONE. */
function unalignedDump(): Uint8Array {
  const one = dumpWithInfo(230);
  const length = new DataView(one.buffer).getUint32(0, true);
  const aligned = (length + 3) & ~3;
  const second = one.slice(0, aligned);
  new DataView(second.buffer).setUint32(84, 78, true); // another inode
  second[21] = 1; // another local port
  return new Uint8Array([...one.subarray(0, aligned), ...second, ...one.subarray(aligned)]);
}

Deno.test("InetDiagReader reads a dump cut into two chunks at every byte the same as whole, padding and headers split included", () => {
  for (const bytes of [DUMP, unalignedDump()]) {
    const whole = parseInetDiagDump(bytes, { traffic: true });
    for (let cut = 0; cut <= bytes.length; cut++) {
      const split = readInChunks(bytes, [cut], { traffic: true });
      deepStrictEqual(split, whole, `cut at byte ${cut} of ${bytes.length}`);
    }
  }
  deepStrictEqual(
    parseInetDiagDump(unalignedDump(), { traffic: true }).sockets.map((s) => [s.inode, s.bytes_sent]),
    [
      [77, 52_000],
      [78, 52_000],
    ],
  );
});

Deno.test("InetDiagReader reads a dump given a byte at a time, and in chunks of every size up to 700, the same as whole", () => {
  const whole = parseInetDiagDump(DUMP, { traffic: true });
  const bytes = DUMP.length;
  deepStrictEqual(
    readInChunks(DUMP, Array.from({ length: bytes - 1 }, (_, i) => i + 1), { traffic: true }),
    whole,
  );
  for (let size = 2; size <= 700; size++) {
    const cuts = Array.from({ length: Math.floor((bytes - 1) / size) }, (_, i) => (i + 1) * size);
    deepStrictEqual(readInChunks(DUMP, cuts, { traffic: true }), whole, `chunks of ${size} bytes`);
  }
});

Deno.test("InetDiagReader with a memory gives the same objects again when the chunks fall elsewhere", () => {
  const memory = new InetDiagMemory();
  const first = readInChunks(DUMP, [100, 1000], { traffic: true, memory }).sockets;
  const second = readInChunks(DUMP, [333, 2048, 2049], { traffic: true, memory }).sockets;
  deepStrictEqual(
    second.map((s, i) => s === first[i]),
    first.map((s) => (s.inode !== 0 || s.status === "TIME_WAIT") && !s.local_ip.includes(":")),
  );
});

Deno.test("InetDiagReader skips a message cut short across chunks, refuses text and a dump without its end, chunked as whole", () => {
  const whole = dumpWithInfo(232);
  const cutShort = new Uint8Array([...DUMP, ...whole.subarray(0, 40)]);
  for (const cut of [DUMP.length - 3, DUMP.length, DUMP.length + 8, DUMP.length + 20]) {
    const parsed = readInChunks(cutShort, [cut]);
    deepStrictEqual(parsed.sockets.length, 11);
    deepStrictEqual(parsed.skipped.map((s) => s.reason), ["message of 324 bytes is cut short"]);
  }
  const text = new TextEncoder().encode("tcp ESTAB 0 0 1.2.3.4:5 6.7.8.9:10\n");
  for (const cut of [1, 5, 16, 20]) {
    throws(() => readInChunks(text, [cut]), /not a netlink dump/);
    throws(() => readInChunks(whole.subarray(0, whole.length - 16), [cut]), /no end-of-dump message/);
  }
  // A length that text makes (here 1.9 GB) is not waited for: the reading stops at once.
  const reader = new InetDiagReader();
  reader.push(text.subarray(0, 16));
  reader.push(new Uint8Array(1 << 16));
  throws(() => reader.end(), /not a netlink dump/);
  // A message shorter than its header after the dump ends the reading with a reason, as a dump read whole does.
  const short = new Uint8Array([...DUMP, 8, 0, 0, 0, ...new Uint8Array(12), ...whole]);
  const wholeShort = parseInetDiagDump(short);
  deepStrictEqual(wholeShort.skipped.map((s) => s.reason), ["message of 8 bytes is cut short"]);
  for (const cut of [DUMP.length - 1, DUMP.length + 2, DUMP.length + 17]) {
    deepStrictEqual(readInChunks(short, [cut]), wholeShort);
  }
});

Deno.test("InetDiagReader with room for more sockets than it reads returns exactly those it read", () => {
  for (const room of [0, 3, 500]) {
    const reader = new InetDiagReader({ traffic: true, room });
    reader.push(DUMP);
    const { sockets } = reader.end();
    deepStrictEqual(sockets, parseInetDiagDump(DUMP, { traffic: true }).sockets, `room ${room}`);
    deepStrictEqual(Object.keys(sockets).length, sockets.length, "no holes");
  }
});

Deno.test("InetDiagReader({ columns }) keeps the sockets as columns, which make the objects it makes of the dump whole, chunk by chunk", () => {
  const whole = parseInetDiagDump(DUMP);
  for (const size of [1, 7, 88, 100, 1000, DUMP.length]) {
    const columns = new DumpColumns(3);
    const reader = new InetDiagReader({ columns });
    for (let at = 0; at < DUMP.length; at += size) reader.push(DUMP.slice(at, at + size));
    const { sockets, skipped } = reader.end();
    deepStrictEqual([sockets, skipped], [[], whole.skipped], `chunks of ${size} bytes`);
    deepStrictEqual(columns.sockets(0, columns.length), whole.sockets, `chunks of ${size} bytes`);
    deepStrictEqual(
      [...columns.sockets(0, 5), ...columns.sockets(5, 9), ...columns.sockets(9, 100)],
      whole.sockets,
    );
  }
  const columns = new DumpColumns(0);
  readInChunks(DUMP, [333], { columns });
  const listening = whole.sockets.filter((s) => s.status === "LISTEN");
  ok(listening.length > 0 && listening.length < whole.sockets.length);
  deepStrictEqual(columns.listeners(), listening);
  // With counters a reading makes its objects as ever: the columns hold none of its sockets.
  const counted = new DumpColumns(0);
  deepStrictEqual(
    readInChunks(DUMP, [500], { traffic: true, columns: counted }),
    parseInetDiagDump(DUMP, { traffic: true }),
  );
  deepStrictEqual(counted.length, 0);
  // Not a whole dump: refused as ever.
  const text = new TextEncoder().encode("tcp ESTAB 0 0 1.2.3.4:5 6.7.8.9:10\n");
  throws(() => readInChunks(text, [5], { columns: new DumpColumns(0) }), /not a netlink dump/);
});
