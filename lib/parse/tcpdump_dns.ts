import type { DnsAnswer, DnsRecord } from "../model/dns_answer.ts";
import { normalizeIp } from "./endpoint.ts";
import { type SkippedLine, splitLines } from "./parse_result.ts";

/** What one line of `tcpdump -vvv` says about DNS. */
export type DnsLine =
  | { kind: "answer"; answer: DnsAnswer }
  /** Not a DNS response: an IP header line, a TCP segment without data, a query. */
  | { kind: "ignored" }
  | { kind: "skipped"; reason: string };

/** What {@linkcode parseTcpdumpDns} read from a capture. */
export interface DnsParseResult {
  answers: DnsAnswer[];
  skipped: SkippedLine[];
}

/**
 * The head of a response: id, opcode and rcode words, flags (`*` AA, `-` no RA,
 * `|` TC, `$` AD), then `q: TYPE? name. an/ns/ar`. Names are taken only when
 * they hold no space or comma: tcpdump prints such bytes as they are, and a
 * name made of them could pose as more records.
 */
const RESPONSE =
  / (\d{1,5})((?: [A-Za-z][A-Za-z0-9]*)*)([*\-|$]*)(?: \[\d+q\])? q: ([A-Za-z0-9]+)\? ([^\s,]+) (\d+)\/(\d+)\/(\d+)/;
const RECORD_HEAD = / ([^\s,]+)(?: \[((?:\d+[ywdhms])+)\])? ([A-Za-z0-9]+)/y;
const IPV4_DATA = / (\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})/y;
const IPV6_DATA = / ([0-9a-fA-F:.]+)/y;
const NAME_DATA = / ([^\s,]+)/y;
/** What may follow the last answer record: other sections, the length, a cut, or nothing. */
const AFTER_ANSWERS = /(?: ns:| ar:| \(\d+\)| \[\|domain\]|$)/y;
const CUT = " [|domain]";

const UNIT_SECONDS: Record<string, number> = { y: 31_536_000, w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };

/** `1d1h1m1s` (tcpdump's unsigned_relts_print) → seconds. */
function ttlSeconds(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([ywdhms])/g)) {
    total += Number(n) * (UNIT_SECONDS[unit ?? "s"] ?? 1);
  }
  return total;
}

function ttlOf(text: string | undefined): number | null {
  return text === undefined ? null : ttlSeconds(text);
}

/** A name as tcpdump printed it (`api.example.com.`), lower case and without the final dot. */
function nameOf(text: string): string {
  return (text.endsWith(".") ? text.slice(0, -1) : text).toLowerCase();
}

function matchAt(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at;
  return pattern.exec(text);
}

/**
 * Read one line of `tcpdump -n -l -vvv` on DNS traffic (tcpdump 4.99). A
 * response names the question after `q:` and lists its answer records with
 * their TTLs (`-vvv` adds the `[5m]`):
 *
 * ```text
 *     127.18.53.1.53 > 127.0.0.1.40501: [bad udp cksum 0x33ed -> 0x6f4a!] 27277 q: A? api.example.com. 4/0/0 api.example.com. [5m] CNAME api.cdn.example.net., api.cdn.example.net. [1m] CNAME edge.cdn.example.net., edge.cdn.example.net. [20s] A 203.0.113.7, edge.cdn.example.net. [20s] A 203.0.113.8 (191)
 * ```
 *
 * A, AAAA and CNAME records are read, in order, until a record of another
 * type. The TC flag (`62333| q:`) or a capture cut short (`[|domain]`) marks
 * the answer truncated: the records before the cut are kept. A response that
 * cannot be read whole — a name with a space or a comma in it, DNS over TCP
 * split across segments (`[prefix length(655) != length(38)] (invalid)`), a
 * cut before the first record — is skipped with a reason.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseDnsLine } from "./tcpdump_dns.ts";
 * const line = parseDnsLine("    10.255.255.53.53 > 192.0.2.2.57014: [bad udp cksum 0xcc84 -> 0x164f!] 54729 q: A? " +
 *   "registry.npmjs.org. 1/0/0 registry.npmjs.org. [1m] A 203.0.113.80 (52)");
 * deepStrictEqual(line.kind === "answer" && line.answer.records,
 *   [{ name: "registry.npmjs.org", ttl: 60, type: "A", data: "203.0.113.80" }]);
 * deepStrictEqual(parseDnsLine("14:39:40.680968 eth0  In  IP (tos 0x0, ttl 63, id 34725, offset 0, flags [DF], proto UDP (17), length 80)").kind, "ignored");
 * ```
 */
