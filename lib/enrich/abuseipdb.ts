import { isLocalAddress } from "../model/address_scope.ts";
import { DEFAULT_ABUSE_URL, type Reputation, riskLevel, type RiskThresholds } from "../model/risk.ts";
import { localDateTime } from "../model/timestamp.ts";
import { timerDelay } from "../model/timer_delay.ts";
import { boundedText } from "./bounded_body.ts";

// Defined beside the risk levels, so that reading the settings does not load this client.
export { DEFAULT_ABUSE_URL };

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
  /** Waits (rate-limit pauses, backoff); the default is a timer that close() cuts short. */
  sleep?: (ms: number) => Promise<void>;
  /** Requests in flight at once. */
  concurrency?: number;
  timeoutMs?: number;
  /** Tries per address on 5xx, timeouts and network errors, before UNKNOWN. */
  attempts?: number;
  /** First wait before a retry; doubles each time. */
  backoffMs?: number;
  /**
   * For a one-shot command (`conntrail check`): the longest it waits, from
   * the client's start. A rate limit that lasts past it, and a retry that
   * would end past it, make the address UNKNOWN with the reason instead.
   * Unset (the monitor): rate limits are waited out, however long.
   */
  patienceMs?: number;
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

/** An address's answer, and why it is UNKNOWN when it is (`rate limited until 14:06`). */
export interface ReputationAnswer {
  reputation: Reputation | null;
  reason: string | null;
}

const UNKNOWN_RETRY_MS = 10 * 60_000;
/** AbuseIPDB's limits are daily: a longer pause is a server's mistake (or malice), and is cut to this. */
const MAX_PAUSE_MS = 24 * 3_600_000;
/** An answer is a few hundred bytes; a longer body is not read to its end. */
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

class RetryLater extends Error {}

/** A redirect to another origin: the key is not sent there. */
class CrossOriginRedirect extends Error {}

interface Queued {
  ip: string;
  waiters: ((answer: ReputationAnswer) => void)[];
}

/** Seconds or an HTTP date, as `Retry-After` carries it, to milliseconds from now. */
function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** `14:06` today, `2026-11-22 14:06` on another day. */
function untilText(at: number, now: number): string {
  const [date = "", time = ""] = localDateTime(new Date(at)).split(" ");
  const sameDay = localDateTime(new Date(now)).startsWith(date);
  return sameDay ? time.slice(0, 5) : `${date} ${time.slice(0, 5)}`;
}

/**
 * A redirect the key may follow: the same origin, or the same host moving
 * from http to https. Anything else would hand the key to another server.
 */
function mayFollow(from: URL, to: URL): boolean {
  if (from.origin === to.origin) return true;
  return from.protocol === "http:" && to.protocol === "https:" && from.hostname === to.hostname &&
    from.port === "" && to.port === "";
}

/**
 * AbuseIPDB v2 `check` client for the monitor: never blocks (answers come from
 * a cache; unknown addresses are queued and checked a few at a time), sends
 * only public addresses, and keeps working through the API's failures:
 * 429 pauses every request until `Retry-After` (or `X-RateLimit-Reset`, at
 * most a day), 401/403 turns reputation off for the run, 5xx and timeouts are
 * retried with backoff, and a body it cannot read makes the address UNKNOWN.
 * Each kind of trouble is reported once. The key only ever goes into the
 * request header, to the configured URL's origin: a redirect elsewhere is not
 * followed and turns reputation off. With `patienceMs` (one-shot commands)
 * nothing waits past that bound.
 */
export class AbuseIpdb {
  readonly #settings: AbuseIpdbSettings;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #options: Required<Pick<AbuseIpdbOptions, "concurrency" | "timeoutMs" | "attempts" | "backoffMs">>;
  readonly #deadline: number | null;
  readonly #maxQueue: number;
  readonly #maxCached: number;
  readonly #onNote: (line: string) => void;
  readonly #onResult: (ip: string, reputation: Reputation) => void;
  readonly #cache = new Map<string, Reputation>();
  /** Why an address in the cache is UNKNOWN, when there is more to say than the level. */
  readonly #reasons = new Map<string, string>();
  readonly #queue: Queued[] = [];
  readonly #queued = new Map<string, Queued>();
  readonly #said = new Set<string>();
  #running = 0;
  #pausedUntil = 0;
  #lastTimeoutMs = 0;
  #disabled = false;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  readonly #timers = new Map<ReturnType<typeof setTimeout>, () => void>();

