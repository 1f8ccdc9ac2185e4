/**
 * lib/model/ip_address.ts against ipaddr.js, the library it replaced, as the oracle: on generated addresses in
 * every spelling, on random damage to them and on hostile text. Wherever ours reads an address, ipaddr.js reads
 * the same one (family, groups, zone, text, range name, unmapped text); wherever ipaddr.js reads one and ours
 * does not, the text is one of the loose IPv4 spellings ours refuses on purpose. The one documented difference
 * (`::a.b.c.d`) is checked as such.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import ipaddr from "ipaddr.js";
import {
  canonicalIp,
  type IpAddress,
  ipBytes,
  ipRange,
  ipText,
  isIpv4Mapped,
  parseCidr,
  parseIp,
  parseIpv4,
  parseIpv6,
  processIp,
  specialRanges,
  unmapIp,
} from "../../lib/model/ip_address.ts";
import { campaign, type Fuzz } from "../fuzz/_fuzz.ts";

type Library = ipaddr.IPv4 | ipaddr.IPv6;

function fromLibrary(address: Library): IpAddress {
  if (address.kind() === "ipv4") {
    return { family: 4, value: (address as ipaddr.IPv4).octets.reduce((n, b) => n * 256 + b, 0) };
  }
  const v6 = address as ipaddr.IPv6;
  return { family: 6, groups: [...v6.parts], zone: v6.zoneId ?? "" };
}

function libraryParse(text: string): Library | null {
  return ipaddr.isValid(text) ? ipaddr.parse(text) : null;
}

/** The four-part decimal IPv4 inet_pton reads: what ours takes where ipaddr.js takes more. */
const STRICT_V4 = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;
/** ipaddr.js reads `::a.b.c.d` as `::ffff:a.b.c.d`; RFC 4291 (and ours) as `::` with the IPv4 in the last groups. */
const COMPATIBLE = /^::(\d+\.\d+\.\d+\.\d+)(%[0-9a-z]+)?$/i;

/** ipaddr.js read `text` and ours did not: only right when the IPv4 (alone or as an IPv6 tail) is a loose spelling. */
function isLooseIpv4Spelling(text: string): boolean {
  const bare = text.split("%")[0] ?? "";
  const tail = bare.slice(bare.lastIndexOf(":") + 1);
  return (tail.includes(".") || !text.includes(":")) && !STRICT_V4.test(tail);
}

function sameAddress(ours: IpAddress, library: Library, text: string): void {
  const expected = fromLibrary(library);
  if (COMPATIBLE.test(text)) {
    const g = (expected as { groups: readonly number[] }).groups;
    deepStrictEqual(g.slice(0, 6), [0, 0, 0, 0, 0, 0xffff], text);
    deepStrictEqual(ours, {
      family: 6,
      groups: [0, 0, 0, 0, 0, 0, g[6], g[7]],
      zone: expected.family === 6 ? expected.zone : "",
    }, text);
    return;
  }
  deepStrictEqual(ours, expected, text);
  deepStrictEqual(ipText(ours), library.toString(), text);
  deepStrictEqual(ipRange(ours), library.range(), text);
  deepStrictEqual(ipBytes(ours), library.toByteArray(), text);
  const mapped = library.kind() === "ipv6" && (library as ipaddr.IPv6).isIPv4MappedAddress();
  deepStrictEqual(isIpv4Mapped(ours), mapped, text);
  const processed = ipaddr.process(text);
  deepStrictEqual(unmapIp(ours), fromLibrary(processed), text);
  deepStrictEqual(canonicalIp(text), processed.toString(), text);
  deepStrictEqual(ipRange(processIp(text)!), processed.range(), text);
}

/** Every reader of ours against ipaddr.js's on one text. Returns whether ours read it as an address. */
function agrees(text: string): boolean {
  const ours = parseIp(text);
  const library = libraryParse(text);
  if (ours !== null) {
    ok(library !== null, `ours read ${JSON.stringify(text)}, ipaddr.js did not`);
    sameAddress(ours, library, text);
  } else if (library !== null) {
    ok(
      isLooseIpv4Spelling(text),
      `ipaddr.js read ${JSON.stringify(text)} as ${library.toString()}, ours did not`,
    );
  }
  ok(canonicalIp(text) === (ours === null ? null : ipText(unmapIp(ours))), text);

  const v4 = parseIpv4(text);
  const fourPart = ipaddr.IPv4.isValidFourPartDecimal(text);
  deepStrictEqual(v4 >= 0, fourPart, `parseIpv4 ${JSON.stringify(text)}`);
  if (fourPart) deepStrictEqual(v4, (fromLibrary(ipaddr.IPv4.parse(text)) as { value: number }).value, text);

  const v6 = parseIpv6(text);
  deepStrictEqual(v6, ours?.family === 6 ? ours : null, `parseIpv6 ${JSON.stringify(text)}`);
  if (v6 === null && ipaddr.IPv6.isValid(text)) ok(isLooseIpv4Spelling(text), `IPv6 ${JSON.stringify(text)}`);

  const cidr = parseCidr(text);
  const libraryCidr = ipaddr.isValidCIDR(text) ? ipaddr.parseCIDR(text) : null;
  if (cidr !== null) {
    ok(libraryCidr !== null, `ours read CIDR ${JSON.stringify(text)}, ipaddr.js did not`);
    deepStrictEqual(cidr.bits, libraryCidr[1], text);
    sameAddress(cidr.address, libraryCidr[0], text.slice(0, text.lastIndexOf("/")));
  } else if (libraryCidr !== null) {
    ok(
      isLooseIpv4Spelling(text.slice(0, text.lastIndexOf("/"))),
      `ipaddr.js read CIDR ${JSON.stringify(text)}`,
    );
  }
  return ours !== null;
}