export function parseDnsLine(line: string): DnsLine {
  const head = RESPONSE.exec(line);
  if (head === null) {
    if (!/\.53 > \S+: /.test(line)) return { kind: "ignored" };
    if (line.includes("(invalid)")) {
      return { kind: "skipped", reason: "a DNS message split across TCP segments, or malformed" };
    }
    if (line.includes(CUT)) return { kind: "skipped", reason: "the capture was cut before the question" };
    return { kind: "ignored" };
  }
  const [, , , flags = "", qtype = "", questionText = "", anText = "0"] = head;
  let truncated = flags.includes("|");
  const records: DnsRecord[] = [];
  const answers = Number(anText);
  let at = head.index + head[0].length;
  for (let i = 0; i < answers; i++) {
    if (at >= line.length) return { kind: "skipped", reason: "the line ends before its last answer record" };
    if (i > 0 && !line.startsWith(CUT, at)) {
      if (line[at] !== ",") return { kind: "skipped", reason: "answer records that cannot be told apart" };
      at++;
    }
    if (line.startsWith(CUT, at)) {
      truncated = true;
      break;
    }
    const record = matchAt(RECORD_HEAD, line, at);
    const dataPattern = record === null
      ? null
      : record[3] === "A"
      ? IPV4_DATA
      : record[3] === "AAAA"
      ? IPV6_DATA
      : record[3] === "CNAME"
      ? NAME_DATA
      : undefined;
    // A record of another type (HTTPS, TXT, …): its text may hold anything; what came before is kept.
    if (dataPattern === undefined) break;
    const data = record === null || dataPattern === null
      ? null
      : matchAt(dataPattern, line, record.index + record[0].length);
    if (record === null || data === null) {
      // The capture ends inside this record: keep the ones before it.
      if (line.indexOf(CUT, at) >= 0) {
        truncated = true;
        break;
      }
      return { kind: "skipped", reason: "an answer record that cannot be read" };
    }
    const [, owner = "", ttlText, typeText = ""] = record;
    const type = typeText as DnsRecord["type"];
    let value = data[1] ?? "";
    if (type === "CNAME") {
      value = nameOf(value);
    } else {
      const ip = normalizeIp(value);
      if (ip === null) return { kind: "skipped", reason: `an ${type} record with a bad address` };
      value = ip.ip;
    }
    at = data.index + data[0].length;
    if (line.startsWith(CUT, at)) {
      // tcpdump prints an address whole or not at all, but a name up to the cut.
      if (type !== "CNAME") records.push({ name: nameOf(owner), ttl: ttlOf(ttlText), type, data: value });
      truncated = true;
      break;
    }
    records.push({ name: nameOf(owner), ttl: ttlOf(ttlText), type, data: value });
    if (i === answers - 1 && matchAt(AFTER_ANSWERS, line, at) === null) {
      return { kind: "skipped", reason: "more answer records than the count says" };
    }
  }
  if (line.includes(CUT)) truncated = true;
  return { kind: "answer", answer: { question: nameOf(questionText), qtype, records, truncated } };
}

/**
 * Read a capture of `tcpdump -n -l -vvv` on DNS traffic: every response, and
 * the lines that look like responses but could not be read, with why. See
 * {@linkcode parseDnsLine}.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseTcpdumpDns } from "./tcpdump_dns.ts";
 * const result = parseTcpdumpDns(
 *   "    127.18.53.2.53 > 127.0.0.1.39996: Flags [P.], length 40 [prefix length(655) != length(38)] (invalid)\n",
 * );
 * deepStrictEqual([result.answers.length, result.skipped.length], [0, 1]);
 * ```
 */
export function parseTcpdumpDns(text: string): DnsParseResult {
  const answers: DnsAnswer[] = [];
  const skipped: SkippedLine[] = [];
  for (const line of splitLines(text)) {
    const parsed = parseDnsLine(line);
    if (parsed.kind === "answer") answers.push(parsed.answer);
    else if (parsed.kind === "skipped") skipped.push({ line, reason: parsed.reason });
  }
  return { answers, skipped };
}
