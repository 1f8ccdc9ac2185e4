import { deepStrictEqual } from "node:assert/strict";
import { DnsNames } from "../../lib/enrich/dns_names.ts";
import { parseTcpdumpDns } from "../../lib/parse/tcpdump_dns.ts";
import { fixture } from "../fixture.ts";

Deno.test("DnsNames names the addresses of a captured answer with the name asked and its CNAME chain", () => {
  const names = new DnsNames();
  const { answers } = parseTcpdumpDns(fixture("tcpdump-vvv-dns_loopback_tcpdump-4.99.3_debian12.txt"));
  for (const answer of answers) names.add(answer, 1_000);
  deepStrictEqual(names.lookup("203.0.113.8", 2_000), {
    domain: "api.example.com",
    chain: ["api.example.com", "api.cdn.example.net", "edge.cdn.example.net"],
    // TTL 20 s is raised to the minute programs keep an address for.
    until: 61_000,
  });
  deepStrictEqual(names.lookup("2001:db8::7", 2_000)?.domain, "api.example.com");
  deepStrictEqual(names.lookup("198.51.100.39", 2_000)?.until, 1_000 + 90_061_000);
  deepStrictEqual(names.lookup("198.51.100.66", 2_000), null, "the hostile answer was skipped");
});

Deno.test("DnsNames: the latest answer for an address wins; lookups after the TTL find nothing, labels still do", () => {
  const names = new DnsNames({ minTtlSeconds: 0 });
  const answer = (question: string, ttl: number) => ({
    question,
    qtype: "A",
    truncated: false,
    records: [{ name: question, ttl, type: "A" as const, data: "198.51.100.1" }],
  });
  names.add(answer("a.example", 10), 0);
  names.add(answer("b.example", 10), 5_000);
  deepStrictEqual(names.lookup("198.51.100.1", 6_000)?.domain, "b.example");
  deepStrictEqual(names.lookup("198.51.100.1", 15_001), null);
  deepStrictEqual(names.lastDomain("198.51.100.1"), "b.example");
});

Deno.test("DnsNames ignores records outside the question's chain, follows no CNAME loop, and stays within its size", () => {
  const names = new DnsNames({ maxAddresses: 2 });
  names.add({
    question: "loop.example",
    qtype: "A",
    truncated: false,
    records: [
      { name: "loop.example", ttl: 60, type: "CNAME", data: "back.example" },
      { name: "back.example", ttl: 60, type: "CNAME", data: "loop.example" },
      { name: "other.example", ttl: 60, type: "A", data: "198.51.100.2" },
      { name: "back.example", ttl: 60, type: "A", data: "198.51.100.3" },
    ],
  }, 0);
  deepStrictEqual(names.lookup("198.51.100.2", 0), null);
  deepStrictEqual(names.lookup("198.51.100.3", 0)?.chain, ["loop.example", "back.example"]);
  for (const last of [4, 5, 6]) {
    names.add({
      question: `n${last}.example`,
      qtype: "A",
      truncated: false,
      records: [{ name: `n${last}.example`, ttl: 60, type: "A", data: `198.51.100.${last}` }],
    }, 0);
  }
  deepStrictEqual([names.size, names.lastDomain("198.51.100.4"), names.lastDomain("198.51.100.6")], [
    2,
    null,
    "n6.example",
  ]);
});
