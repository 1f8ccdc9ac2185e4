import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { BlocklistIndex } from "../../lib/enrich/blocklist_index.ts";
import { ipv4Text, parseBlocklist } from "../../lib/parse/blocklist.ts";

function randomGenerator(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) >>> 0);
}

Deno.test("BlocklistIndex agrees with a brute-force scan on random overlapping and touching entries", () => {
  const random = randomGenerator(7);
  const lines: string[] = [];
  const ranges: [number, number][] = [];
  for (let i = 0; i < 3000; i++) {
    // Entries packed into 10.0.0.0/16 so that they overlap, nest and touch.
    const bits = 20 + (random() % 13);
    const size = 2 ** (32 - bits);
    const anywhere = 0x0a000000 + (random() % 65536);
    const start = anywhere - (anywhere % size);
    lines.push(`${ipv4Text(start)}/${bits}`);
    ranges.push([start, start + size - 1]);
  }
  const index = new BlocklistIndex([{ name: "random", list: parseBlocklist(lines.join("\n")) }]);
  for (let i = 0; i < 20_000; i++) {
    const value = 0x09ff0000 + (random() % (3 * 65536));
    const holders = ranges.map((r, k) => ({ r, line: k + 1 })).filter(({ r }) =>
      r[0] <= value && value <= r[1]
    );
    const ip = ipv4Text(value);
    strictEqual(index.has(ip), holders.length > 0, ip);
    const match = index.match(ip);
    strictEqual(match !== null, holders.length > 0, ip);
    if (match !== null) {
      // The most specific holder: the one starting last.
      const latestStart = Math.max(...holders.map(({ r }) => r[0]));
      strictEqual(ranges[match.line - 1]?.[0], latestStart, ip);
    }
  }
});

Deno.test("BlocklistIndex.match() names the first list that holds an address, across families", () => {
  const index = new BlocklistIndex([
    { name: "ips.txt", list: parseBlocklist("# mine\n203.0.113.7\n") },
    { name: "drop.txt", list: parseBlocklist("203.0.113.0/24 ; SBL1\n2001:db8::/32 ; SBL2\n") },
  ]);
  deepStrictEqual(index.match("203.0.113.7"), { list: "ips.txt", line: 2, entry: "203.0.113.7" });
  deepStrictEqual(index.match("203.0.113.9"), { list: "drop.txt", line: 1, entry: "203.0.113.0/24" });
  deepStrictEqual(index.match("2001:db8:1::5"), { list: "drop.txt", line: 2, entry: "2001:db8::/32" });
  deepStrictEqual(index.match("::ffff:203.0.113.7")?.list, "ips.txt");
  deepStrictEqual([index.match("2001:db9::1"), index.match("8.8.8.8"), index.match("not an ip")], [
    null,
    null,
    null,
  ]);
  deepStrictEqual([index.entryCount, index.rangeCount, index.ipv4AddressCount], [3, 2, 256]);
});

Deno.test("BlocklistIndex matches the addresses a domain entry resolved to, naming the domain", () => {
  const index = new BlocklistIndex([{
    name: "ips.txt",
    list: parseBlocklist("8.8.4.4\nbad.example\n"),
    resolved: new Map([["192.0.2.55", "bad.example"], ["2001:db8::55", "bad.example"]]),
  }]);
  deepStrictEqual(index.match("192.0.2.55"), {
    list: "ips.txt",
    line: 2,
    entry: "bad.example",
    domain: "bad.example",
  });
  deepStrictEqual(index.match("2001:db8::55")?.domain, "bad.example");
  deepStrictEqual([index.has("192.0.2.55"), index.has("192.0.2.56")], [true, false]);
});

Deno.test("BlocklistIndex with no lists holds nothing", () => {
  const index = new BlocklistIndex([]);
  deepStrictEqual([index.has("1.2.3.4"), index.match("::1"), index.rangeCount], [false, null, 0]);
});

Deno.test("BlocklistIndex.matchTarget() matches names against domain and *. entries, and host:port entries on their port", () => {
  const index = new BlocklistIndex([{
    name: "expect.txt",
    list: parseBlocklist(
      "*.allowed.example\nexact.example\napi.example.com:443\n198.51.100.0/24:22\n[2001:db8::/32]:53\n" +
        "resolved.example:443\n",
    ),
    portedAddresses: new Map([["resolved.example", ["203.0.113.50"]]]),
  }]);
  const ip = "203.0.113.9";
  deepStrictEqual(index.matchTarget({ ip, names: ["a.allowed.example"] })?.entry, "*.allowed.example");
  deepStrictEqual(
    index.matchTarget({ ip, names: ["deep.a.allowed.example"] })?.domain,
    "deep.a.allowed.example",
  );
  deepStrictEqual(
    index.matchTarget({ ip, names: ["allowed.example"] }),
    null,
    "a wildcard does not hold its own name",
  );
  deepStrictEqual(index.matchTarget({ ip, names: ["notallowed.example"] }), null);
  deepStrictEqual(index.matchTarget({ ip, names: ["EXACT.example."] })?.entry, "exact.example");
  deepStrictEqual(
    index.matchTarget({ ip, names: ["api.example.com"], port: 443 })?.entry,
    "api.example.com:443",
  );
  deepStrictEqual(index.matchTarget({ ip, names: ["api.example.com"], port: 80 }), null);
  deepStrictEqual(index.matchTarget({ ip: "198.51.100.77", port: 22 })?.entry, "198.51.100.0/24:22");
  deepStrictEqual(index.matchTarget({ ip: "::ffff:198.51.100.77", port: 22 })?.entry, "198.51.100.0/24:22");
  deepStrictEqual(index.matchTarget({ ip: "198.51.100.77", port: 23 }), null);
  deepStrictEqual(index.matchTarget({ ip: "2001:db8::53", port: 53 })?.entry, "[2001:db8::/32]:53");
  deepStrictEqual(index.matchTarget({ ip: "203.0.113.50", port: 443 })?.entry, "resolved.example:443");
  deepStrictEqual([index.hasTarget({ ip }), index.has(ip)], [false, false]);
  deepStrictEqual(index.matchDomain("x.allowed.example")?.entry, "*.allowed.example");
});
