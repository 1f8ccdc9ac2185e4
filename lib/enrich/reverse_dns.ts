import { isSystemError } from "../model/errors.ts";
import { ipBytes, ipText, parseIp } from "../model/ip_address.ts";
import { timerDelay } from "../model/timer_delay.ts";
import type { Network } from "../platform/platform.ts";

/** Answers a PTR query for an IP: the names, or an error (NotFound when there is none). */
export type PtrResolver = (ip: string, signal: AbortSignal) => Promise<string[]>;

/** A DNS server to ask instead of the system's. */
export interface DnsServer {
  ipAddr: string;
  port: number;
}

/** Options of {@linkcode ReverseDns}. */
export interface ReverseDnsOptions {
  /** Queries in flight at once (default 4); the rest wait in a queue. */
  concurrency?: number;
  /** A query that takes longer counts as no answer (default 2000 ms). */
  timeoutMs?: number;
  /** How long a name is kept (default 1 h) and how long "no name" is kept (default 5 min). */
  positiveTtlMs?: number;
  negativeTtlMs?: number;
  /** Cached answers kept at most (default 10,000); the oldest go first. */
  maxEntries?: number;
  /** Queued addresses at most (default 1,000); more are asked later, when seen again. */
  maxQueued?: number;
  now?: () => number;
  /** Called after an answer arrives, so a frame can be redrawn. */
  onAnswer?: (ip: string) => void;
  /** Called with a query's error other than "no such name" (timeouts, refusals, a missing permission). */
  onError?: (error: unknown) => void;
}

/**
 * The name to ask a PTR record for.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ptrName } from "./reverse_dns.ts";
 * deepStrictEqual(ptrName("8.8.4.4"), "4.4.8.8.in-addr.arpa");
 * deepStrictEqual(ptrName("2001:db8::1").slice(0, 12), "1.0.0.0.0.0.");
 * deepStrictEqual(ptrName("2001:db8::1").endsWith("8.b.d.0.1.0.0.2.ip6.arpa"), true);
 * ```
 */
export function ptrName(ip: string): string {
  const address = parseIp(ip);
  if (address === null) throw new TypeError(`"${ip}" is not an IP address`);
  if (address.family === 4) return `${ipBytes(address).reverse().join(".")}.in-addr.arpa`;
  const nibbles = ipBytes(address).flatMap((b) => [b >> 4, b & 15]).map((n) => n.toString(16));
  return `${nibbles.reverse().join(".")}.ip6.arpa`;
}

/** A resolver that asks the network's DNS: the system's server or the one given. */
export function ptrResolver(network: Pick<Network, "resolveDns">, server?: DnsServer): PtrResolver {
  return async (ip, signal) => {
    const names = await network.resolveDns(
      ptrName(ip),
      "PTR",
      server === undefined ? { signal } : { nameServer: server, signal },
    );
    return names.map(decodeDnsName);
  };
}

/**
 * A name as its owner wrote it, from the escaped spelling Deno's resolver
 * returns (`\<img\040src\=x\>.`): `\X` is X, and `\DDD` is a byte in
 * three *octal* digits (measured: a space comes back as `\040`, ESC as
 * `\033`; RFC 1035's zone files use decimal). What it holds is still
 * untrusted; whoever shows it makes it safe.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { decodeDnsName } from "./reverse_dns.ts";
 * deepStrictEqual(decodeDnsName("\\<img\\040src\\=x\\>."), "<img src=x>.");
 * deepStrictEqual(decodeDnsName("a\\033b"), "a\x1bb");
 * deepStrictEqual(decodeDnsName("dns.google."), "dns.google.");
 * ```
 */
export function decodeDnsName(name: string): string {
  return name.replace(
    /\\([0-7]{3}|.)/g,
    (_, code: string) => code.length === 3 ? String.fromCharCode(parseInt(code, 8)) : code,
  );
}

/**
 * Read `--dns-server`: `IP`, `IP:PORT` or `[IPv6]:PORT`; port 53 when none is given.
 * `null` when it is not an address.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseDnsServer } from "./reverse_dns.ts";
 * deepStrictEqual(parseDnsServer("127.0.0.1:5353"), { ipAddr: "127.0.0.1", port: 5353 });
 * deepStrictEqual(parseDnsServer("[::1]:53"), { ipAddr: "::1", port: 53 });
 * deepStrictEqual(parseDnsServer("1.1.1.1"), { ipAddr: "1.1.1.1", port: 53 });
 * deepStrictEqual(parseDnsServer("dns.example"), null);
 * ```
 */
