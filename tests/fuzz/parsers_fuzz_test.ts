/**
 * Campaign class "parsers": real captures (tests/fixtures) mutated — bytes
 * flipped, lines cut, doubled and spliced with controls, fields replaced by
 * hostile numbers — fed to every parser. A parser returns what it read and
 * what it skipped, or throws SyntaxError for output that is not its tool's
 * at all; nothing else. Whatever it returns has valid ports and addresses.
 */
import { ok } from "node:assert/strict";
import ipaddr from "ipaddr.js";
import { parseSs } from "../../lib/parse/ss.ts";
import { parseNetstat } from "../../lib/parse/netstat.ts";
import { parseLsof } from "../../lib/parse/lsof.ts";
import { parseLsofTable } from "../../lib/parse/lsof_table.ts";
import { parseProcNet } from "../../lib/parse/proc_net.ts";
import { parseBlocklist } from "../../lib/parse/blocklist.ts";
import { parseIpList } from "../../lib/parse/ip_list.ts";
import { parseGeoCsv } from "../../lib/parse/geo_csv.ts";
import { parseGetProcessCsv, parseTasklistCsv } from "../../lib/parse/windows_processes.ts";
import {
  parseProcessFolders,
  parseProcessStats,
  parseSocketLinks,
  SocketLinksReader,
} from "../../lib/parse/socket_walk.ts";
import { deepStrictEqual } from "node:assert/strict";
import type { ParseResult } from "../../lib/parse/parse_result.ts";
import { fixture } from "../fixture.ts";
import { campaign } from "./_fuzz.ts";

const SOCKET_PARSERS: [string, (text: string) => ParseResult, string[]][] = [
  ["ss", parseSs, [
    "ss-tunapeH_iproute2-6.1_debian12.txt",
    "ss-tunap_iproute2-6.1.txt",
    "ss-tupna_old-iproute2.txt",
    "ss-wide_new-header.txt",
  ]],
  ["netstat", parseNetstat, [
    "netstat-tunapeW_net-tools-2.10_debian12.txt",
    "netstat-anv-p-tcp_macos26.txt",
    "netstat-An_macos10.14.txt",
    "netstat-ano_windows10.txt",
  ]],
  ["lsof -F", parseLsof, ["lsof-F_lsof-4.95_debian12.txt"]],
  ["lsof table", parseLsofTable, ["lsof-i-n-P_lsof-4.95.txt", "lsof-n-P-i_rows.txt"]],
  ["/proc/net/tcp", (text) => parseProcNet(text, { protocol: "TCP", family: 4 }), [
    "proc-net-tcp_debian12.txt",
  ]],
  ["/proc/net/tcp6", (text) => parseProcNet(text, { protocol: "TCP", family: 6 }), [
    "proc-net-tcp6_debian12.txt",
  ]],
];

function validPort(port: number | null): boolean {
  return port === null || (Number.isInteger(port) && port >= 0 && port <= 65535);
}

function validAddress(ip: string | null): boolean {
  return ip === null || ipaddr.isValid(ip);
}

function tryParse<T>(parse: () => T): T | null {
  try {
    return parse();
  } catch (error) {
    ok(error instanceof SyntaxError, `threw ${error instanceof Error ? error.stack : error}`);
    return null;
  }
}

Deno.test("fuzz parsers: mutated captures give sockets with valid addresses and ports, or a SyntaxError, never a crash", async () => {
  let tried = 0;
  for (const [name, parse, files] of SOCKET_PARSERS) {
    const captures = files.map(fixture);
    tried += await campaign(`parsers/${name}`, 200, (fuzz) => {
      const text = fuzz.mutate(fuzz.pick(captures));
      const result = tryParse(() => parse(text));
      if (result === null) return;
      for (const socket of result.sockets) {
        ok(validPort(socket.local_port) && validPort(socket.remote_port), JSON.stringify(socket));
        ok(validAddress(socket.local_ip) && validAddress(socket.remote_ip), JSON.stringify(socket));
      }
      for (const skipped of result.skipped) ok(typeof skipped.reason === "string" && skipped.reason !== "");
    });
  }
  ok(tried >= 1000, `${tried} inputs`);
});

