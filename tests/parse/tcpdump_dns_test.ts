import { deepStrictEqual, ok } from "node:assert/strict";
import { parseDnsLine, parseTcpdumpDns } from "../../lib/parse/tcpdump_dns.ts";
import { fixture } from "../fixture.ts";

const LOOPBACK = "tcpdump-vvv-dns_loopback_tcpdump-4.99.3_debian12.txt";

Deno.test("parseTcpdumpDns() reads a CNAME chain with TTLs from a loopback resolver", () => {
  const { answers } = parseTcpdumpDns(fixture(LOOPBACK));
  const api = answers.find((a) => a.question === "api.example.com" && a.qtype === "A");
  deepStrictEqual(api, {
    question: "api.example.com",
    qtype: "A",
    truncated: false,
    records: [
      { name: "api.example.com", ttl: 300, type: "CNAME", data: "api.cdn.example.net" },
      { name: "api.cdn.example.net", ttl: 60, type: "CNAME", data: "edge.cdn.example.net" },
      { name: "edge.cdn.example.net", ttl: 20, type: "A", data: "203.0.113.7" },
      { name: "edge.cdn.example.net", ttl: 20, type: "A", data: "203.0.113.8" },
    ],
  });
  const aaaa = answers.find((a) => a.question === "api.example.com" && a.qtype === "AAAA");
  deepStrictEqual(aaaa?.records, [{ name: "api.example.com", ttl: 3600, type: "AAAA", data: "2001:db8::7" }]);
});

Deno.test("parseTcpdumpDns() reads DNS over TCP in one segment, and TC answers as truncated with their records", () => {
  const { answers } = parseTcpdumpDns(fixture(LOOPBACK));
  const big = answers.filter((a) => a.question === "big.example");
  // Over UDP the server set TC after 3 records; over TCP all 39 came (TTL 1d1h1m1s = 90061 s).
  deepStrictEqual(big.map((a) => [a.truncated, a.records.length]), [[true, 3], [false, 39]]);
  deepStrictEqual(big[1]?.records[38], {
    name: "big.example",
    ttl: 90_061,
    type: "A",
    data: "198.51.100.39",
  });
});

Deno.test("parseTcpdumpDns() counts DNS over TCP split across segments, hostile names and cut lines as skipped", () => {
  const { skipped } = parseTcpdumpDns(fixture(LOOPBACK));
  deepStrictEqual(skipped.map((s) => s.reason), [
    // evil.example: a CNAME to `x\x1b[31mred <b>.=cmd|a b,c.example.` (spaces and a comma in the name).
    "answer records that cannot be told apart",
    // split.example over TCP, sent in two writes: tcpdump cannot read the first segment…
    "a DNS message split across TCP segments, or malformed",
    // comma.example: a CNAME whose name pretends to be `, z.example. [30s] A 6.6.6.6` more records.
    "more answer records than the count says",
    // …nor the second.
    "a DNS message split across TCP segments, or malformed",
    // The last line, cut short by hand as a killed tcpdump leaves it.
    "the line ends before its last answer record",
  ]);
});

Deno.test("parseTcpdumpDns() never learns the address a hostile name pretends to hold", () => {
  const { answers } = parseTcpdumpDns(fixture(LOOPBACK));
  const learnt = answers.flatMap((a) => a.records.map((r) => r.data));
  ok(!learnt.includes("6.6.6.6"));
  ok(!learnt.includes("198.51.100.66"), "evil.example's answer is skipped whole");
  // Bytes tcpdump prints as M-x and ^X are printable text by then; they stay, to be made safe where shown.
  const hi = answers.find((a) => a.question === "hi.example");
  deepStrictEqual(hi?.records.map((r) => r.data), ["m-cm-)tm-i^@^?.example", "198.51.100.78"]);
});

Deno.test("parseTcpdumpDns() keeps the complete records of an answer cut by the snapshot length", () => {
  const { answers, skipped } = parseTcpdumpDns(
    fixture("tcpdump-vvv-s130-dns_loopback_tcpdump-4.99.3_debian12.txt"),
  );
  const api = answers.find((a) => a.question === "api.example.com" && a.qtype === "A");
  // `CNAME api.cdn.example. [|domain]`: the cut target is not kept.
  deepStrictEqual(api, {
    question: "api.example.com",
    qtype: "A",
    truncated: true,
    records: [{ name: "api.example.com", ttl: 300, type: "CNAME", data: "api.cdn.example.net" }],
  });
  const tcp = answers.filter((a) => a.question === "big.example");
  deepStrictEqual(tcp.map((a) => [a.truncated, a.records.length]), [[true, 3], [true, 1]]);
  // An HTTPS (Type65) question, seen in the same capture from a browser's resolver, has no records to learn.
  ok(answers.some((a) => a.qtype === "Type65" && a.records.length === 0));
  deepStrictEqual(skipped.map((s) => s.reason), ["answer records that cannot be told apart"]);
});

Deno.test("parseTcpdumpDns() reads a real resolver's answers, EDNS and NXDOMAIN included", () => {
  const { answers, skipped } = parseTcpdumpDns(
    fixture("tcpdump-vvv-dns_resolver_tcpdump-4.99.3_debian12.txt"),
  );
  deepStrictEqual(skipped, []);
  deepStrictEqual(answers.map((a) => [a.question, a.qtype, a.records.map((r) => r.data).join(",")]), [
    ["registry.npmjs.org", "A", "203.0.113.80"],
    ["registry.npmjs.org", "AAAA", ""],
    ["github.com", "A", ""],
    ["github.com", "AAAA", ""],
    ["registry.npmjs.org", "A", "203.0.113.80"],
  ]);
});

Deno.test("parseTcpdumpDns() reads IPv6 answers printed on one line", () => {
  const { answers } = parseTcpdumpDns(fixture("tcpdump-vvv-dns_ipv6_tcpdump-4.99.3_debian12.txt"));
  deepStrictEqual(answers.find((a) => a.question === "api.example.com")?.records.at(-1)?.data, "203.0.113.8");
});

Deno.test("parseDnsLine() ignores headers, queries and TCP segments without data; reads records of other types up to them", () => {
  deepStrictEqual(
    parseDnsLine(
      "    127.0.0.1.44616 > 127.18.53.1.53: [bad udp cksum 0x334f -> 0x4bab!] 36646+ A? api.example.com. (33)",
    ),
    { kind: "ignored" },
  );
  deepStrictEqual(
    parseDnsLine("    127.18.53.1.53 > 127.0.0.1.50812: Flags [F.], seq 656, ack 32, win 64, length 0"),
    {
      kind: "ignored",
    },
  );
  const mixed = parseDnsLine(
    "    10.0.0.53.53 > 10.0.0.2.40000: 7 q: A? www.example.org. 2/0/0 www.example.org. [1m] A 198.51.100.4, " +
      'www.example.org. [1m] TXT "a, b" (80)',
  );
  deepStrictEqual(mixed.kind === "answer" && mixed.answer.records.map((r) => r.data), ["198.51.100.4"]);
  deepStrictEqual(
    parseDnsLine("    10.0.0.53.53 > 10.0.0.2.40000: 7 q: A? x.example. 1/0/0 x.example. A 300.1.1.1 (1)"),
    {
      kind: "skipped",
      reason: "an A record with a bad address",
    },
  );
  deepStrictEqual(parseDnsLine("    10.0.0.53.53 > 10.0.0.2.40000: 7 [|domain]"), {
    kind: "skipped",
    reason: "the capture was cut before the question",
  });
});