  constructor(settings: AbuseIpdbSettings, options: AbuseIpdbOptions = {}) {
    this.#settings = settings;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => this.#delay(ms));
    this.#options = {
      concurrency: options.concurrency ?? 2,
      timeoutMs: options.timeoutMs ?? 10_000,
      attempts: options.attempts ?? 4,
      backoffMs: options.backoffMs ?? 2_000,
    };
    this.#deadline = options.patienceMs === undefined ? null : this.#now() + options.patienceMs;
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
  async check(ip: string): Promise<Reputation | null> {
    return (await this.answer(ip)).reputation;
  }

  /** As {@linkcode check}, with the reason when the answer is UNKNOWN or missing. */
  answer(ip: string): Promise<ReputationAnswer> {
    const known = this.lookup(ip);
    const queued = this.#queued.get(ip);
    if (queued === undefined) {
      return Promise.resolve({ reputation: known, reason: this.#reasons.get(ip) ?? null });
    }
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
    this.#dropQueue({ reputation: null, reason: null });
    for (const [timer, resolve] of this.#timers) {
      clearTimeout(timer);
      resolve();
    }
    this.#timers.clear();
  }

  /** A wait that close() cuts short, so that no timer outlives the client. */
  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) return resolve();
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, timerDelay(ms));
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
    // The key is only ever in a header; this guards against a server echoing it back. (A key of a
    // few letters is no secret, and hiding it would mangle words.)
    const key = this.#settings.key;
    this.#onNote(key.length < 8 ? line : line.replaceAll(key, "[key]"));
  }

  /** True when waiting until `at` would break a one-shot command's bound. */
  #pastDeadline(at: number): boolean {
    return this.#deadline !== null && at > this.#deadline;
  }

  #pump(): void {
    while (
      this.#running < this.#options.concurrency && this.#queue.length > 0 && !this.#disabled && !this.#closed
    ) {
      const wait = this.#pausedUntil - this.#now();
      if (wait > 0 && this.#pastDeadline(this.#pausedUntil)) {
        // A one-shot command does not wait out the rate limit: what is left is UNKNOWN, with why.
        const reason = `rate limited until ${untilText(this.#pausedUntil, this.#now())}`;
        for (const item of this.#queue.splice(0)) this.#settle(item, this.#unknown(reason));
        break;
      }
      if (wait > 0) {
        this.#running++;
        this.#sleep(wait).then(() => {
          this.#running--;
          this.#pump();
        });
        return;
      }
      const item = this.#queue.shift();
      if (item === undefined) break;
      this.#running++;
      this.#checkWithRetries(item.ip).then((answer) => {
        this.#running--;
        // Rate limited while another request turned reputation off (or the client closed): nothing will
        // ask again, so the waiters get their answer now rather than never.
        if (answer === "later" && (this.#disabled || this.#closed)) {
          this.#settle(item, { reputation: null, reason: null });
        } else if (answer === "later") this.#queue.unshift(item);
        else this.#settle(item, answer);
        this.#pump();
      });
    }
    if (this.#running === 0 && (this.#queue.length === 0 || this.#disabled || this.#closed)) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  #settle(item: Queued, answer: ReputationAnswer): void {
    this.#queued.delete(item.ip);
    if (answer.reputation !== null) this.#remember(item.ip, answer);
    for (const waiter of item.waiters) waiter(answer);
  }

  #dropQueue(answer: ReputationAnswer): void {
    for (const item of this.#queue.splice(0)) {
      this.#queued.delete(item.ip);
      for (const waiter of item.waiters) waiter(answer);
    }
  }

  #remember(ip: string, answer: ReputationAnswer): void {
    const reputation = answer.reputation as Reputation;
    if (this.#cache.size >= this.#maxCached) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) {
        this.#cache.delete(oldest);
        this.#reasons.delete(oldest);
      }
    }
    this.#cache.delete(ip);
    this.#cache.set(ip, reputation);
    if (answer.reason === null) this.#reasons.delete(ip);
    else this.#reasons.set(ip, answer.reason);
    this.#onResult(ip, reputation);
  }

  async #checkWithRetries(ip: string): Promise<ReputationAnswer | "later"> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#checkOnce(ip);
      } catch (error) {
        if (error instanceof RetryLater) return "later";
        if (this.#disabled || this.#closed) return { reputation: null, reason: null };
        const reason = error instanceof DOMException && error.name === "TimeoutError"
          ? `no answer within ${this.#lastTimeoutMs / 1000}s`
          : error instanceof Error
          ? error.message
          : String(error);
        const backoff = this.#options.backoffMs * 2 ** (attempt - 1);
        if (attempt >= this.#options.attempts || this.#pastDeadline(this.#now() + backoff)) {
          this.#sayOnce("gave-up", `note: AbuseIPDB did not answer for ${ip} (${reason}); marked UNKNOWN`);
          return this.#unknown(`AbuseIPDB did not answer (${reason})`);
        }
        this.#sayOnce("retrying", `note: AbuseIPDB is not answering (${reason}); retrying with backoff`);
        await this.#sleep(backoff);
        if (this.#closed) return { reputation: null, reason: null };
      }
    }
  }

  #unknown(reason: string | null = null, country: string | null = null): ReputationAnswer {
    return {
      reputation: { risk_level: "UNKNOWN", abuse_score: null, country, checked_at: this.#now() },
      reason,
    };
  }

  /** The request timeout: the client's, or less when a one-shot command's bound is nearer. */
  #timeoutMs(): number {
    const left = this.#deadline === null ? Infinity : this.#deadline - this.#now();
    return timerDelay(Math.max(1, Math.min(this.#options.timeoutMs, left)));
  }

  /** Fetch, following redirects only within the configured origin (the key goes with each hop). */
  async #fetchKeepingKeyHome(url: URL): Promise<Response> {
    this.#lastTimeoutMs = this.#timeoutMs();
    const signal = AbortSignal.timeout(timerDelay(this.#lastTimeoutMs));
    let current = url;
    for (let hop = 0;; hop++) {
      const response = await this.#fetch(current, {
        headers: { Accept: "application/json", Key: this.#settings.key },
        redirect: "manual",
        signal,
      });
      if (!REDIRECTS.has(response.status)) return response;
      await response.body?.cancel();
      const location = response.headers.get("location");
      const next = location !== null && URL.canParse(location, current) ? new URL(location, current) : null;
      if (next === null) throw new Error(`HTTP ${response.status} without a usable Location`);
      if (!mayFollow(current, next)) {
        this.#disabled = true;
        this.#dropQueue({ reputation: null, reason: null });
        this.#sayOnce(
          "redirect",
          `note: AbuseIPDB at ${url.origin} redirected to another host (${next.origin}); ` +
            "the key is not sent there, and reputation is off for this run",
        );
        throw new CrossOriginRedirect();
      }
      if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
      current = next;
    }
  }

  #pause(wait: number, line: (until: string) => string): void {
    const now = this.#now();
    const until = now + Math.min(wait, MAX_PAUSE_MS);
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
    this.#sayOnce("429", line(untilText(this.#pausedUntil, now)));
  }

  async #checkOnce(ip: string): Promise<ReputationAnswer> {
    const url = new URL(this.#settings.url);
    url.searchParams.set("ipAddress", ip);
    url.searchParams.set("maxAgeInDays", "90");
    const response = await this.#fetchKeepingKeyHome(url);
    const body = await boundedText(response, MAX_BODY_BYTES);
    if (response.status === 429) {
      const now = this.#now();
      const wait = retryAfterMs(response.headers.get("Retry-After"), now) ??
        this.#resetMs(response.headers, now) ?? 60_000;
      this.#pause(wait, (until) => `note: AbuseIPDB's rate limit is reached; no more checks until ${until}`);
      throw new RetryLater();
    }
    if (response.status === 401 || response.status === 403) {
      this.#disabled = true;
      this.#dropQueue({ reputation: null, reason: null });
      this.#sayOnce(
        "key",
        `note: AbuseIPDB rejected the API key (HTTP ${response.status}); reputation is off for this run`,
      );
      return { reputation: null, reason: null };
    }
    if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
    if (response.status !== 200) {
      this.#sayOnce(
        `http-${response.status}`,
        `note: AbuseIPDB refused to check ${ip} (HTTP ${response.status}${
          this.#errorDetail(body ?? "")
        }); marked UNKNOWN`,
      );
      return this.#unknown(`AbuseIPDB refused it (HTTP ${response.status})`);
    }
    if (response.headers.get("X-RateLimit-Remaining") === "0") {
      const now = this.#now();
      const wait = this.#resetMs(response.headers, now) ??
        retryAfterMs(response.headers.get("Retry-After"), now) ??
        60_000;
      this.#pause(
        wait,
        (until) => `note: AbuseIPDB's daily checks are used up; no more checks until ${until}`,
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
      if (typeof detail !== "string") return "";
      // The key goes before the cut: a cut through an echoed key would leave its start for #sayOnce to miss.
      const key = this.#settings.key;
      return `: ${(key.length < 8 ? detail : detail.replaceAll(key, "[key]")).slice(0, 120)}`;
    } catch {
      return "";
    }
  }

  #read(body: string | null): ReputationAnswer {
    let data: unknown;
    try {
      data = body === null ? undefined : JSON.parse(body)?.data;
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
      return this.#unknown("AbuseIPDB's answer could not be read");
    }
    return {
      reputation: {
        risk_level: riskLevel(score, this.#settings.thresholds),
        abuse_score: score,
        country: typeof country === "string" && /^[A-Z]{2}$/.test(country) ? country : null,
        checked_at: this.#now(),
      },
      reason: null,
    };
  }
}