Deno.test("fuzz parsers: mutated block lists, filter lists, GeoIP CSVs and tasklist output read or skip every line", async () => {
  const lists = [...Deno.readDirSync(new URL("../fixtures/blocklists/", import.meta.url))].filter((entry) =>
    entry.isFile
  ).map((entry) => fixture(`blocklists/${entry.name}`));
  const geo =
    '1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."\n8.8.8.0,8.8.8.255,US\n2001:200::,2001:200:ffff::,2500,"WIDE ""x"""\n';
  const tasklist = fixture("tasklist-FO-CSV-NH_handwritten.txt");
  await campaign("parsers/lists", 300, (fuzz) => {
    const text = fuzz.mutate(fuzz.pick(lists), 1 + fuzz.int(10));
    const list = parseBlocklist(text);
    ok(list.v4.starts.length === list.v4.ends.length && list.v4.ends.length === list.v4.lines.length);
    for (let i = 0; i < list.v4.starts.length; i++) ok((list.v4.starts[i] ?? 0) <= (list.v4.ends[i] ?? 0));
    ok(list.skipped.length <= list.skippedCount);
    ok(list.v6.every((r) => r.first <= r.last));
    const ips = parseIpList(text);
    ok(ips.entries.every((e) => e.first.length === e.last.length));
  });
  await campaign("parsers/geo-csv", 300, (fuzz) => {
    let rows = 0;
    const result = parseGeoCsv(fuzz.mutate(geo, 1 + fuzz.int(8)), {
      country: () => void rows++,
      asn: () => void rows++,
    });
    ok(result.rows === rows && result.skipped >= 0 && result.examples.length <= 5);
  });
  await campaign("parsers/tasklist", 200, (fuzz) => {
    const names = parseTasklistCsv(fuzz.mutate(tasklist));
    for (const pid of names.keys()) ok(Number.isInteger(pid) && pid >= 0, String(pid));
    const paths = parseGetProcessCsv(
      fuzz.mutate('"Id","Path"\r\n"1712","C:\\Windows\\svchost.exe"\r\n"4",""\r\n'),
    );
    for (const pid of paths.keys()) ok(Number.isInteger(pid) && pid >= 0, String(pid));
  });
});

Deno.test("fuzz parsers: a mutated walk of the descriptors (find, cat) reads the same in any chunks, with valid pids and inodes", async () => {
  const walk = "/proc/1/fd\n/proc/905/fd\n2558470\n18837\n/proc/11600/fd\n18837\n12214384\n/proc/77/fd\n";
  const tail = " S 1 905 905 0 -1 4194560 93 0 0 0 0 0 0 0 20 0 1 0\n";
  const stats = `1 (systemd)${tail}905 (sshd)${tail}11600 (Web Content)${tail}77 (a) b\n1 (c)${tail}`;
  const folders = "1\n905\n11600\n77\n";
  await campaign("parsers/socket-walk", 300, (fuzz) => {
    const text = fuzz.mutate(walk, 1 + fuzz.int(8));
    const whole = parseSocketLinks(text);
    for (const [inode, pid] of whole.pids.toMap()) {
      ok(Number.isSafeInteger(inode) && inode > 0 && Number.isSafeInteger(pid) && pid > 0, `${inode} ${pid}`);
    }
    for (const skipped of whole.skipped) ok(skipped.reason !== "" && skipped.line.length <= 65);
    // Split at random byte boundaries (a multibyte character too): the same result.
    const bytes = new TextEncoder().encode(text);
    const reader = new SocketLinksReader();
    for (let at = 0; at < bytes.length;) {
      const size = 1 + fuzz.int(40);
      reader.push(bytes.subarray(at, at + size));
      at += size;
    }
    const read = reader.end();
    deepStrictEqual([read.pids.toMap(), read.folders, read.skipped], [
      whole.pids.toMap(),
      whole.folders,
      whole.skipped,
    ]);
    // A name is at most what a stat line can hold between its parentheses; a pid is a whole positive number.
    for (const [pid, name] of parseProcessStats(fuzz.mutate(stats, 1 + fuzz.int(8)))) {
      ok(Number.isSafeInteger(pid) && pid > 0 && name.length <= 64, `${pid} ${name}`);
    }
    for (const pid of parseProcessFolders(fuzz.mutate(folders, 1 + fuzz.int(8)))) {
      ok(Number.isSafeInteger(pid) && pid > 0, String(pid));
    }
  });
});

Deno.test("fuzz parsers: mutated ss listings read the same by the common-row reader as by the general way", async () => {
  // A leading space, which ss never prints, sends a row the general way (tab-led lines are -i information).
  const generalWay = (text: string) =>
    text.split("\n").map((line) => line.startsWith("\t") ? line : ` ${line}`).join("\n");
  const readOf = (text: string, spaced: boolean) => {
    const result = tryParse(() => parseSs(text));
    return result === null ? null : {
      sockets: result.sockets,
      skipped: result.skipped.map((
        s,
      ) => [spaced && s.line.startsWith(" ") ? s.line.slice(1) : s.line, s.reason]),
    };
  };
  const captures = [
    "ss-tunaeiH_iproute2-6.1_debian12.txt",
    "ss-E-tunH_iproute2-6.1_debian12_nonroot.txt",
    "ss-tunapeH_iproute2-6.1_debian12.txt",
  ].map(fixture);
  let common = 0;
  const tried = await campaign("parsers/ss common rows", 400, (fuzz) => {
    const text = fuzz.mutate(fuzz.pick(captures));
    const read = readOf(text, false);
    deepStrictEqual(read, readOf(generalWay(text), true));
    common += read?.sockets.length ?? 0;
  });
  ok(tried >= 400 && common > tried, `${tried} inputs, ${common} sockets`);
});
