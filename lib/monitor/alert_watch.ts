import { listedText, type ThreatSources, type Verdict, verdictFor } from "../enrich/threat_verdict.ts";
import { isLocalAddress } from "../model/address_scope.ts";
import type { Connection } from "../model/connection.ts";
import type { AlertDetails, ConnectionEvent } from "../model/monitor_event.ts";
import type { FailOn } from "./fail_on.ts";

export type { FailOn } from "./fail_on.ts";

/** Connections waiting for their address's reputation, at most this many. */
const MAX_WAITING = 10_000;
/** Clean verdicts are trusted this long, then judged again. */
const CLEAN_FOR_MS = 60_000;
const MAX_CLEAN = 200_000;

interface Finding {
  reason: string;
  severity: "warning" | "error";
  details: AlertDetails;
  conditions: FailOn[];
}

/** The first reason to alert about a verdict, or null; and every `--fail-on` condition it meets. */
function findingFor(verdict: Verdict, expectedName: string, domain: string | null): Finding | null {
  const details: AlertDetails = {};
  const conditions: FailOn[] = [];
  const reasons: { reason: string; severity: "warning" | "error" }[] = [];
  if (verdict.listed !== null) {
    details.blocklist = listedText(verdict.listed);
    conditions.push("blocklisted");
    reasons.push({ reason: `blocklist ${details.blocklist}`, severity: "error" });
  }
  const reputation = verdict.reputation;
  if (reputation !== null) {
    details.risk_level = reputation.risk_level;
    details.abuse_score = reputation.abuse_score;
    if (reputation.risk_level === "MALICIOUS" || reputation.risk_level === "SUSPICIOUS") {
      // `--fail-on suspicious` means "suspicious or worse".
      conditions.push("suspicious");
      if (reputation.risk_level === "MALICIOUS") conditions.push("malicious");
      reasons.push({
        reason: `reputation ${reputation.risk_level} (AbuseIPDB score ${reputation.abuse_score})`,
        severity: reputation.risk_level === "MALICIOUS" ? "error" : "warning",
      });
    }
  }
  if (verdict.unexpected === true) {
    conditions.push("unexpected");
    const what = domain === null ? "destination" : `destination ${domain}`;
    reasons.push({ reason: `UNEXPECTED ${what} (not in ${expectedName})`, severity: "warning" });
  }
  const first = reasons[0];
  return first === undefined ? null : { ...first, details, conditions };
}

/**
 * Turns verdicts into alerts for the monitor: one `ALERT` per (remote
 * address, process) per run, stamped with the time the connection was seen.
 * A connection whose reputation is still being checked waits here and is
 * judged once the answer arrives, even if it has closed by then. Records
 * which `--fail-on` conditions were met.
 */
export class AlertWatch {
  readonly #sources: ThreatSources;
  readonly #alerted = new Set<string>();
  /** Alerted remote address → the reason of its first alert. */
  readonly #alertedAddresses = new Map<string, string>();
  readonly #met = new Set<FailOn>();
  /**
   * (remote, process) keys judged clean against the current lists, skipped on
   * later polls; forgotten when a list changes and every minute (reputation
   * answers are rescanned).
   */
  readonly #clean = new Set<string>();
  #cleanFor: { lists: unknown; expected: unknown; since: number } = { lists: null, expected: null, since: 0 };
  /**
   * Whether a list has `host:port` entries, so that a clean verdict holds for one remote port only. Without
   * them the port is left out of the clean keys: 10,000 incoming connections from one address are one key.
   */
  #portsMatter = false;
  /** Address → connections seen while its reputation was unknown. */
  readonly #waiting = new Map<string, Connection[]>();
  #waitingCount = 0;
  /**
   * Connections that would be UNEXPECTED only for want of a name: the DNS
   * answer may be read just after the connection is seen, so they are judged
   * once more at the next check.
   */
  #unnamed: Connection[] = [];

  constructor(sources: ThreatSources) {
    this.#sources = sources;
  }

  /** Conditions met so far, for `--fail-on`. */
  get met(): ReadonlySet<FailOn> {
    return this.#met;
  }

  /** True when an alert was raised for this remote address. */
  isAlerted(ip: string): boolean {
    return this.#alertedAddresses.has(ip);
  }

  /** The reason of the first alert raised for this remote address, or null. */
  reasonFor(ip: string): string | null {
    return this.#alertedAddresses.get(ip) ?? null;
  }

