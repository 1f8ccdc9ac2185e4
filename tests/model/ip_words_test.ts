import { deepStrictEqual } from "node:assert/strict";
import ipaddr from "ipaddr.js";
import { bigintToWords, ipWords, wordsToBigint } from "../../lib/model/ip_words.ts";

/** What ipaddr.js makes of the text, in ipWords' terms. */
function reference(text: string): [number, number[]] {
  const bare = text.split("%")[0] as string;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) {
    return [4, [ipaddr.IPv4.parse(bare).toByteArray().reduce((n, b) => n * 256 + b, 0)]];
  }
  if (bare.includes("%")) return [0, []];
  // One parse, not isValid() and then parse(): ipaddr.js reads with regular expressions, and this runs
  // 200,000 times.
  let parsed: ipaddr.IPv6;
  try {
    parsed = ipaddr.IPv6.parse(bare);
  } catch {
    return [0, []];
  }
  if (parsed.isIPv4MappedAddress()) return reference(parsed.toIPv4Address().toString());
  const p = parsed.parts;
  return [6, [0, 2, 4, 6].map((i) => ((p[i] as number) * 65536 + (p[i + 1] as number)) >>> 0)];
}

function parsed(text: string): [number, number[]] {
  const out = new Uint32Array(4);
  const family = ipWords(text, out);
  return [family, family === 0 ? [] : [...out.subarray(0, family === 4 ? 1 : 4)]];
}

Deno.test("ipWords() agrees with ipaddr.js on edge text: compressed, uncompressed, upper case, IPv4 tails, zones", () => {
  const cases = [
    "::",
    "::1",
    "1::",
    "2001:db8::",
    "2001:0db8:0000:0000:0000:0000:0000:0001",
    "2001:DB8::A:b:C",
    "2001::ffff:ffff:ffff:ffff:ffff:ffff", // the non-canonical `::` for one zero group, as in the CSVs
    "2001:218:4001::ffff:ffff:ffff:ffff",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "::ffff:8.8.8.8",
    "::FFFF:8.8.8.8",
    "0:0:0:0:0:ffff:808:808",
    "::ffff:0808:0808",
    "64:ff9b::1.2.3.4",
    "fe80::1%eth0",
    "0.0.0.0",
    "255.255.255.255",
    "8.8.8.8",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    // not addresses
    "",
    ":",
    ":::",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "12345::",
    "1:",
    ":1",
    "2001:db8::g",
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.4:80",
    "::ffff:1.2.3.256",
    "1:2:3:4:5:6:7:1.2.3.4",
    "example.com",
    " 8.8.8.8",
  ];
  for (const text of cases) deepStrictEqual(parsed(text), reference(text), text);
  // ipaddr.js reads the deprecated IPv4-compatible form as IPv4-mapped; RFC 4291 says it is ::102:304.
  deepStrictEqual(parsed("::1.2.3.4"), [6, [0, 0, 0, 0x01020304]]);
});

/** Compare with the reference; the costly deep comparison only runs, to report it, when they differ. */
function agrees(text: string): void {
  const [family, words] = parsed(text);
  const [refFamily, refWords] = reference(text);
  if (family !== refFamily || words.join() !== refWords.join()) {
    deepStrictEqual([family, words], [refFamily, refWords], text);
  }
}

Deno.test("ipWords() agrees with ipaddr.js on 50,000 random addresses in every spelling", () => {
  const random16 = () => Math.floor(Math.random() * 65536);
  for (let i = 0; i < 50_000; i++) {
    const groups = Array.from({ length: 8 }, () => (Math.random() < 0.3 ? 0 : random16()));
    const address = ipaddr.IPv6.parse(groups.map((g) => g.toString(16)).join(":"));
    const spellings = [
      address.toString(),
      address.toNormalizedString(),
      address.toNormalizedString().split(":").map((g) => g.padStart(4, "0")).join(":"),
    ];
    if (i % 10 === 0) spellings.push(address.toString().toUpperCase());
    for (const text of spellings) agrees(text);
    const v4 = [random16() & 255, random16() & 255, random16() & 255, random16() & 255].join(".");
    agrees(v4);
    const [mappedFamily, mappedWords] = parsed(`::ffff:${v4}`);
    const [v4Family, v4Words] = reference(v4);
    if (mappedFamily !== v4Family || mappedWords.join() !== v4Words.join()) {
      deepStrictEqual([mappedFamily, mappedWords], [v4Family, v4Words], `::ffff:${v4}`);
    }
  }
});

Deno.test("wordsToBigint() and bigintToWords() are inverses", () => {
  const out = new Uint32Array(4);
  for (const value of [0n, 1n, (1n << 128n) - 1n, 0x20014860486000000000000000008888n]) {
    bigintToWords(value, out);
    deepStrictEqual(wordsToBigint(out), value);
  }
});
