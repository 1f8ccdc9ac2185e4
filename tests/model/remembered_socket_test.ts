import { deepStrictEqual } from "node:assert/strict";
import type { Connection, Socket } from "../../lib/model/connection.ts";
import { ConnectionMemory } from "../../lib/model/connection_memory.ts";
import { toConnections } from "../../lib/model/direction.ts";
import { RememberedSocket } from "../../lib/model/remembered_socket.ts";
import { InetDiagMemory, parseInetDiagDump } from "../../lib/parse/inet_diag.ts";

/** One socket of a scripted dump. */
interface Row {
  v6?: boolean;
  state: number;
  local: number;
  remote: number;
  uid?: number;
  inode: number;
  sent?: number;
}

const ESTABLISHED = 1;
const TIME_WAIT = 6;
const CLOSE_WAIT = 8;
const LAST_ACK = 9;
const LISTEN = 10;

/** The netlink dump `ss -taiD -` would write for these sockets (10.0.0.2 / fd00::2 to 198.51.100.7 / fd00::7). */
function dump(rows: Row[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const row of rows) {
    const info = 208;
    const length = 16 + 72 + 4 + info;
    const bytes = new Uint8Array(length);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, length, true);
    view.setUint16(4, 20, true);
    bytes.set([row.v6 ? 10 : 2, row.state], 16);
    view.setUint16(20, row.local);
    view.setUint16(22, row.state === LISTEN ? 0 : row.remote);
    if (row.v6) {
      bytes.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 24);
      if (row.state !== LISTEN) bytes.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7], 40);
    } else {
      bytes.set([10, 0, 0, 2], 24);
      if (row.state !== LISTEN) bytes.set([198, 51, 100, 7], 40);
    }
    view.setUint32(80, row.uid ?? 1000, true);
    view.setUint32(84, row.inode, true);
    view.setUint16(88, 4 + info, true);
    view.setUint16(90, 2, true); // INET_DIAG_INFO
    view.setUint32(92 + 128, 100, true); // bytes_received
    view.setUint32(92 + 200, row.sent ?? 5, true); // bytes_sent
    parts.push(bytes);
  }
  const done = new Uint8Array(16);
  new DataView(done.buffer).setUint32(0, 16, true);
  new DataView(done.buffer).setUint16(4, 3, true);
  parts.push(done);
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

const a = { state: ESTABLISHED, local: 40000, remote: 443, inode: 11 };
const b = { v6: true, state: ESTABLISHED, local: 40001, remote: 443, inode: 12 };
const c = { state: LISTEN, local: 8080, remote: 0, inode: 13 };
const d = { state: TIME_WAIT, local: 40002, remote: 443, inode: 0 };

/** Polls: what the dump lists, and the inodes the poll leaves out of its connections (held back for an owner). */
const POLLS: { rows: Row[]; leftOut?: number[] }[] = [
  { rows: [c, a, b, d] },
  { rows: [c, a, b, d] },
  { rows: [c, { ...a, sent: 9 }, b] }, // a's counters moved
  { rows: [c, { ...a, sent: 9, state: CLOSE_WAIT }, b] }, // a's state changed: a socket read afresh
  { rows: [c, { ...a, sent: 9, state: CLOSE_WAIT }, b], leftOut: [11] }, // listed, not given to the memory
  { rows: [c, { ...a, sent: 9, state: CLOSE_WAIT }, b] }, // given again after a poll without it
  { rows: [c, b] }, // a closed
  { rows: [c, { ...a, sent: 9, state: CLOSE_WAIT }, { ...b, uid: 0 }] }, // inode 11 again; b's uid changed
  { rows: [c, { ...a, sent: 9, state: CLOSE_WAIT }, { ...b, uid: 0 }] },
  // The dump lists inode 11 twice, in two states (a socket read afresh within the dump), then in the second.
  { rows: [c, { ...a, sent: 9, state: CLOSE_WAIT }, { ...a, sent: 9, state: LAST_ACK }, { ...b, uid: 0 }] },
  { rows: [c, { ...a, sent: 9, state: LAST_ACK }, { ...b, uid: 0 }] },
  { rows: [c, { ...a, sent: 9, state: LAST_ACK }, { ...a, sent: 9, state: CLOSE_WAIT }, { ...b, uid: 0 }] },
  // Twice again, the second time in the state of the poll before: compared with the first one's connection.
  { rows: [c, { ...a, sent: 9, state: LAST_ACK }, { ...a, sent: 9, state: CLOSE_WAIT }, { ...b, uid: 0 }] },
];

