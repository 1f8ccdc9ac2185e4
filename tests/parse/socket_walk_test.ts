import { deepStrictEqual } from "node:assert/strict";
import {
  parseProcessFolders,
  parseProcessStats,
  parseSocketLinks,
  SocketLinksReader,
  SocketOwnerIndex,
} from "../../lib/parse/socket_walk.ts";

const WALK = "/proc/1/fd\n9\n/proc/2/fd\n/proc/905/fd\n2558470\n18837\n/proc/11600/fd\n18837";

Deno.test("SocketLinksReader reads find's lines the same however the bytes are split", () => {
  const whole = parseSocketLinks(WALK);
  // 18837 is held by 905 and 11600: the last listed, as ss -p prints it first.
  deepStrictEqual(whole.pids.toMap(), new Map([[9, 1], [2558470, 905], [18837, 11600]]));
  deepStrictEqual(whole.skipped, []);
  const bytes = new TextEncoder().encode(WALK);
  for (let size = 1; size <= bytes.length; size++) {
    const reader = new SocketLinksReader();
    for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
    const read = reader.end();
    deepStrictEqual([read.pids.toMap(), read.folders, read.skipped], [
      whole.pids.toMap(),
      whole.folders,
      whole.skipped,
    ], `chunks of ${size}`);
  }
});

Deno.test("SocketLinksReader skips, with a reason, every line that is not a folder or an inode, and the inodes after it up to the next folder", () => {
  const hostile = [
    "x",
    "/proc/1/fd/",
    "/proc//fd",
    "/proc/1a/fd",
    "/proc/0/fd",
    "0",
    "012",
    "1e3",
    "-5",
    " 7",
    "7\r",
    "99999999999999999999", // past a safe integer
    "/proc/12345678901/fd", // no pid has 11 digits
    `/proc/1/fd${"x".repeat(100)}`,
    "\u001b[31m",
  ];
  // Each hostile line after a good folder, so that the fast run of inodes cannot take it either.
  const text = hostile.map((line) => `/proc/3/fd\n70\n${line}\n71\n`).join("") + "/proc/4/fd\n72\n";
  const { pids, skipped } = parseSocketLinks(text);
  deepStrictEqual(pids.toMap(), new Map([[70, 3], [72, 4]]));
  deepStrictEqual(skipped.map((s) => s.line).filter((line) => line !== "71"), [
    ...hostile.slice(0, 13),
    `/proc/1/fd${"x".repeat(54)}…`, // cut at 64 characters
    "\u001b[31m",
  ]);
  deepStrictEqual(skipped.filter((s) => s.line === "71").length, hostile.length);
  deepStrictEqual(
    new Set(skipped.map((s) => s.reason)),
    new Set(["not a socket's inode after a /proc/<pid>/fd folder"]),
  );
  // Inodes before any folder are no process's; blank lines are nothing.
  deepStrictEqual(parseSocketLinks("5\n\n/proc/6/fd\n\n8\n").pids.toMap(), new Map([[8, 6]]));
  deepStrictEqual(parseSocketLinks("5\n\n/proc/6/fd\n\n8\n").skipped.map((s) => s.line), ["5"]);
});

Deno.test("parseProcessStats names each stat line's pid with its whole name, whatever the name holds, and skips other lines", () => {
  const tail = " S 1 905 905 0 -1 4194560 93 0 0 0 -3 0 0 0 20 0 1 0 3158\n";
  deepStrictEqual(
    parseProcessStats(
      // A name with a space, one with ')' and a fake stat line's start, one with a newline and an escape; a line
      // that is no stat line (too few numbers), an empty one, and one cut short at the end.
      `1 (systemd)${tail}11541 (Web Content)${tail}77 (a) S 1 (b)${tail}78 (x\n9 (\x1b[2J)${tail}` +
        `5 (short) S 1 2\n\n6 (cut) S 1 2 3`,
    ),
    new Map([[1, "systemd"], [11541, "Web Content"], [77, "a) S 1 (b"], [78, "x\n9 (\x1b[2J"]]),
  );
});

Deno.test("parseProcessFolders keeps the lines that are a pid, and nothing else", () => {
  deepStrictEqual(parseProcessFolders("1\n905\nself\n0\n012\n\n11541\n4194305"), [1, 905, 11541, 4194305]);
});

Deno.test("SocketOwnerIndex gives each inode the process listed last, inodes past 2^32 too, and finds no other", () => {
  const index = new SocketOwnerIndex();
  const big = 2 ** 40 + 3;
  // Shuffled inodes over many folders: the sorted keys must still give each its last holder.
  const expected = new Map<number, number>();
  for (let pid = 1; pid <= 300; pid++) {
    for (let k = 0; k < 7; k++) {
      const inode = 1 + ((pid * 7919 + k * 104729) % 2000);
      index.add(inode, pid);
      expected.set(inode, pid);
    }
  }
  index.add(2 ** 32 - 1, 400);
  index.add(big, 401); // from here on the others' map: later, so it wins
  index.add(5, 402);
  expected.set(2 ** 32 - 1, 400).set(big, 401).set(5, 402);
  for (const [inode, pid] of expected) deepStrictEqual(index.pidOf(inode), pid, `inode ${inode}`);
  deepStrictEqual([index.pidOf(0), index.pidOf(2001), index.pidOf(2 ** 32), index.pidOf(big + 1)], [
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  deepStrictEqual(index.toMap(), new Map([...expected].sort((a, b) => a[0] - b[0])));
  deepStrictEqual(index.size, 300 * 7 + 3);
  deepStrictEqual(index.pids().length, 303);
});
