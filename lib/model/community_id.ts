/**
 * Community ID v1 flow hashing, written from the specification
 * (https://github.com/corelight/community-id-spec): one string names a flow
 * the same way in conntrail, Zeek, Suricata, Wireshark and Elastic, whichever
 * end is the source.
 *
 * @module
 */
import { parseIpv6 } from "./ip_address.ts";
import { ipv4Number } from "./ip_number.ts";
import { sha1 } from "./sha1.ts";

/** One flow's 5-tuple; ports are null for protocols without ports. */
export interface FlowTuple {
  /** IANA protocol number: 6 TCP, 17 UDP, 132 SCTP, … */
  protocol: number;
  sourceIp: string;
  destinationIp: string;
  sourcePort: number | null;
  destinationPort: number | null;
}

/** Options of {@linkcode communityId}. */
export interface CommunityIdOptions {
  /** A 16-bit seed, for separate "domains" of IDs; 0 unless both sides agree on another. */
  seed?: number;
  /** Base64 of the digest (the default), or its lower-case hex. */
  base64?: boolean;
}

/** Protocols whose hash input carries ports. */
const PORTED = new Set([6, 17, 132]);
/** ICMP and ICMPv6 hash type and code as ports, with their own ordering; conntrail sees no ICMP flows. */
const ICMP = new Set([1, 58]);

/** Scratch space, reused by every call: a Community ID is computed for every event. */
const SOURCE = new Uint8Array(16);
const DESTINATION = new Uint8Array(16);
const INPUT = new Uint8Array(2 + 16 * 2 + 2 + 4);
const DIGEST = new Uint8Array(20);
const HASH = { length: 0, out: DIGEST };

/** Write an address's bytes in network order; returns 4, 16, or 0 when the text is not an IP address. */
function writeAddress(ip: string, into: Uint8Array): number {
  const v4 = ipv4Number(ip);
  if (v4 >= 0) {
    into[0] = v4 >>> 24;
    into[1] = (v4 >>> 16) & 255;
    into[2] = (v4 >>> 8) & 255;
    into[3] = v4 & 255;
    return 4;
  }
  const address = parseIpv6(ip);
  if (address === null) return 0;
  const parts = address.groups;
  for (let i = 0; i < 8; i++) {
    into[i * 2] = (parts[i] ?? 0) >>> 8;
    into[i * 2 + 1] = (parts[i] ?? 0) & 255;
  }
  return 16;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 with padding, without the string building `btoa` needs. */
function base64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]! + BASE64[(n >>> 6) & 63]! + BASE64[n & 63]!;
  }
  const left = bytes.length - i;
  if (left === 1) {
    const n = (bytes[i] as number) << 16;
    out += BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]! + "==";
  } else if (left === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]! + BASE64[(n >>> 6) & 63]! + "=";
  }
  return out;
}

/** Negative when endpoint a (address, then port) sorts before endpoint b. */
function compareEndpoints(length: number, aPort: number, bPort: number): number {
  for (let i = 0; i < length; i++) {
    const d = (SOURCE[i] as number) - (DESTINATION[i] as number);
    if (d !== 0) return d;
  }
  return aPort - bPort;
}

/**
 * The Community ID v1 of a flow: SHA-1 over seed (2 bytes), the smaller
 * endpoint's address, the other address, the protocol number and a zero byte,
 * then (for TCP, UDP and SCTP) the two ports in the same order — all in network
 * byte order — as `1:` and the base64 of the digest. Null when the addresses
 * are not both IPv4 or both IPv6, a ported protocol lacks a port, or the
 * protocol is ICMP (not implemented: no socket conntrail lists is ICMP).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { communityId } from "./community_id.ts";
 * // The specification's first baseline row, and the same flow seen from the other end.
 * const out = { protocol: 6, sourceIp: "1.2.3.4", destinationIp: "5.6.7.8", sourcePort: 1122, destinationPort: 3344 };
 * const back = { protocol: 6, sourceIp: "5.6.7.8", destinationIp: "1.2.3.4", sourcePort: 3344, destinationPort: 1122 };
 * deepStrictEqual(communityId(out), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
 * deepStrictEqual(communityId(back), communityId(out));
 * ```
 */
export function communityId(flow: FlowTuple, options: CommunityIdOptions = {}): string | null {
  if (ICMP.has(flow.protocol)) return null;
  const length = writeAddress(flow.sourceIp, SOURCE);
  if (length === 0 || writeAddress(flow.destinationIp, DESTINATION) !== length) return null;
  const ported = PORTED.has(flow.protocol);
  if (ported && (flow.sourcePort === null || flow.destinationPort === null)) return null;
  const sourcePort = flow.sourcePort ?? 0;
  const destinationPort = flow.destinationPort ?? 0;
  const forward = compareEndpoints(length, sourcePort, destinationPort) <= 0;
  const [first, second] = forward ? [SOURCE, DESTINATION] : [DESTINATION, SOURCE];
  const [firstPort, secondPort] = forward ? [sourcePort, destinationPort] : [destinationPort, sourcePort];
  const seed = options.seed ?? 0;
  INPUT[0] = (seed >>> 8) & 255;
  INPUT[1] = seed & 255;
  let at = 2;
  for (let i = 0; i < length; i++) INPUT[at++] = first[i] as number;
  for (let i = 0; i < length; i++) INPUT[at++] = second[i] as number;
  INPUT[at++] = flow.protocol & 255;
  INPUT[at++] = 0;
  if (ported) {
    INPUT[at++] = firstPort >>> 8;
    INPUT[at++] = firstPort & 255;
    INPUT[at++] = secondPort >>> 8;
    INPUT[at++] = secondPort & 255;
  }
  HASH.length = at;
  const digest = sha1(INPUT, HASH);
  if (options.base64 === false) {
    return `1:${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  }
  return `1:${base64(digest)}`;
}