/** Each poll's connections, and for each whether it is the object the poll before gave for its inode. */
function run(
  traffic: boolean,
  remembered: boolean,
): { json: string[][]; again: boolean[][]; kinds: boolean[] } {
  const sockets = new InetDiagMemory();
  const connections = new ConnectionMemory();
  const json: string[][] = [];
  const again: boolean[][] = [];
  const kinds: boolean[] = [];
  let before = new Map<number, Connection>();
  POLLS.forEach(({ rows, leftOut = [] }, i) => {
    const parsed =
      parseInetDiagDump(dump(rows), remembered ? { traffic, memory: sockets } : { traffic }).sockets;
    kinds.push(...parsed.map((s) => RememberedSocket.is(s)));
    const given = parsed.filter((s) => !leftOut.includes(s.inode ?? 0));
    const made = toConnections(given, `2026-01-01T00:00:0${i}.000+00:00`, connections);
    json.push(made.map((m) => JSON.stringify(m)));
    again.push(made.map((m, j) => before.get(given[j]!.inode ?? -1) === m));
    before = new Map(made.map((m, j) => [given[j]!.inode ?? -1, m]));
  });
  return { json, again, kinds };
}

Deno.test("the same dumps give the same connections, reused in the same polls, through remembered sockets as through plain ones", () => {
  for (const traffic of [true, false]) {
    const plain = run(traffic, false);
    const kept = run(traffic, true);
    deepStrictEqual(kept.json, plain.json);
    deepStrictEqual(kept.again, plain.again);
    // The cases happened: the dump's sockets with an inode were remembered ones, plain ones without a memory.
    deepStrictEqual([kept.kinds.filter(Boolean).length, plain.kinds.some(Boolean)], [41, false]);
    deepStrictEqual(plain.again, [
      [false, false, false, false],
      [true, true, true, false],
      [true, !traffic, true], // new counters: a new connection (without traffic none are read)
      [true, false, true], // CLOSE_WAIT
      [true, true], // a left out
      [true, false, true], // a given again after a poll without it: made anew
      [true, true],
      [true, false, false], // a reopened; b's user changed
      [true, true, true],
      [true, true, false, true], // the second of inode 11 is compared with the first: a new one
      [true, true, true],
      [true, true, false, true],
      [true, false, false, true],
    ]);
  }
});

Deno.test("a remembered socket gives a memory only the connection that memory made", () => {
  const sockets = new InetDiagMemory();
  const [socket] = parseInetDiagDump(dump([a]), { memory: sockets }).sockets;
  const one = new ConnectionMemory();
  const other = new ConnectionMemory();
  const [first] = toConnections([socket!], "2026-01-01T00:00:00.000+00:00", one);
  const [again] = toConnections([socket!], "2026-01-01T00:00:01.000+00:00", one);
  // Another memory reading the same sockets (nothing does: one per source) makes its own, and holds the slot.
  const [elsewhere] = toConnections([socket!], "2026-01-01T00:00:01.000+00:00", other);
  const [afterOther] = toConnections([socket!], "2026-01-01T00:00:02.000+00:00", one);
  deepStrictEqual([again === first, elsewhere === first, afterOther === first, one.size, other.size], [
    true,
    false,
    false,
    0,
    0,
  ]);
  deepStrictEqual({ ...afterOther, timestamp: "" }, { ...first, timestamp: "" });
});

Deno.test("a remembered socket is a plain socket to JSON, spreads and keys", () => {
  const [kept] = parseInetDiagDump(dump([a]), { traffic: true, memory: new InetDiagMemory() }).sockets;
  const [plain] = parseInetDiagDump(dump([a]), { traffic: true }).sockets;
  deepStrictEqual([RememberedSocket.is(kept!), RememberedSocket.is(plain!)], [true, false]);
  deepStrictEqual(Object.keys(kept!), Object.keys(plain!));
  deepStrictEqual(JSON.stringify(kept), JSON.stringify(plain));
  deepStrictEqual({ ...kept } as Socket, plain);
});