const HEX = "0123456789abcdef";

function randomGroups(fuzz: Fuzz): number[] {
  const zeroChance = fuzz.pick([0, 0.2, 0.5, 0.8]);
  return Array.from(
    { length: 8 },
    () => (fuzz.chance(zeroChance) ? 0 : fuzz.pick([1, 0xffff, fuzz.int(65536), fuzz.int(256)])),
  );
}

function groupText(fuzz: Fuzz, group: number): string {
  let text = group.toString(16);
  if (fuzz.chance(0.2)) text = text.padStart(1 + fuzz.int(4), "0");
  if (fuzz.chance(0.2)) text = text.toUpperCase();
  return text;
}

function dottedText(fuzz: Fuzz, value: number, loose: boolean): string {
  const octets = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
  if (!loose) return octets.join(".");
  switch (fuzz.int(6)) {
    case 0:
      return octets.map((o) => (fuzz.chance(0.5) ? `0${o.toString(8)}` : String(o))).join(".");
    case 1:
      return octets.map((o) => (fuzz.chance(0.5) ? `0x${o.toString(16)}` : String(o))).join(".");
    case 2:
      return `${octets[0]}.${octets[1]}.${(octets[2]! << 8) | octets[3]!}`;
    case 3:
      return `${octets[0]}.${value & 0xffffff}`;
    case 4:
      return String(value);
    default:
      return octets.map((o) => (fuzz.chance(0.5) ? String(o).padStart(3, "0") : String(o))).join(".");
  }
}

/** One spelling of the groups: compressed at any run of zeros (not only the longest), any case, any padding. */
function ipv6Spelling(fuzz: Fuzz, groups: number[]): string {
  const tail = fuzz.chance(0.2);
  const count = tail ? 6 : 8;
  const texts = groups.slice(0, count).map((g) => groupText(fuzz, g));
  if (tail) texts.push(dottedText(fuzz, groups[6]! * 65536 + groups[7]!, fuzz.chance(0.2)));
  let text = texts.join(":");
  const runs: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    if (groups[i] !== 0) continue;
    for (let end = i + 1; end <= count && groups[end - 1] === 0; end++) runs.push([i, end]);
  }
  if (runs.length > 0 && fuzz.chance(0.7)) {
    const [from, to] = fuzz.pick(runs);
    const before = texts.slice(0, from).join(":");
    const after = texts.slice(to).join(":");
    text = `${before}::${after}`;
  }
  if (fuzz.chance(0.15)) {
    text += "%" +
      fuzz.pick(["eth0", "ETH0", "1", "lo", "wlp2s0", "eth0.100", "br-lan", "", "veth_1", "%", "é"]);
  }
  return text;
}

function ipv4Spelling(fuzz: Fuzz): string {
  const value = fuzz.pick([0, 0xffffffff, 0x7f000001, fuzz.int(2 ** 32), fuzz.int(2 ** 32)]);
  if (fuzz.chance(0.1)) {
    return fuzz.pick(["256.1.1.1", "1.2.3.999", "1.2.3.1000", "4294967296", "1.2.3.4.5", "1..2.3"]);
  }
  return dottedText(fuzz, value, fuzz.chance(0.25));
}

const DAMAGE = [
  ":",
  "::",
  ".",
  "%",
  "/",
  "0",
  "00",
  "f",
  "F",
  "g",
  "x",
  "0x",
  " ",
  "-",
  "[",
  "]",
  "1",
  "255",
  "256",
];

function damaged(fuzz: Fuzz, text: string): string {
  let out = text;
  for (let edits = 1 + fuzz.int(3); edits > 0; edits--) {
    const at = fuzz.int(out.length + 1);
    switch (fuzz.int(4)) {
      case 0:
        out = out.slice(0, at) + fuzz.pick(DAMAGE) + out.slice(at);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + 1 + fuzz.int(3));
        break;
      case 2:
        out = out.slice(0, at) + fuzz.text(3) + out.slice(at);
        break;
      default:
        out = out.slice(0, at) + HEX[fuzz.int(16)]! + out.slice(at + 1);
    }
  }
  return out;
}

