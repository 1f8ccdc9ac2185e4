import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { BlocklistIndex } from "../../lib/enrich/blocklist_index.ts";
import { entryText, isDomainName, parseBlocklist } from "../../lib/parse/blocklist.ts";
import { fixture } from "../fixture.ts";

function lineCount(text: string, isComment: (line: string) => boolean): number {
  return text.split(/\r?\n/).filter((line) => line.trim() !== "" && !isComment(line.trim())).length;
}

function v4Texts(text: string): string[] {
  const { v4 } = parseBlocklist(text);
  return Array.from(v4.starts, (start, i) => entryText(4, start, v4.ends[i] ?? 0));
}

Deno.test("parseBlocklist() reads a FireHOL netset: header comments, CIDRs, bogons included", () => {
  const text = fixture("blocklists/firehol_level1_head120.netset");
  const list = parseBlocklist(text);
  deepStrictEqual(list.skipped, []);
  strictEqual(list.entryCount, lineCount(text, (line) => line.startsWith("#")));
  deepStrictEqual(v4Texts(text).slice(0, 2), ["0.0.0.0/8", "1.10.16.0/20"]);
});

Deno.test("parseBlocklist() reads a FireHOL ipset of single addresses", () => {
  const text = fixture("blocklists/blocklist_de_head80.ipset");
  const list = parseBlocklist(text);
  deepStrictEqual(list.skipped, []);
  strictEqual(list.entryCount, lineCount(text, (line) => line.startsWith("#")));
  deepStrictEqual(v4Texts(text)[0], "1.20.150.200");
});

Deno.test("parseBlocklist() reads Spamhaus DROP: `;` comments and `CIDR ; SBL` lines", () => {
  const text = fixture("blocklists/spamhaus_drop_head60.txt");
  const list = parseBlocklist(text);
  deepStrictEqual(list.skipped, []);
  strictEqual(list.entryCount, lineCount(text, (line) => line.startsWith(";")));
  deepStrictEqual([v4Texts(text)[0], list.v4.lines[0]], ["1.10.16.0/20", 5]);
});

Deno.test("parseBlocklist() reads Spamhaus DROPv6: 78 IPv6 CIDRs", () => {
  const list = parseBlocklist(fixture("blocklists/spamhaus_dropv6.txt"));
  deepStrictEqual([list.skipped, list.v6.length, list.v4.starts.length], [[], 78, 0]);
  const first = list.v6[0];
  deepStrictEqual(first && entryText(6, first.first, first.last), "2001:678:6c4::/48");
});

Deno.test("parseBlocklist() reads ipsum's `IP<TAB>count` lines and its bare-IP levels", () => {
  for (const name of ["blocklists/ipsum_head60.txt", "blocklists/ipsum_level3_head40.txt"]) {
    const text = fixture(name);
    const list = parseBlocklist(text);
    deepStrictEqual(list.skipped, [], name);
    strictEqual(list.entryCount, lineCount(text, (line) => line.startsWith("#")), name);
    deepStrictEqual(v4Texts(text)[0], "77.90.185.20", name);
  }
});

Deno.test("parseBlocklist() reads a dirty hand-made list and reports its one junk line by number", () => {
  const list = parseBlocklist(fixture("blocklists/ips_watchlist_crlf_handwritten.txt"));
  deepStrictEqual(list.skipped, [{
    line: "6: The list below came from https://www.maxmind.com/en/high-risk-ip-sample-list",
    reason: "not an IP, CIDR, range or domain",
  }]);
  deepStrictEqual(list.domains, [{ name: "bad.example", line: 4 }]);
  deepStrictEqual(v4Texts(fixture("blocklists/ips_watchlist_crlf_handwritten.txt")), [
    "1.0.64.133",
    "2.56.192.51",
    "203.0.113.0/24",
    "198.51.100.10-198.51.100.20",
    "192.0.2.1",
    "10.0.0.0/8",
  ]);
  deepStrictEqual(list.v6.map((e) => [entryText(6, e.first, e.last), e.line]), [[
    "2001:db8:85a3::8a2e:370:7334",
    5,
  ]]);
});