  /**
   * Alerts for a poll's connections, and for earlier ones whose reputation has
   * just arrived. With `fresh` (the connections new since the last poll), only
   * those are judged — unless a list changed or a minute has passed, when
   * every connection is judged again (`connections` may be a function that
   * gives them only then).
   */
  check(
    connections: readonly Connection[] | (() => readonly Connection[]),
    now = Date.now(),
    fresh?: readonly Connection[],
  ): ConnectionEvent[] {
    const events: ConnectionEvent[] = [];
    const lists = this.#sources.blocklists();
    const expected = this.#sources.expected?.() ?? null;
    const cleanFor = this.#cleanFor;
    if (
      cleanFor.lists !== lists || cleanFor.expected !== expected || now - cleanFor.since >= CLEAN_FOR_MS ||
      this.#clean.size >= MAX_CLEAN
    ) {
      this.#clean.clear();
      this.#cleanFor = { lists, expected, since: now };
      this.#portsMatter = (lists?.matchesPorts ?? false) || (expected?.matchesPorts ?? false);
      fresh = undefined;
    }
    for (const [ip, waiting] of this.#waiting) {
      if (this.#sources.reputation?.(ip) === null) continue;
      this.#waiting.delete(ip);
      this.#waitingCount -= waiting.length;
      for (const connection of waiting) this.#judge(connection, events, false);
    }
    const unnamed = this.#unnamed;
    this.#unnamed = [];
    for (const connection of unnamed) this.#judge(connection, events, false);
    // The whole list is asked for only when it is judged (a minute apart, or after a list changed).
    const judged = fresh ?? (typeof connections === "function" ? connections() : connections);
    // Indexed, not for-of: Maglev (the top tier under --max-opt=2) makes a for-of's iterator results.
    for (let i = 0; i < judged.length; i++) this.#judge(judged[i]!, events, true);
    return events;
  }

  #judge(connection: Connection, events: ConnectionEvent[], mayWait: boolean): void {
    const ip = connection.remote_ip;
    if (ip === null || connection.direction === "listening") return;
    const key = `${ip}|${connection.pid ?? ""}|${connection.process_name ?? ""}`;
    const names = this.#sources.names ?? null;
    const answered = names === null ? null : names(ip, Date.parse(connection.timestamp) || Date.now());
    const domain = connection.domain ?? answered?.domain ?? null;
    // `--expect` judges outgoing connections only, so a clean verdict holds for one direction; names and
    // `host:port` entries make it hold for one name and port.
    const port = this.#portsMatter ? connection.remote_port ?? "" : "";
    const cleanKey = `${key}|${connection.direction}|${domain ?? ""}|${port}`;
    if (this.#clean.has(cleanKey) || this.#alerted.has(key)) return;
    const chain = answered !== null && answered.domain === domain ? answered.chain : undefined;
    const verdict = verdictFor(ip, this.#sources, { domain, chain, port: connection.remote_port });
    // Egress auditing: only connections this machine opened are destinations.
    if (connection.direction !== "outgoing") verdict.unexpected = null;
    const finding = findingFor(verdict, this.#sources.expectedName ?? "the --expect list", domain);
    if (
      finding !== null && mayWait && names !== null && domain === null &&
      finding.conditions.every((condition) => condition === "unexpected")
    ) {
      this.#unnamed.push(connection);
      return;
    }
    if (finding === null) {
      // Reputation may still judge a public address it has not answered for.
      const pending = verdict.reputation === null && this.#sources.reputation !== null && !isLocalAddress(ip);
      if (!pending) this.#clean.add(cleanKey);
      else if (mayWait) this.#wait(connection);
      return;
    }
    this.#raise(
      domain === null || connection.domain === domain ? connection : { ...connection, domain },
      finding,
      key,
      events,
    );
  }

  #wait(connection: Connection): void {
    const ip = connection.remote_ip;
    if (ip === null || this.#waitingCount >= MAX_WAITING) return;
    const list = this.#waiting.get(ip) ?? [];
    if (list.some((c) => c.pid === connection.pid && c.process_name === connection.process_name)) return;
    list.push(connection);
    this.#waiting.set(ip, list);
    this.#waitingCount++;
  }

  #raise(connection: Connection, finding: Finding, key: string, events: ConnectionEvent[]): void {
    for (const condition of finding.conditions) this.#met.add(condition);
    this.#alerted.add(key);
    const ip = connection.remote_ip;
    if (ip !== null && !this.#alertedAddresses.has(ip)) this.#alertedAddresses.set(ip, finding.reason);
    events.push({
      event: "ALERT",
      connection,
      reason: finding.reason,
      severity: finding.severity,
      details: finding.details,
      conditions: finding.conditions,
    });
  }
}
