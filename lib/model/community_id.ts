/**
 * Community ID v1 flow hashing, written from the specification
 * (https://github.com/corelight/community-id-spec): one string names a flow
 * the same way in conntrail, Zeek, Suricata, Wireshark and Elastic, whichever
 * end is the source.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { ipv4Number, ipv6Number } from "./ip_number.ts";

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

function addressBytes(ip: string): Uint8Array | null {
  const v4 = ipv4Number(ip);
  if (v4 >= 0) return new Uint8Array([v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255]);
  let v6 = ipv6Number(ip);
  if (v6 === null) return null;
  const bytes = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(v6 & 255n);
    v6 >>= 8n;
  }
  return bytes;
}

/** Negative when endpoint a (address, then port) sorts before endpoint b. */
function compareEndpoints(a: Uint8Array, aPort: number, b: Uint8Array, bPort: number): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
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
  const source = addressBytes(flow.sourceIp);
  const destination = addressBytes(flow.destinationIp);
  if (source === null || destination === null || source.length !== destination.length) return null;
  if (ICMP.has(flow.protocol)) return null;
  const ported = PORTED.has(flow.protocol);
  if (ported && (flow.sourcePort === null || flow.destinationPort === null)) return null;
  const sourcePort = flow.sourcePort ?? 0;
  const destinationPort = flow.destinationPort ?? 0;
  const forward = compareEndpoints(source, sourcePort, destination, destinationPort) <= 0;
  const [firstIp, secondIp] = forward ? [source, destination] : [destination, source];
  const [firstPort, secondPort] = forward ? [sourcePort, destinationPort] : [destinationPort, sourcePort];
  const seed = options.seed ?? 0;
  const input = new Uint8Array(2 + firstIp.length * 2 + 2 + (ported ? 4 : 0));
  const view = new DataView(input.buffer);
  view.setUint16(0, seed & 0xffff);
  input.set(firstIp, 2);
  input.set(secondIp, 2 + firstIp.length);
  let at = 2 + firstIp.length * 2;
  view.setUint8(at, flow.protocol & 255);
  view.setUint8(at + 1, 0);
  at += 2;
  if (ported) {
    view.setUint16(at, firstPort);
    view.setUint16(at + 2, secondPort);
  }
  const digest = createHash("sha1").update(input).digest(options.base64 === false ? "hex" : "base64");
  return `1:${digest}`;
}
