import { deepStrictEqual, ok } from "node:assert/strict";
import { leadingFields } from "../../lib/parse/_fields.ts";
import { rowSocket } from "../../lib/parse/proc_net.ts";
import { parseProcNetListing } from "../../lib/parse/proc_net_listing.ts";
import { udpRowSocket } from "../../lib/parse/proc_net_udp_row.ts";
import { SsLineMemory } from "../../lib/parse/ss.ts";
import { fixture } from "../fixture.ts";

const encoder = new TextEncoder();

/** What the text's reading makes of a row (`rowSocket` of its first 10 fields). */
function fromText(row: string) {
  return rowSocket(leadingFields(row, 10).fields, "UDP", null);
}

/** What the bytes' reading makes of a row, the row placed inside a larger buffer as a chunk holds it. */
function fromBytes(row: string) {
  const bytes = encoder.encode(`xx\n${row}\nyy`);
  return udpRowSocket(bytes, 3, 3 + row.length);
}

/** A random row of /proc/net/udp as the kernel prints one (`%5d: %08X:%04X %08X:%04X %02X …`). */
function randomRow(random: () => number): string {
  const hex = (value: number, width: number) => value.toString(16).toUpperCase().padStart(width, "0");
  const word = () =>
    [0, 0x0100007f, 0x0164a8c0, 0xffffffff][Math.floor(random() * 4)]! ^
    (random() < 0.5 ? 0 : Math.floor(random() * 2 ** 32) >>> 0);
  const port = () => (random() < 0.3 ? 0 : Math.floor(random() * 65_536));
  const state = random() < 0.5 ? 7 : 1;
  const uid = random() < 0.5 ? 0 : Math.floor(random() * 70_000);
  const inode = Math.floor(random() * 2 ** 32);
  return `${String(Math.floor(random() * 70_000)).padStart(5)}: ${hex(word() >>> 0, 8)}:${hex(port(), 4)} ` +
    `${hex(word() >>> 0, 8)}:${hex(port(), 4)} ${hex(state, 2)} 00000000:00000000 00:00000000 00000000 ` +
    `${String(uid).padStart(5)}        0 ${inode} 2 0000000066484c3f 0       `;
}

/** A small seeded generator (mulberry32): the same rows every run. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

Deno.test("udpRowSocket() makes of every IPv4 row of a real cat of /proc/net/udp the socket its text gives, and leaves IPv6 rows to the text", () => {
  const rows = fixture("cat-proc-net-sockstat-udp_debian12.txt").split("\n").filter((line) =>
    /^\s*\d+: /.test(line)
  );
  ok(rows.length >= 7);
  let read = 0;
  for (const row of rows) {
    const socket = fromBytes(row);
    if (row.split(/\s+/)[2]!.length === 13) {
      deepStrictEqual(socket, fromText(row), row);
      read++;
    } else deepStrictEqual(socket, null, row);
  }
  ok(read >= 4, `${read} IPv4 rows`);
});

Deno.test("udpRowSocket() gives the text's socket for 5,000 random rows, and for 20,000 rows with a byte spoilt either the same or null (the text reads it)", () => {
  const random = seeded(21);
  const spoilers = [..." :0123456789AFGafgz-\t\x00\xff"];
  for (let i = 0; i < 5_000; i++) {
    const row = randomRow(random);
    const socket = fromBytes(row);
    ok(socket !== null, row);
    deepStrictEqual(socket, fromText(row), row);
  }
  let same = 0;
  for (let i = 0; i < 20_000; i++) {
    const row = randomRow(random);
    const at = Math.floor(random() * 80);
    const spoilt = row.slice(0, at) + spoilers[Math.floor(random() * spoilers.length)] + row.slice(at + 1);
    const socket = fromBytes(spoilt);
    if (socket === null) continue;
    deepStrictEqual(socket, fromText(spoilt), JSON.stringify(spoilt));
    same++;
  }
  ok(same > 1_000 && same < 20_000, `${same} spoilt rows read from their bytes`);
});

Deno.test("parseProcNetListing() without a memory (from the rows' bytes) lists what it lists with one (from their text)", () => {
  const random = seeded(7);
  const rows = Array.from({ length: 500 }, () => randomRow(random));
  const text = [
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
    ...rows,
    "not a row",
  ].join("\n");
  for (const listing of [text, fixture("cat-proc-net-sockstat-udp_debian12.txt")]) {
    const bytes = parseProcNetListing(listing);
    const asText = parseProcNetListing(listing, { memory: new SsLineMemory() });
    deepStrictEqual(bytes.udp, asText.udp);
    deepStrictEqual(
      parseProcNetListing(listing, { traffic: true }).udp,
      parseProcNetListing(listing, { traffic: true, memory: new SsLineMemory() }).udp,
    );
  }
});
