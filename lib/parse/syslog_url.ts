import { parseIp } from "../model/ip_address.ts";

/** How a syslog receiver is reached. */
export type SyslogTransport = "udp" | "tcp" | "tls";

/** A syslog receiver named by `--syslog udp://host:port` (or `tcp://`, `tls://`). */
export interface SyslogTarget {
  transport: SyslogTransport;
  /** A host name, or an IP address (IPv6 without brackets). */
  host: string;
  port: number;
  /** The target written back canonically, for messages: `tcp://[::1]:514`. */
  url: string;
}

/** Ports when the URL names none: 514 for UDP and TCP, 6514 for TLS (RFC 5425). */
export const DEFAULT_SYSLOG_PORTS: Readonly<Record<SyslogTransport, number>> = {
  udp: 514,
  tcp: 514,
  tls: 6514,
};

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/**
 * Read a `--syslog` URL: `udp://`, `tcp://` or `tls://`, a host name, IPv4
 * address or bracketed IPv6 address, and an optional port. Throws a
 * `SyntaxError` saying what is wrong.
 *
 * @example
 * ```ts
 * import { deepStrictEqual, throws } from "node:assert/strict";
 * import { parseSyslogUrl } from "./syslog_url.ts";
 * deepStrictEqual(parseSyslogUrl("tcp://logs.example.org:10514"),
 *   { transport: "tcp", host: "logs.example.org", port: 10514, url: "tcp://logs.example.org:10514" });
 * deepStrictEqual(parseSyslogUrl("tls://[2001:db8::5]").port, 6514);
 * throws(() => parseSyslogUrl("http://logs.example.org"), SyntaxError);
 * ```
 */
export function parseSyslogUrl(text: string): SyslogTarget {
  const match = /^([a-z]+):\/\/(\[[^\]]*\]|[^:/?#@[\]]*)(?::(\d{1,5}))?\/?$/i.exec(text.trim());
  if (match === null) {
    throw new SyntaxError(
      `"${text}" is not a syslog URL; write udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT`,
    );
  }
  const scheme = (match[1] ?? "").toLowerCase();
  if (scheme !== "udp" && scheme !== "tcp" && scheme !== "tls") {
    throw new SyntaxError(`"${text}": a syslog URL starts with udp://, tcp:// or tls://, not ${scheme}://`);
  }
  const rawHost = match[2] ?? "";
  const bracketed = rawHost.startsWith("[");
  const host = bracketed ? rawHost.slice(1, -1) : rawHost;
  const valid = bracketed ? IPV6.test(host) && host.includes(":") : HOST_NAME.test(host);
  if (!valid) throw new SyntaxError(`"${text}": "${rawHost}" is not a host name or IP address`);
  const port = match[3] === undefined ? DEFAULT_SYSLOG_PORTS[scheme] : Number(match[3]);
  if (port < 1 || port > 65535) throw new SyntaxError(`"${text}": the port must be 1 to 65535`);
  const shown = bracketed ? `[${host}]` : host;
  return { transport: scheme, host, port, url: `${scheme}://${shown}:${port}` };
}

/** `host:port` as Deno's `--allow-net` writes it (IPv6 in brackets). */
export function netPermissionHost(target: Pick<SyslogTarget, "host" | "port">): string {
  return `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
}

/**
 * The `--allow-net` values a receiver needs, or null for unscoped `--allow-net`: a UDP socket binds a
 * local port to send from, and a UDP receiver named by host name is sent to the address its name
 * resolves to, which only the run can know.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSyslogUrl, syslogNetHosts } from "./syslog_url.ts";
 * deepStrictEqual(syslogNetHosts(parseSyslogUrl("tcp://logs.example.org:514")), ["logs.example.org:514"]);
 * deepStrictEqual(syslogNetHosts(parseSyslogUrl("udp://[::1]:514")), ["[::1]:514", "[::]:0"]);
 * deepStrictEqual(syslogNetHosts(parseSyslogUrl("udp://logs.example.org")), null);
 * ```
 */
export function syslogNetHosts(target: SyslogTarget): string[] | null {
  if (target.transport !== "udp") return [netPermissionHost(target)];
  if (parseIp(target.host) === null) return null;
  return [netPermissionHost(target), target.host.includes(":") ? "[::]:0" : "0.0.0.0:0"];
}
