/**
 * Who may talk to `conntrail serve`, and the headers every answer carries.
 * On loopback with no token, only requests addressed to this server's own
 * names pass (a page on another site that rebinds a DNS name to 127.0.0.1
 * is refused). With a token, every request must carry it: a cookie the page
 * gets when opened with `?token=`, an `Authorization: Bearer` header, or
 * `?token=` itself. Cross-origin requests are refused and never answered
 * with CORS headers.
 *
 * @module
 */
import { ipRange, processIp } from "../model/ip_address.ts";

/** The cookie the page keeps the token in. */
export const TOKEN_COOKIE = "conntrail_token";

/** What a request must satisfy. */
export interface AccessPolicy {
  /** The token every request must carry, or null on loopback without `--token`. */
  token: string | null;
  /** `Host` values accepted, or null for any (a server bound to a non-loopback address, behind its token). */
  hosts: ReadonlySet<string> | null;
}

/** The Content-Security-Policy of every answer: the page's own script and style, nothing else. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * True for addresses and names that only this machine can reach.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { isLoopbackHost } from "./access_policy.ts";
 * deepStrictEqual(isLoopbackHost("127.0.0.1"), true);
 * deepStrictEqual(isLoopbackHost("::1"), true);
 * deepStrictEqual(isLoopbackHost("localhost"), true);
 * deepStrictEqual(isLoopbackHost("0.0.0.0"), false);
 * deepStrictEqual(isLoopbackHost("192.168.1.10"), false);
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === "localhost") return true;
  const address = processIp(host);
  return address !== null && ipRange(address) === "loopback";
}

/** A new random token: 32 bytes, base64url. */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** A host as a URL or a Deno permission writes it: an IPv6 address in brackets. */
export function bracketedHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** `host:port` as a URL or a `Host` header writes it (`[::1]:8377`). */
export function hostWithPort(host: string, port: number): string {
  return `${bracketedHost(host)}:${port}`;
}

/**
 * The policy of a server bound to `host:port`: loopback accepts its own
 * names and needs a token only when one is given; any other address accepts
 * any name but always needs a token.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { accessPolicy } from "./access_policy.ts";
 * deepStrictEqual(accessPolicy("127.0.0.1", 8377, null).hosts?.has("localhost:8377"), true);
 * deepStrictEqual(accessPolicy("0.0.0.0", 8377, "s3cret"), { token: "s3cret", hosts: null });
 * ```
 */
export function accessPolicy(host: string, port: number, token: string | null): AccessPolicy {
  if (!isLoopbackHost(host)) {
    if (token === null) throw new Error(`serving on "${host}" needs a token`);
    return { token, hosts: null };
  }
  const names = new Set([host, "localhost", "127.0.0.1", "::1"].map((h) => hostWithPort(h, port)));
  return { token, hosts: names };
}

/**
 * True when a page's `Origin` is this server as the request addressed it: the
 * same scheme (this server speaks plain http), host and port. A page served
 * over https from the same host and port, or `Origin: null`, is another origin.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { sameOrigin } from "./access_policy.ts";
 * deepStrictEqual(sameOrigin("http://127.0.0.1:8377", "127.0.0.1:8377"), true);
 * deepStrictEqual(sameOrigin("https://127.0.0.1:8377", "127.0.0.1:8377"), false);
 * deepStrictEqual(sameOrigin("http://127.0.0.1:8378", "127.0.0.1:8377"), false);
 * deepStrictEqual(sameOrigin("null", "127.0.0.1:8377"), false);
 * ```
 */
export function sameOrigin(origin: string, host: string): boolean {
  const own = `http://${host}`;
  if (!URL.canParse(origin) || !URL.canParse(own)) return false;
  const theirs = new URL(origin);
  const ours = new URL(own);
  return theirs.protocol === ours.protocol && theirs.hostname === ours.hostname && theirs.port === ours.port;
}

function sameText(a: string, b: string): boolean {
  // Compared in full whatever the first difference, so the time taken tells nothing about the token.
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) difference |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return difference === 0;
}

function cookieToken(request: Request): string | null {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === TOKEN_COOKIE) return value.join("=");
  }
  return null;
}

/** Headers every answer carries, whatever it is. */
export function securityHeaders(contentType: string): Headers {
  return new Headers({
    "content-type": contentType,
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
  });
}

function refuse(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: message }) + "\n", {
    status,
    headers: securityHeaders("application/json; charset=utf-8"),
  });
}

/**
 * What to do with a request before routing it: null lets it through; else the
 * answer (403, 401, or the redirect that turns `?token=` into a cookie).
 */
export function checkAccess(
  request: Request,
  policy: AccessPolicy,
  url = new URL(request.url),
): Response | null {
  const host = request.headers.get("host") ?? "";
  if (policy.hosts !== null && !policy.hosts.has(host.toLowerCase())) {
    return refuse(
      403,
      `requests for ${JSON.stringify(host)} are refused; open the address conntrail printed`,
    );
  }
  const origin = request.headers.get("origin");
  if (origin !== null && !sameOrigin(origin, host)) return refuse(403, "cross-origin requests are refused");
  if (policy.token === null) return null;
  const bearer = request.headers.get("authorization")?.match(/^Bearer (.+)$/)?.[1] ?? null;
  const query = url.searchParams.get("token");
  const given = [bearer, cookieToken(request), query].filter((t) => t !== null);
  if (!given.some((t) => sameText(t, policy.token ?? ""))) {
    return refuse(
      401,
      "a token is needed: open the address conntrail printed, or send Authorization: Bearer TOKEN",
    );
  }
  if (query !== null && request.method === "GET" && url.pathname === "/") {
    // The token leaves the address bar (and the history) for a cookie scripts cannot read.
    const headers = securityHeaders("text/plain; charset=utf-8");
    headers.set("location", "/");
    headers.set("set-cookie", `${TOKEN_COOKIE}=${policy.token}; Path=/; HttpOnly; SameSite=Strict`);
    return new Response(null, { status: 303, headers });
  }
  return null;
}
