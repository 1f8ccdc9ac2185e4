import { ipText, isIpv4Mapped, parseIpv4, parseIpv6, unmapIp } from "../model/ip_address.ts";
import type { Family } from "../model/connection.ts";
import { portNumber } from "./_services.ts";

/** An address and port as a tool printed it, normalised. */
export interface Endpoint {
  /** The IP without brackets or `%scope`; the wildcard address for `*`. */
  ip: string;
  family: Family;
  /** `null` when the tool printed `*` (any port). */
  port: number | null;
  /** True when the tool printed a wildcard address (`*`, `0.0.0.0`, `::`). */
  wildcard: boolean;
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const cache = new Map<string, { ip: string; family: Family } | null>();
const CACHE_LIMIT = 100_000;

/**
 * Normalise an IP as a tool printed it: brackets and `%scope` removed, `*`
 * read as the wildcard address, IPv4-mapped IPv6 (`::ffff:a.b.c.d`) turned
 * into IPv4, IPv6 in its canonical lower-case form. `null` when the text is not
 * an IP (a truncated column, a host name).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { normalizeIp } from "./endpoint.ts";
 * deepStrictEqual(normalizeIp("::ffff:127.0.0.1"), { ip: "127.0.0.1", family: 4 });
 * deepStrictEqual(normalizeIp("[FE80::1%eth0]"), { ip: "fe80::1", family: 6 });
 * deepStrictEqual(normalizeIp("2600:1700:bab0:d"), null);
 * ```
 */
export function normalizeIp(text: string, wildcardFamily: Family = 4): { ip: string; family: Family } | null {
  const cached = cache.get(text);
  if (cached !== undefined || cache.has(text)) return cached ?? null;
  let host = text;
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    host = close < 0 ? host.slice(1) : host.slice(1, close);
  }
  const percent = host.indexOf("%");
  if (percent >= 0) host = host.slice(0, percent);
  let result: { ip: string; family: Family } | null;
  if (host === "*") {
    result = wildcardFamily === 4 ? { ip: "0.0.0.0", family: 4 } : { ip: "::", family: 6 };
  } else if (IPV4.test(host)) {
    result = parseIpv4(host) >= 0 ? { ip: host, family: 4 } : null;
  } else {
    const v6 = host.includes(":") ? parseIpv6(host) : null;
    if (v6 === null) result = null;
    else result = isIpv4Mapped(v6) ? { ip: ipText(unmapIp(v6)), family: 4 } : { ip: ipText(v6), family: 6 };
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, result);
  return result;
}

/**
 * Parse `host<sep>port` where the separator is the last `:` (ss, netstat on
 * Linux and Windows, lsof) or the last `.` (netstat on macOS). `null` when the
 * address or port cannot be read.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseEndpoint } from "./endpoint.ts";
 * deepStrictEqual(parseEndpoint("[::1]:47126"), { ip: "::1", family: 6, port: 47126, wildcard: false });
 * deepStrictEqual(parseEndpoint("0.0.0.0:*"), { ip: "0.0.0.0", family: 4, port: null, wildcard: true });
 * deepStrictEqual(parseEndpoint("*.8080", { separator: ".", wildcardFamily: 6 }),
 *   { ip: "::", family: 6, port: 8080, wildcard: true });
 * ```
 */
export function parseEndpoint(
  text: string,
  options: { separator?: ":" | "."; wildcardFamily?: Family } = {},
): Endpoint | null {
  const separator = options.separator ?? ":";
  const cut = text.lastIndexOf(separator);
  if (cut <= 0 && !(cut === 0 && separator === ":")) return null;
  const hostText = text.slice(0, cut);
  const portText = text.slice(cut + 1);
  // Old ss prints the IPv6 wildcard as ":::22": the host is "::".
  const host = hostText === "" ? "::" : hostText;
  const wildcardFamily = options.wildcardFamily ?? (host.includes(":") ? 6 : 4);
  const address = normalizeIp(host, wildcardFamily);
  if (address === null) return null;
  let port: number | null = null;
  if (portText !== "*") {
    port = portNumber(portText);
    if (port === null) return null;
  }
  const wildcard = address.ip === "0.0.0.0" || address.ip === "::";
  return { ip: address.ip, family: address.family, port, wildcard };
}

/** True when a peer endpoint means "no peer" (`*:*`, `0.0.0.0:*`, `[::]:*`, `0.0.0.0:0`). */
export function isNoPeer(endpoint: Endpoint): boolean {
  return endpoint.wildcard && (endpoint.port === null || endpoint.port === 0);
}
