import type { DnsAnswer } from "../model/dns_answer.ts";

/** What an answered address is remembered with. */
export interface AnsweredName {
  /** The name the program asked for. */
  domain: string;
  /** The names from the one asked to the one that holds the address (`api.example.com`, `edge.cdn.example.net`). */
  chain: readonly string[];
  /** Until when (ms since the epoch) a new connection to the address is taken to be for this name. */
  until: number;
}

/** Options of {@linkcode DnsNames}. */
export interface DnsNamesOptions {
  /** Addresses remembered at most; the least recently answered go first. Default 50,000. */
  maxAddresses?: number;
  /**
   * The shortest time an answer counts, in seconds (default 60): programs
   * connect after the answer, and often keep an address longer than a
   * short TTL says.
   */
  minTtlSeconds?: number;
  /** When an answer shows no TTL (tcpdump without -vvv). Default 300 s. */
  defaultTtlSeconds?: number;
}

const MAX_CHAIN = 16;

/**
 * Remembers, for each address a DNS answer gave, the name that was asked and
 * its CNAME chain, for the answer's TTL: what `domain` is made of. The most
 * recent answer for an address wins (a CDN address serves many names, and
 * the one just asked is the one about to be used).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { DnsNames } from "./dns_names.ts";
 * const names = new DnsNames();
 * names.add({ question: "api.example.com", qtype: "A", truncated: false, records: [
 *   { name: "api.example.com", ttl: 300, type: "CNAME", data: "edge.cdn.example.net" },
 *   { name: "edge.cdn.example.net", ttl: 20, type: "A", data: "203.0.113.7" },
 * ] }, 0);
 * deepStrictEqual(names.lookup("203.0.113.7", 1000)?.chain, ["api.example.com", "edge.cdn.example.net"]);
 * deepStrictEqual(names.lookup("203.0.113.7", 61_000), null);
 * deepStrictEqual(names.lastDomain("203.0.113.7"), "api.example.com");
 * ```
 */
export class DnsNames {
  readonly #byAddress = new Map<string, AnsweredName>();
  readonly #max: number;
  readonly #minTtl: number;
  readonly #defaultTtl: number;

  constructor(options: DnsNamesOptions = {}) {
    this.#max = options.maxAddresses ?? 50_000;
    this.#minTtl = options.minTtlSeconds ?? 60;
    this.#defaultTtl = options.defaultTtlSeconds ?? 300;
  }

  /** Learn the addresses of an answer seen at `at` (ms); returns how many. */
  add(answer: DnsAnswer, at: number): number {
    if (answer.question === "" || answer.records.length === 0) return 0;
    const chain = [answer.question];
    const targets = new Map<string, string>();
    for (const r of answer.records) {
      if (r.type === "CNAME" && !targets.has(r.name)) targets.set(r.name, r.data);
    }
    for (let next = targets.get(answer.question); next !== undefined && chain.length < MAX_CHAIN;) {
      if (chain.includes(next)) break;
      chain.push(next);
      next = targets.get(next);
    }
    let learnt = 0;
    for (const r of answer.records) {
      if (r.type === "CNAME" || !chain.includes(r.name)) continue;
      const ttl = Math.max(r.ttl ?? this.#defaultTtl, this.#minTtl);
      const end = chain.indexOf(r.name) + 1;
      this.#byAddress.delete(r.data);
      this.#byAddress.set(r.data, {
        domain: answer.question,
        chain: chain.slice(0, end),
        until: at + ttl * 1000,
      });
      learnt++;
    }
    while (this.#byAddress.size > this.#max) {
      const oldest = this.#byAddress.keys().next().value;
      if (oldest === undefined) break;
      this.#byAddress.delete(oldest);
    }
    return learnt;
  }

  /** The name a connection to `ip` made at `at` (ms) was for, while the answer counts; else null. */
  lookup(ip: string, at: number): AnsweredName | null {
    const known = this.#byAddress.get(ip);
    return known === undefined || at > known.until ? null : known;
  }

  /** The last name answered with `ip`, however long ago (for labels; connections use {@linkcode lookup}). */
  lastDomain(ip: string): string | null {
    return this.#byAddress.get(ip)?.domain ?? null;
  }

  /** Addresses remembered. */
  get size(): number {
    return this.#byAddress.size;
  }
}
