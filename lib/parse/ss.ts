import type { Socket } from "../model/connection.ts";
import { parseEndpoint } from "./endpoint.ts";
import { socketFromRow } from "./_socket.ts";
import { leadingFields } from "./_fields.ts";
import { type ParseResult, type SkippedLine, splitLines } from "./parse_result.ts";

/** One process that holds a socket, as `ss -p` lists it in `users:((…))`. */
export interface SsOwner {
  name: string;
  pid: number;
  fd: number;
}

const OWNER = /\("((?:[^"\\]|\\.)*?)",(?:pid=)?(\d+),(?:fd=)?(\d+)\)/g;

/**
 * Read the processes of an `ss -p` `users:((…))` field, with and without the
 * `pid=` keys of older iproute2.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSsOwners } from "./ss.ts";
 * deepStrictEqual(parseSsOwners('users:(("sshd",11427,3))'), [{ name: "sshd", pid: 11427, fd: 3 }]);
 * ```
 */
export function parseSsOwners(text: string): SsOwner[] {
  const start = text.indexOf("users:((");
  if (start < 0) return [];
  const end = text.indexOf("))", start);
  const field = text.slice(start + 7, end < 0 ? undefined : end + 2);
  const owners: SsOwner[] = [];
  for (const m of field.matchAll(OWNER)) {
    owners.push({ name: m[1] ?? "", pid: Number(m[2]), fd: Number(m[3]) });
  }
  return owners;
}

/** The first owner of a `users:((…))` field without a regex: the parser's hot path. */
function firstSsOwner(text: string): SsOwner | undefined {
  const start = text.indexOf('users:(("');
  if (start < 0) return undefined;
  const nameStart = start + 9;
  // A name may hold `",`; the owner's numbers follow the last `",` before `)`.
  const close = text.indexOf(")", nameStart);
  const nameEnd = text.lastIndexOf('",', close < 0 ? undefined : close);
  if (nameEnd < nameStart) return parseSsOwners(text)[0];
  let at = nameEnd + 2;
  if (text.startsWith("pid=", at)) at += 4;
  let end = at;
  while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  if (end === at) return parseSsOwners(text)[0];
  return { name: text.slice(nameStart, nameEnd), pid: Number(text.slice(at, end)), fd: -1 };
}

function numberAfter(text: string, key: string): number | null {
  const at = text.indexOf(key);
  if (at < 0) return null;
  let end = at + key.length;
  while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  return end > at + key.length ? Number(text.slice(at + key.length, end)) : null;
}

/**
 * Parse the output of `ss -tunapeH` (and of `ss -tunap`, `ss -tupna`,
 * `ss -tulpen`, `ss -a`, with or without the header line).
 *
 * A line looks like this (iproute2 6.1, `-e` adds `uid:`, `ino:`, `sk:`):
 *
 * ```text
 * tcp   ESTAB  0      0      127.0.0.1:46690    127.0.0.1:47123 users:(("python3",pid=11541,fd=6)) ino:18837 sk:7 <->
 * ```
 *
 * Sockets of other families (`u_str`, `nl`, `p_raw`, …) and unreadable lines are
 * skipped with a reason. When a socket is shared by several processes, the
 * first one `ss` lists is reported. `user` is the numeric uid (ss prints
 * `uid:` only for non-root owners, so a socket with an inode and no `uid:`
 * belongs to uid 0).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSs } from "./ss.ts";
 * const { sockets } = parseSs(
 *   'tcp ESTAB 0 0 127.0.0.1:46690 127.0.0.1:47123 users:(("python3",pid=11541,fd=6)) uid:1000 ino:18837 sk:7 <->',
 * );
 * deepStrictEqual(sockets[0]?.status, "ESTABLISHED");
 * deepStrictEqual(sockets[0]?.pid, 11541);
 * deepStrictEqual(sockets[0]?.user, "1000");
 * deepStrictEqual(sockets[0]?.inode, 18837);
 * ```
 */
export function parseSs(text: string): ParseResult {
  const sockets: Socket[] = [];
  const skipped: SkippedLine[] = [];
  let sawHeader = false;
  let sawRow = false;
  for (const line of splitLines(text)) {
    const { fields, rest } = leadingFields(line, 6);
    if (fields.length === 0) continue; // a blank line
    const [netid = "", state = "", , , localText = "", peerText = ""] = fields;
    if (netid === "Netid" || netid === "State") {
      sawHeader = true;
      continue;
    }
    if (fields.length < 6) {
      skipped.push({ line, reason: "fewer than 6 columns" });
      continue;
    }
    if (netid !== "tcp" && netid !== "udp") {
      sawRow ||= /^[a-z_0-9]+$/.test(netid);
      skipped.push({ line, reason: `not a TCP or UDP socket ("${netid}")` });
      continue;
    }
    sawRow = true;
    const protocol = netid === "tcp" ? "TCP" : "UDP";
    const local = parseEndpoint(localText);
    const peer = parseEndpoint(peerText);
    if (local === null || local.port === null) {
      skipped.push({ line, reason: `unreadable local address "${localText}"` });
      continue;
    }
    if (peer === null) {
      skipped.push({ line, reason: `unreadable peer address "${peerText}"` });
      continue;
    }
    const owner = firstSsOwner(rest);
    const inode = numberAfter(rest, "ino:");
    const uid = numberAfter(rest, "uid:") ?? (inode !== null && inode !== 0 ? 0 : null);
    sockets.push(socketFromRow(protocol, { local, peer, state }, {
      pid: owner?.pid,
      process_name: owner?.name,
      user: uid === null ? null : String(uid),
      inode,
    }));
  }
  if (!sawHeader && !sawRow && skipped.length > 0) {
    throw new SyntaxError(
      "the input does not look like ss output (no Netid/State header and no tcp/udp rows)",
    );
  }
  return { sockets, skipped };
}