Deno.test("parseBlocklist() rejects malformed entries one line at a time", () => {
  const bad = [
    "1.2.3.256",
    "1.2.3",
    "1.2.3.4/33",
    "1.2.3.4/",
    "2001:db8::/129",
    "1.2.3.9-1.2.3.4",
    "1.2.3.4-2001:db8::1",
    "1.2.3.4 bad",
    "https://bad.example/path",
    "-bad.example",
    "localhost",
    "x".repeat(64) + ".example",
    "\u001b[31mred.example",
  ];
  const list = parseBlocklist(["8.8.8.8", ...bad, "9.9.9.9"].join("\n"));
  deepStrictEqual(list.skipped.map((s) => Number(s.line.split(":")[0])), bad.map((_, i) => i + 2));
  deepStrictEqual(v4Texts(["8.8.8.8", ...bad, "9.9.9.9"].join("\n")), ["8.8.8.8", "9.9.9.9"]);
});

Deno.test("parseBlocklist() reads ranges with spaces, hosts-file lines, a BOM, and no final newline", () => {
  const list = parseBlocklist("\ufeff10.0.0.1 - 10.0.0.3\n0.0.0.0 Tracker.Example.\n192.0.2.0/24");
  deepStrictEqual(v4Texts("10.0.0.1 - 10.0.0.3\n192.0.2.0/24"), ["10.0.0.1-10.0.0.3", "192.0.2.0/24"]);
  deepStrictEqual([list.entryCount, list.domains], [3, [{ name: "tracker.example", line: 2 }]]);
  deepStrictEqual(list.skipped, []);
});

Deno.test("isDomainName() takes hostnames with a letter in the last label, not addresses or single words", () => {
  deepStrictEqual(
    ["bad.example", "a-b.c0.io", "1.2.3.4", "example", "a..b", "bad_.example"].map(isDomainName),
    [true, true, false, false, false, false],
  );
});

/** A whole list as published (gzipped in tests/fixtures/blocklists/whole/, see its README). */
async function wholeList(path: string): Promise<string> {
  const file = await Deno.open(new URL(`../fixtures/blocklists/whole/${path}.gz`, import.meta.url));
  return await new Response(file.readable.pipeThrough(new DecompressionStream("gzip"))).text();
}

Deno.test({
  name: "parseBlocklist() reads whole published lists, agreeing with FireHOL's own address counts",
  async fn() {
    const firehol = [
      "blocklist_de.ipset",
      "dshield.netset",
      "firehol_level1.netset",
      "firehol_level2.netset",
    ];
    for (const name of firehol) {
      const text = await wholeList(`firehol/${name}`);
      const list = parseBlocklist(text);
      deepStrictEqual(list.skipped, [], name);
      const declared = Number(/# Entries .*?([0-9]+) unique IPs/.exec(text)?.[1]);
      const index = new BlocklistIndex([{ name, list }]);
      strictEqual(index.ipv4AddressCount, declared, name);
    }
    for (
      const path of ["spamhaus/drop.txt", "spamhaus/dropv6.txt", "ipsum/ipsum.txt", "ipsum/levels/8.txt"]
    ) {
      const text = await wholeList(path);
      const list = parseBlocklist(text);
      deepStrictEqual(list.skipped, [], path);
      strictEqual(
        list.entryCount,
        lineCount(text, (line) => /^[#;]/.test(line)),
        path,
      );
    }
  },
});

Deno.test("parseBlocklist() reads *. wildcards and host:port entries (IPv6 in brackets), and still reads IPv6 without", () => {
  const list = parseBlocklist(
    "*.allowed.example\n*.GitHubUserContent.com.\napi.example.com:443\n203.0.113.7:8443\n203.0.113.0/24:22\n" +
      "[2001:db8::1]:443\n[2001:db8::/32]:53\n*.cdn.example:443\n2001:db8::443\n*.\n*.-bad\nhost:99999\n",
  );
  deepStrictEqual(list.wildcards, [{ name: "allowed.example", line: 1 }, {
    name: "githubusercontent.com",
    line: 2,
  }]);
  deepStrictEqual(list.ported.map((p) => [p.text, p.port, p.host.family, p.line]), [
    ["api.example.com:443", 443, "domain", 3],
    ["203.0.113.7:8443", 8443, 4, 4],
    ["203.0.113.0/24:22", 22, 4, 5],
    ["[2001:db8::1]:443", 443, 6, 6],
    ["[2001:db8::/32]:53", 53, 6, 7],
    ["*.cdn.example:443", 443, "wildcard", 8],
  ]);
  // Without brackets the last group is part of the IPv6 address.
  deepStrictEqual(list.v6.map((e) => e.line), [9]);
  deepStrictEqual(list.skipped.map((s) => s.line), ["10: *.", "11: *.-bad", "12: host:99999"]);
  deepStrictEqual(list.entryCount, 9);
});
