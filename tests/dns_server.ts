/**
 * A real DNS server on loopback for tests: answers PTR queries over UDP from a
 * table of names and A queries from a table of addresses, NXDOMAIN for the rest, and can be told to stay silent for an
 * address (to test timeouts). Labels are sent as raw bytes, so a test can serve
 * a hostile name with escape sequences in it.
 *
 * @module
 */
import { createSocket, type Socket } from "node:dgram";
import { Buffer } from "node:buffer";
import { ptrName } from "../lib/enrich/reverse_dns.ts";

/** A running test DNS server. */
export interface TestDnsServer {
  port: number;
  /** PTR questions received, by query name. */
  queries: string[];
  close(): Promise<void>;
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, "").split(".").map((label) => {
    const bytes = Buffer.from(label, "latin1");
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function readQuestion(message: Buffer): { name: string; end: number; type: number } | null {
  let offset = 12;
  const labels: string[] = [];
  while (offset < message.length) {
    const length = message[offset] ?? 0;
    if (length === 0) break;
    labels.push(message.subarray(offset + 1, offset + 1 + length).toString("latin1"));
    offset += 1 + length;
  }
  if (offset + 5 > message.length) return null;
  return { name: labels.join(".").toLowerCase(), end: offset + 5, type: message.readUInt16BE(offset + 1) };
}

function record(type: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // name: pointer to the question
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(60, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

function answer(query: Buffer, names: Map<string, string>, addresses: Map<string, string[]>): Buffer | null {
  const question = readQuestion(query);
  if (question === null) return null;
  const known = names.has(question.name) || addresses.has(question.name);
  const records: Buffer[] = [];
  const target = question.type === 12 ? names.get(question.name) : undefined;
  if (target !== undefined) records.push(record(12, encodeName(target)));
  if (question.type === 1) {
    for (const ip of addresses.get(question.name) ?? []) {
      records.push(record(1, Buffer.from(ip.split(".").map(Number))));
    }
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(known ? 0x8180 : 0x8183, 2); // response, RD, RA; OK or NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  return Buffer.concat([header, query.subarray(12, question.end), ...records]);
}

/**
 * Start a DNS server on 127.0.0.1 or `host` (a free UDP port) answering PTR queries for
 * `names` (IP → hostname) and A queries for `addresses` (domain → IPv4
 * addresses, changeable while it runs); IPs in `silentFor` get no answer at all. `host` is the address it
 * listens on (another of this namespace's, for a client in another namespace).
 */
export function startDnsServer(
  names: Record<string, string>,
  silentFor: readonly string[] = [],
  addresses: Map<string, string[]> = new Map(),
  host = "127.0.0.1",
): Promise<TestDnsServer> {
  const table = new Map(Object.entries(names).map(([ip, name]) => [ptrName(ip), name]));
  const silent = new Set(silentFor.map(ptrName));
  const socket: Socket = createSocket("udp4");
  const queries: string[] = [];
  socket.on("message", (message, peer) => {
    const question = readQuestion(message);
    if (question === null) return;
    queries.push(question.name);
    if (silent.has(question.name)) return;
    const reply = answer(message, table, addresses);
    if (reply !== null) socket.send(reply, peer.port, peer.address);
  });
  return new Promise((resolve) => {
    socket.bind(0, host, () => {
      resolve({
        port: socket.address().port,
        queries,
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}
