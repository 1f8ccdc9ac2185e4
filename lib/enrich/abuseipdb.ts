import { isLocalAddress } from "../model/address_scope.ts";
import { type Reputation, riskLevel, type RiskThresholds } from "../model/risk.ts";
import { clockTime } from "../model/timestamp.ts";

/** SPEC's default check endpoint (`ABUSE_URL`). */
export const DEFAULT_ABUSE_URL = "https://api.abuseipdb.com/api/v2/check";

/** How to reach AbuseIPDB and how to read its scores. */
export interface AbuseIpdbSettings {
  /** The API key (`ABUSEAPI`): sent in the `Key` header, never printed. */
  key: string;
  url: string;
  thresholds: RiskThresholds;
  /** An address is checked again after this long (`RESCAN_INTERVAL`). */
  rescanMs: number;
}

/** How the client behaves; the defaults suit a live run, tests shorten the waits. */
export interface AbuseIpdbOptions {
  fetch?: typeof fetch;
  now?: () => number;
  /** Requests in flight at once. */
  concurrency?: number;
  timeoutMs?: number;
  /** Tries per address on 5xx, timeouts and network errors, before UNKNOWN. */
  attempts?: number;
  /** First wait before a retry; doubles each time. */
  backoffMs?: number;
  /** Addresses waiting to be checked; beyond this, new ones wait for a later poll. */
  maxQueue?: number;
  /** Addresses whose answer is remembered. */
  maxCached?: number;
  /** One line for the user; each kind of trouble is said once. */
  onNote?: (line: string) => void;
  /** Called when an address's answer arrives. */
  onResult?: (ip: string, reputation: Reputation) => void;
  /** Answers already known (from history), to start from. */
  cached?: Iterable<[string, Reputation]>;
}

const UNKNOWN_RETRY_MS = 10 * 60_000;

class RetryLater extends Error {}

interface Queued {
  ip: string;
  waiters: ((reputation: Reputation | null) => void)[];
}

/** Seconds or an HTTP date, as `Retry-After` carries it, to milliseconds from now. */
function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * AbuseIPDB v2 `check` client for the monitor: never blocks (answers come from
 * a cache; unknown addresses are queued and checked a few at a time), sends
 * only public addresses, and keeps working through the API's failures:
 * 429 pauses every request until `Retry-After` (or `X-RateLimit-Reset`),
 * 401/403 turns reputation off for the run, 5xx and timeouts are retried
 * with backoff, and a body it cannot read makes the address UNKNOWN. Each kind
 * of trouble is reported once. The key only ever goes into the request header.
 */
export class AbuseIpdb {
  readonly #settings: AbuseIpdbSettings;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #options: Required<Pick<AbuseIpdbOptions, "concurrency" | "timeoutMs" | "attempts" | "backoffMs">>;
  readonly #maxQueue: number;
  readonly #maxCached: number;
  readonly #onNote: (line: string) => void;
  readonly #onResult: (ip: string, reputation: Reputation) => void;
  readonly #cache = new Map<string, Reputation>();
  readonly #queue: Queued[] = [];
  readonly #queued = new Map<string, Queued>();
  readonly #said = new Set<string>();
  #running = 0;
  #pausedUntil = 0;
  #disabled = false;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  readonly #timers = new Map<ReturnType<typeof setTimeout>, () => void>();