export function parseDnsServer(text: string): DnsServer | null {
  let host = text;
  let portText = "53";
  const bracketed = text.match(/^\[([^\]]+)\](?::(\d+))?$/);
  if (bracketed) {
    host = bracketed[1] ?? "";
    portText = bracketed[2] ?? "53";
  } else if (text.split(":").length === 2) {
    [host = "", portText = ""] = text.split(":");
  }
  const port = Number(portText);
  const address = parseIp(host);
  if (address === null || !/^\d+$/.test(portText) || port < 1 || port > 65535) return null;
  return { ipAddr: ipText(address), port };
}

interface CachedName {
  name: string | null;
  expires: number;
}

/**
 * Reverse DNS that never makes its caller wait: {@linkcode ReverseDns.lookup}
 * answers from the cache at once and queues a query for an address it does not
 * know. Queries run a few at a time with a timeout; names and "no name"
 * answers are cached for their own times, and the cache is bounded.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ReverseDns } from "./reverse_dns.ts";
 * const names = new ReverseDns(async (ip) => ip === "8.8.8.8" ? ["dns.google."] : []);
 * deepStrictEqual(names.lookup("8.8.8.8"), undefined); // asked, not known yet
 * await names.idle();
 * deepStrictEqual(names.lookup("8.8.8.8"), "dns.google");
 * ```
 */
export class ReverseDns {
  readonly #resolve: PtrResolver;
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  readonly #positiveTtlMs: number;
  readonly #negativeTtlMs: number;
  readonly #maxEntries: number;
  readonly #maxQueued: number;
  readonly #now: () => number;
  readonly #onAnswer: (ip: string) => void;
  readonly #onError: (error: unknown) => void;
  #cache = new Map<string, CachedName>();
  #queue = new Set<string>();
  #inFlight = new Set<string>();
  #idleWaiters: (() => void)[] = [];
  #failures = 0;
  /** One controller per query in flight (AbortSignal.any on a long-lived signal would keep every query alive). */
  #controllers = new Set<AbortController>();
  #closed = false;

  constructor(resolve: PtrResolver, options: ReverseDnsOptions = {}) {
    this.#resolve = resolve;
    this.#concurrency = options.concurrency ?? 4;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#positiveTtlMs = options.positiveTtlMs ?? 3_600_000;
    this.#negativeTtlMs = options.negativeTtlMs ?? 300_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxQueued = options.maxQueued ?? 1_000;
    this.#now = options.now ?? Date.now;
    this.#onAnswer = options.onAnswer ?? (() => {});
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * The cached name of an address: a string, `null` when it has none, or
   * `undefined` when it is not known yet (a query is then queued).
   */
  lookup(ip: string): string | null | undefined {
    const cached = this.#cache.get(ip);
    if (cached !== undefined && cached.expires > this.#now()) return cached.name;
    if (ip === "0.0.0.0" || ip === "::" || parseIp(ip) === null) return null;
    if (!this.#closed && !this.#inFlight.has(ip) && this.#queue.size < this.#maxQueued) {
      this.#queue.add(ip);
      this.#pump();
    }
    return cached?.name;
  }

  /** Queries that failed for another reason than "no such name" (timeouts, refused). */
  get failures(): number {
    return this.#failures;
  }

  /** Resolves when no query is queued or in flight. */
  idle(): Promise<void> {
    if (this.#queue.size === 0 && this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Cancel queries in flight and drop the queue. */
  close(): void {
    this.#closed = true;
    this.#queue.clear();
    for (const controller of this.#controllers) controller.abort();
  }

  #pump(): void {
    while (this.#inFlight.size < this.#concurrency && this.#queue.size > 0) {
      const ip = this.#queue.values().next().value as string;
      this.#queue.delete(ip);
      this.#inFlight.add(ip);
      this.#ask(ip).finally(() => {
        this.#inFlight.delete(ip);
        this.#pump();
        if (this.#queue.size === 0 && this.#inFlight.size === 0) {
          for (const wake of this.#idleWaiters.splice(0)) wake();
        }
      });
    }
  }

  async #ask(ip: string): Promise<void> {
    const controller = new AbortController();
    this.#controllers.add(controller);
    const timer = setTimeout(
      () => controller.abort(new DOMException("DNS query timed out", "TimeoutError")),
      timerDelay(this.#timeoutMs),
    );
    let name: string | null = null;
    let ttl = this.#negativeTtlMs;
    try {
      const names = await this.#resolve(ip, controller.signal);
      const first = names[0];
      if (first !== undefined && first !== "" && first !== ".") {
        name = first.endsWith(".") ? first.slice(0, -1) : first;
        ttl = this.#positiveTtlMs;
      }
    } catch (error) {
      if (this.#closed) return;
      if (!isSystemError(error, "NotFound")) {
        this.#failures++;
        this.#onError(error);
      }
    } finally {
      clearTimeout(timer);
      this.#controllers.delete(controller);
    }
    if (this.#cache.size >= this.#maxEntries) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.delete(ip);
    this.#cache.set(ip, { name, expires: this.#now() + ttl });
    this.#onAnswer(ip);
  }
}
