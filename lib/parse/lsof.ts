import type { Family, Socket } from "../model/connection.ts";
import { socketFromRow } from "./_socket.ts";
import { type Endpoint, parseEndpoint } from "./endpoint.ts";
import { type ParseResult, type SkippedLine, splitLines } from "./parse_result.ts";

/** The `lsof -F` fields conntrail asks for: pid, command, uid, login, fd, type, protocol, name, TCP info. */
export const LSOF_FIELDS = "pcuLftPnT";

interface LsofFile {
  fd: string;
  type: string;
  protocol: string;
  name: string;
  state: string;
}

interface LsofProcess {
  pid: number;
  command: string | null;
  login: string | null;
  uid: string | null;
}

/** Split an lsof NAME (`a:p->b:p`, `*:5353`, `[::1]:80`) into its endpoints. */
export function parseLsofName(
  name: string,
  family: Family,
): { local: Endpoint; peer: Endpoint | null } | null {
  const arrow = name.indexOf("->");
  const localText = arrow < 0 ? name : name.slice(0, arrow);
  const local = parseEndpoint(localText, { wildcardFamily: family });
  if (local === null) return null;
  if (arrow < 0) return { local, peer: null };
  const peer = parseEndpoint(name.slice(arrow + 2), { wildcardFamily: family });
  return peer === null ? null : { local, peer };
}

/** Build a socket from one lsof file entry, or explain why not. */
export function lsofSocket(
  process: LsofProcess,
  file: LsofFile,
): Socket | string {
  const protocol = file.protocol === "TCP" ? "TCP" : file.protocol === "UDP" ? "UDP" : null;
  if (protocol === null) return `not a TCP or UDP socket ("${file.protocol}")`;
  const family: Family = file.type === "IPv6" ? 6 : 4;
  const endpoints = parseLsofName(file.name, family);
  if (endpoints === null) return `unreadable address "${file.name}"`;
  return socketFromRow(protocol, { ...endpoints, state: file.state }, {
    pid: process.pid,
    process_name: process.command,
    user: process.login ?? process.uid,
  });
}

/** Keep the first entry of each socket: lsof lists a socket once per descriptor and process. */
export function dedupeSockets(sockets: Socket[]): Socket[] {
  const seen = new Set<string>();
  return sockets.filter((s) => {
    const key = `${s.protocol} ${s.local_ip} ${s.local_port} ${s.remote_ip} ${s.remote_port} ${s.status}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Parse `lsof -nP -iTCP -iUDP +c0 -F pcuLftPnT` field output: one field a
 * line, a letter then the value; `p` starts a process, `f` a file in it.
 *
 * ```text
 * p2079
 * cpython3
 * u0
 * Lroot
 * f4
 * tIPv4
 * PTCP
 * n127.0.0.1:58554->127.0.0.1:50171
 * TST=ESTABLISHED
 * ```
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseLsof } from "./lsof.ts";
 * const { sockets } = parseLsof("p2079\ncpython3\nu0\nLroot\nf4\ntIPv4\nPTCP\nn127.0.0.1:58554->127.0.0.1:50171\nTST=ESTABLISHED\n");
 * deepStrictEqual([sockets[0]?.pid, sockets[0]?.remote_port, sockets[0]?.status], [2079, 50171, "ESTABLISHED"]);
 * ```
 */
export function parseLsof(text: string): ParseResult {
  const sockets: Socket[] = [];
  const skipped: SkippedLine[] = [];
  let process: LsofProcess | null = null;
  let file: LsofFile | null = null;
  let fileLines: string[] = [];
  const flush = () => {
    if (process !== null && file !== null) {
      const socket = lsofSocket(process, file);
      if (typeof socket === "string") skipped.push({ line: fileLines.join(" "), reason: socket });
      else sockets.push(socket);
    }
    file = null;
    fileLines = [];
  };
  for (const line of splitLines(text)) {
    if (line === "") continue;
    const tag = line[0];
    const value = line.slice(1);
    if (tag === "p") {
      flush();
      const pid = Number(value);
      process = Number.isInteger(pid) ? { pid, command: null, login: null, uid: null } : null;
      if (process === null) skipped.push({ line, reason: "unreadable pid" });
      continue;
    }
    if (tag === "f") {
      flush();
      file = { fd: value, type: "", protocol: "", name: "", state: "" };
      fileLines.push(line);
      continue;
    }
    if (file !== null) {
      fileLines.push(line);
      if (tag === "t") file.type = value;
      else if (tag === "P") file.protocol = value;
      else if (tag === "n") file.name = value;
      else if (tag === "T" && value.startsWith("ST=")) file.state = value.slice(3);
    } else if (process !== null) {
      if (tag === "c") process.command = value;
      else if (tag === "L") process.login = value;
      else if (tag === "u") process.uid = value;
    } else if (!/^[a-zA-Z]/.test(line) || line.includes(" ")) {
      skipped.push({ line, reason: "not an lsof -F field" });
    }
  }
  flush();
  if (sockets.length === 0 && skipped.length > 0 && !/^p\d/m.test(text)) {
    throw new SyntaxError("the input does not look like lsof -F output (no p<pid> lines)");
  }
  return { sockets: dedupeSockets(sockets), skipped };
}