  constructor(settings: AbuseIpdbSettings, options: AbuseIpdbOptions = {}) {
    this.#settings = settings;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
    this.#options = {
      concurrency: options.concurrency ?? 2,
      timeoutMs: options.timeoutMs ?? 10_000,
      attempts: options.attempts ?? 4,
      backoffMs: options.backoffMs ?? 2_000,
    };
    this.#maxQueue = options.maxQueue ?? 1_000;
    this.#maxCached = options.maxCached ?? 100_000;
    this.#onNote = options.onNote ?? (() => {});
    this.#onResult = options.onResult ?? (() => {});
    for (const [ip, reputation] of options.cached ?? []) this.#cache.set(ip, reputation);
  }

  /** False once the key was rejected: nothing more is asked this run. */
  get enabled(): boolean {
    return !this.#disabled;
  }

  /**
   * What is known about an address now, or null; queues a check when there is
   * no answer yet or the answer is older than the rescan interval. Local and
   * special addresses are never sent and always answer null.
   */
  lookup(ip: string): Reputation | null {
    if (isLocalAddress(ip)) return null;
    const known = this.#cache.get(ip);
    if (known === undefined || this.#isStale(known)) this.#enqueue(ip);
    return known ?? null;
  }

  /** The answer for an address, waiting for the check when needed (for `conntrail check`). */
  check(ip: string): Promise<Reputation | null> {
    const known = this.lookup(ip);
    const queued = this.#queued.get(ip);
    if (queued === undefined) return Promise.resolve(known);
    return new Promise((resolve) => queued.waiters.push(resolve));
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drop what is queued; answers in flight are still taken. */
  close(): void {
    this.#closed = true;
    this.#dropQueue();
    for (const [timer, resolve] of this.#timers) {
      clearTimeout(timer);
      resolve();
    }
    this.#timers.clear();
  }

  /** A wait that close() cuts short, so that no timer outlives the client. */
  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.set(timer, resolve);
    });
  }

  #isStale(reputation: Reputation): boolean {
    const age = this.#now() - reputation.checked_at;
    return age >= (reputation.risk_level === "UNKNOWN" ? UNKNOWN_RETRY_MS : this.#settings.rescanMs);
  }

  #enqueue(ip: string): void {
    if (this.#disabled || this.#closed || this.#queued.has(ip) || this.#queue.length >= this.#maxQueue) {
      return;
    }
    const item: Queued = { ip, waiters: [] };
    this.#queue.push(item);
    this.#queued.set(ip, item);
    this.#pump();
  }

  #sayOnce(kind: string, line: string): void {
    if (this.#said.has(kind)) return;
    this.#said.add(kind);
    // The key is only ever in a header; this guards against a server echoing it back.
    this.#onNote(this.#settings.key === "" ? line : line.replaceAll(this.#settings.key, "[key]"));
  }

  #pump(): void {
    while (
      this.#running < this.#options.concurrency && this.#queue.length > 0 && !this.#disabled && !this.#closed
    ) {
      const wait = this.#pausedUntil - this.#now();
      if (wait > 0) {
        this.#running++;
        this.#delay(wait).then(() => {
          this.#running--;
          this.#pump();
        });
        return;
      }
      const item = this.#queue.shift();
      if (item === undefined) break;
      this.#running++;
      this.#checkWithRetries(item.ip).then((reputation) => {
        this.#running--;
        if (reputation === "later") {
          this.#queue.unshift(item);
        } else {
          this.#queued.delete(item.ip);
          if (reputation !== null) this.#remember(item.ip, reputation);
          for (const waiter of item.waiters) waiter(reputation);
        }
        this.#pump();
      });
    }
    if (this.#running === 0 && (this.#queue.length === 0 || this.#disabled || this.#closed)) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  #dropQueue(): void {
    for (const item of this.#queue.splice(0)) {
      this.#queued.delete(item.ip);
      for (const waiter of item.waiters) waiter(null);
    }
  }

  #remember(ip: string, reputation: Reputation): void {
    if (this.#cache.size >= this.#maxCached) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.delete(ip);
    this.#cache.set(ip, reputation);
    this.#onResult(ip, reputation);
  }

  async #checkWithRetries(ip: string): Promise<Reputation | null | "later"> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#checkOnce(ip);
      } catch (error) {
        if (error instanceof RetryLater) return "later";
        if (this.#disabled) return null;
        const reason = error instanceof DOMException && error.name === "TimeoutError"
          ? `no answer within ${this.#options.timeoutMs / 1000}s`
          : error instanceof Error
          ? error.message
          : String(error);
        if (attempt >= this.#options.attempts) {
          this.#sayOnce("gave-up", `note: AbuseIPDB did not answer for ${ip} (${reason}); marked UNKNOWN`);
          return this.#unknown();
        }
        this.#sayOnce("retrying", `note: AbuseIPDB is not answering (${reason}); retrying with backoff`);
        await this.#delay(this.#options.backoffMs * 2 ** (attempt - 1));
        if (this.#closed) return null;
      }
    }
  }

  #unknown(country: string | null = null): Reputation {
    return { risk_level: "UNKNOWN", abuse_score: null, country, checked_at: this.#now() };
  }

  async #checkOnce(ip: string): Promise<Reputation | null> {
    const url = new URL(this.#settings.url);
    url.searchParams.set("ipAddress", ip);
    url.searchParams.set("maxAgeInDays", "90");
    const response = await this.#fetch(url, {
      headers: { Accept: "application/json", Key: this.#settings.key },
      signal: AbortSignal.timeout(this.#options.timeoutMs),
    });
    const body = await response.text();
    if (response.status === 429) {
      const now = this.#now();
      const wait = retryAfterMs(response.headers.get("Retry-After"), now) ??
        this.#resetMs(response.headers, now) ?? 60_000;
      this.#pausedUntil = now + wait;
      this.#sayOnce(
        "429",
        `note: AbuseIPDB's rate limit is reached; no more checks until ${clockTime(new Date(now + wait))}`,
      );
      throw new RetryLater();
    }
    if (response.status === 401 || response.status === 403) {
      this.#disabled = true;
      this.#dropQueue();
      this.#sayOnce(
        "key",
        `note: AbuseIPDB rejected the API key (HTTP ${response.status}); reputation is off for this run`,
      );
      return null;
    }
    if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
    if (response.status !== 200) {
      this.#sayOnce(
        `http-${response.status}`,
        `note: AbuseIPDB refused to check ${ip} (HTTP ${response.status}${
          this.#errorDetail(body)
        }); marked UNKNOWN`,
      );
      return this.#unknown();
    }
    if (response.headers.get("X-RateLimit-Remaining") === "0") {
      const now = this.#now();
      const wait = this.#resetMs(response.headers, now) ??
        retryAfterMs(response.headers.get("Retry-After"), now) ??
        60_000;
      this.#pausedUntil = now + wait;
      this.#sayOnce(
        "429",
        `note: AbuseIPDB's daily checks are used up; no more checks until ${clockTime(new Date(now + wait))}`,
      );
    }
    return this.#read(body);
  }

  #resetMs(headers: Headers, now: number): number | null {
    const reset = Number(headers.get("X-RateLimit-Reset") ?? "");
    return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : null;
  }

  #errorDetail(body: string): string {
    try {
      const detail = JSON.parse(body)?.errors?.[0]?.detail;
      return typeof detail === "string" ? `: ${detail.slice(0, 120)}` : "";
    } catch {
      return "";
    }
  }

  #read(body: string): Reputation {
    let data: unknown;
    try {
      data = JSON.parse(body)?.data;
    } catch {
      data = undefined;
    }
    const score = (data as { abuseConfidenceScore?: unknown } | undefined)?.abuseConfidenceScore;
    const country = (data as { countryCode?: unknown } | undefined)?.countryCode;
    if (typeof score !== "number" || !Number.isFinite(score) || score < 0 || score > 100) {
      this.#sayOnce(
        "malformed",
        "note: AbuseIPDB sent an answer conntrail cannot read; those addresses are UNKNOWN",
      );
      return this.#unknown();
    }
    return {
      risk_level: riskLevel(score, this.#settings.thresholds),
      abuse_score: score,
      country: typeof country === "string" && /^[A-Z]{2}$/.test(country) ? country : null,
      checked_at: this.#now(),
    };
  }
}