Deno.test("parseIp() and the rest agree with ipaddr.js on generated IPv4 and IPv6 in every spelling, and on damage to them", async () => {
  let read = 0;
  let refused = 0;
  const tried = await campaign("ip_address", 5_000, (fuzz) => {
    const spellings = [ipv6Spelling(fuzz, randomGroups(fuzz)), ipv4Spelling(fuzz)];
    const mapped = [0, 0, 0, 0, 0, 0xffff, fuzz.int(65536), fuzz.int(65536)];
    spellings.push(ipv6Spelling(fuzz, mapped));
    for (const text of [...spellings]) {
      spellings.push(damaged(fuzz, text));
      spellings.push(`${text}/${fuzz.pick([0, 1, 8, 24, 32, 33, 64, 96, 120, 128, 129, fuzz.int(200)])}`);
    }
    spellings.push(`${spellings[0]}/0${fuzz.int(130)}`, `${spellings[1]}/${fuzz.number()}`);
    for (const text of spellings) {
      if (agrees(text)) read++;
      else refused++;
    }
  });
  // Both sides of the comparison were exercised: a generator that only made junk could not pass for agreement.
  ok(read > tried && refused > tried, `read ${read}, refused ${refused} of ${read + refused}`);
});

Deno.test("parseIp() reads every canonical address ipaddr.js writes, and writes it back the same", async () => {
  await campaign("ip_address canonical", 20_000, (fuzz) => {
    const library = new ipaddr.IPv6(randomGroups(fuzz));
    for (
      const text of [
        library.toString(),
        library.toNormalizedString(),
        library.parts.map((g) => g.toString(16).padStart(4, "0")).join(":"),
      ]
    ) {
      const ours = parseIp(text);
      ok(ours !== null, text);
      deepStrictEqual(ipText(ours), library.toString(), text);
    }
    const v4 = new ipaddr.IPv4([fuzz.int(256), fuzz.int(256), fuzz.int(256), fuzz.int(256)]);
    deepStrictEqual(canonicalIp(v4.toString()), v4.toString());
    deepStrictEqual(canonicalIp(v4.toIPv4MappedAddress().toString()), v4.toString());
  });
});

Deno.test("ipRange() names the edges of every special block as ipaddr.js does", () => {
  for (const family of [4, 6] as const) {
    for (const block of specialRanges(family)) {
      const bits = family === 4 ? 32 : 128;
      const first = family === 4
        ? BigInt((block.address as { value: number }).value)
        : (block.address as { groups: readonly number[] }).groups.reduce(
          (n, g) => (n << 16n) | BigInt(g),
          0n,
        );
      const last = first + (1n << BigInt(bits - block.bits)) - 1n;
      for (const value of [first - 1n, first, first + 1n, (first + last) / 2n, last - 1n, last, last + 1n]) {
        if (value < 0n || value >= 1n << BigInt(bits)) continue;
        const text = family === 4
          ? ipaddr.fromByteArray([24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 255n))).toString()
          : new ipaddr.IPv6(
            Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - i * 16)) & 0xffffn)),
          )
            .toString();
        agrees(text);
        deepStrictEqual(ipRange(parseIp(text)!), ipaddr.parse(text).range(), text);
      }
    }
  }
});

Deno.test("specialRanges() are ipaddr.js's SpecialRanges, block for block and in its order", () => {
  for (const [family, prototype] of [[4, ipaddr.IPv4.prototype], [6, ipaddr.IPv6.prototype]] as const) {
    const table =
      (prototype as unknown as { SpecialRanges: Record<string, [Library, number] | [Library, number][]> })
        .SpecialRanges;
    const expected: string[] = [];
    for (const [name, entry] of Object.entries(table)) {
      const blocks = Array.isArray(entry[0]) ? entry as [Library, number][] : [entry as [Library, number]];
      for (const [address, bits] of blocks) expected.push(`${name} ${address.toString()}/${bits}`);
    }
    const ours = specialRanges(family).map((block) => `${block.name} ${ipText(block.address)}/${block.bits}`);
    deepStrictEqual(ours, expected);
  }
});

