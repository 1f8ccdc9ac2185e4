import { deepStrictEqual } from "node:assert/strict";
import { parseProcessNames, parseSocketLinks, SocketLinksReader } from "../../lib/parse/socket_walk.ts";

const WALK = "18837 /proc/11541/fd\n2558470 /proc/905/fd\n18837 /proc/11600/fd\n9 /proc/1/fd";

Deno.test("SocketLinksReader reads find's lines the same however the bytes are split", () => {
  const whole = parseSocketLinks(WALK);
  deepStrictEqual(whole.pids, new Map([[18837, 11600], [2558470, 905], [9, 1]]));
  deepStrictEqual(whole.skipped, []);
  const bytes = new TextEncoder().encode(WALK);
  for (let size = 1; size <= bytes.length; size++) {
    const reader = new SocketLinksReader();
    for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
    deepStrictEqual(reader.end(), whole, `chunks of ${size}`);
  }
});

Deno.test("SocketLinksReader skips, with a reason, every line that is not a socket's inode and fd folder", () => {
  const hostile = [
    "",
    "x /proc/1/fd",
    "12 /proc/1/fd/",
    "12 /proc//fd",
    "12 /proc/1a/fd",
    "0 /proc/1/fd",
    "12 /proc/0/fd",
    "12  /proc/1/fd",
    "99999999999999999999 /proc/1/fd", // past a safe integer
    "12 /proc/12345678901/fd", // no pid has 11 digits
    "12 /proc/1/fd\r",
    `12 /proc/1/fd${"x".repeat(100)}`,
    "\u001b[31m /proc/1/fd",
  ];
  const { pids, skipped } = parseSocketLinks(hostile.join("\n") + "\n7 /proc/3/fd\n");
  deepStrictEqual(pids, new Map([[7, 3]]));
  deepStrictEqual(skipped.length, hostile.length - 1); // the empty line is no line
  deepStrictEqual(skipped[10]?.line, `12 /proc/1/fd${"x".repeat(51)}…`); // cut at 64 bytes
  deepStrictEqual(
    new Set(skipped.map((s) => s.reason)),
    new Set(["not a socket descriptor's inode and folder"]),
  );
});

Deno.test("parseProcessNames keeps a name's spaces and ps's '?' for what it cannot print, and leaves out lines without a pid", () => {
  deepStrictEqual(
    parseProcessNames("    1 systemd\n  905  lead space\n11541 Web Content\n 77 a?b)c\nPID COMMAND\n\n 12\n"),
    new Map([[1, "systemd"], [905, " lead space"], [11541, "Web Content"], [77, "a?b)c"]]),
  );
});