Deno.test("parseIp() refuses loose IPv4 spellings ipaddr.js reads, and reads ::a.b.c.d as RFC 4291 does", () => {
  const loose: [string, string][] = [
    ["010.0.0.1", "8.0.0.1"],
    ["0177.0.0.1", "127.0.0.1"],
    ["127.1", "127.0.0.1"],
    ["0x7f.0.0.1", "127.0.0.1"],
    ["0X7F.1", "127.0.0.1"],
    ["2130706433", "127.0.0.1"],
    ["80", "0.0.0.80"],
    ["1.2.3.04", "1.2.3.4"],
    ["10.0.0.00", "10.0.0.0"],
    ["::ffff:010.1.1.1", "10.1.1.1"],
    ["::ffff:0x7f.0.0.1", "127.0.0.1"],
  ];
  for (const [text, libraryReads] of loose) {
    deepStrictEqual(ipaddr.process(text).toString(), libraryReads, text);
    deepStrictEqual([parseIp(text), canonicalIp(text), parseCidr(`${text}/8`)], [null, null, null], text);
    ok(isLooseIpv4Spelling(text), text);
  }
  deepStrictEqual(ipaddr.process("::1.2.3.4").toString(), "1.2.3.4");
  deepStrictEqual(canonicalIp("::1.2.3.4"), "::102:304");
  deepStrictEqual(canonicalIp("0::1.2.3.4"), ipaddr.process("0::1.2.3.4").toString());
});

Deno.test("parseIp() on hostile text: zones, controls, other digits, edges of the grammar, long input", () => {
  const read: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["0001::", "1::"],
    ["fe80::1%eth0", "fe80::1%eth0"],
    ["FE80::1%ETH0", "fe80::1%ETH0"],
    ["::%1", "::%1"],
    ["::ffff:1.2.3.4%eth0", "1.2.3.4"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4"],
    ["255.255.255.255", "255.255.255.255"],
  ];
  for (const [text, canonical] of read) {
    ok(agrees(text), text);
    deepStrictEqual(canonicalIp(text), canonical, text);
  }
  const refused = [
    "",
    " ",
    ":",
    ":::",
    "1:",
    ":1",
    "1::2::3",
    "1:2:3:4:5:6:7:8::",
    "1::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "12345::",
    "00001::",
    "1:2:3:4:5:6::1.2.3.4",
    "1:2:3:4:5:6:7:1.2.3.4",
    "::ffff:1.2.3",
    "::ffff:256.1.1.1",
    "::1.2.3.4:5",
    "fe80::1%",
    "fe80::1%%1",
    "fe80::1%eth0.100",
    "fe80::1%br-lan",
    "fe80::1%eth0\n",
    "fe80::1%e\u0301",
    "%eth0",
    "1.2.3.4%eth0",
    "[::1]",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4\n",
    "1.2.3.4\x00",
    "1.2.3.4.",
    ".1.2.3.4",
    "1.2.3.4.5",
    "256.1.1.1",
    "-1.2.3.4",
    "+1.2.3.4",
    "1e3.1.1.1",
    "\uff11.\uff12.\uff13.\uff14",
    "\u0661.\u0662.\u0663.\u0664",
    "::\uff11",
    "1.2.3.4\u202e",
    "\x1b[2J::1",
    "localhost",
    "example.com",
    "g::1",
    "1:2:3:4:5:6:7:8/64",
  ];
  for (const text of refused) {
    agrees(text);
    deepStrictEqual(
      [parseIp(text), parseIpv6(text), canonicalIp(text)],
      [null, null, null],
      JSON.stringify(text),
    );
  }
  // Linear in the input, whatever it is: a long hostile line is refused, not backtracked over.
  for (
    const text of ["1:".repeat(50_000), "1.".repeat(50_000), ":".repeat(100_000), "::" + "1".repeat(100_000)]
  ) {
    deepStrictEqual(parseIp(text), null);
  }
});

Deno.test("parseCidr() reads prefix lengths as ipaddr.js does, leading zeros too, and nothing else", () => {
  const cases: [string, [string, number] | null][] = [
    ["10.0.0.0/8", ["10.0.0.0", 8]],
    ["10.0.0.0/08", ["10.0.0.0", 8]],
    ["10.0.0.0/0", ["10.0.0.0", 0]],
    ["10.0.0.0/32", ["10.0.0.0", 32]],
    ["::/0", ["::", 0]],
    ["::ffff:10.0.0.0/104", ["::ffff:a00:0", 104]],
    ["fe80::%eth0/64", ["fe80::%eth0", 64]],
    ["10.0.0.0/33", null],
    ["::/129", null],
    ["10.0.0.0/", null],
    ["/8", null],
    ["10.0.0.0/ 8", null],
    ["10.0.0.0/+8", null],
    ["10.0.0.0/8/8", null],
    ["10.0.0.0/8 ", null],
    ["10.0.0.0/99999999999999999999", null],
    ["10.0.0.0/\uff18", null],
  ];
  for (const [text, expected] of cases) {
    agrees(text);
    const cidr = parseCidr(text);
    deepStrictEqual(cidr === null ? null : [ipText(cidr.address), cidr.bits], expected, text);
  }
});
