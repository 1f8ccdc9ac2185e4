import { isSystemError } from "../model/errors.ts";
import { canonicalIp } from "../model/ip_address.ts";
import type { PtrResolver } from "../enrich/reverse_dns.ts";
import { listedText, verdictFor } from "../enrich/threat_verdict.ts";
import type { CheckResult } from "../model/check_result.ts";
import { timerDelay } from "../model/timer_delay.ts";
import { addressResolver } from "../enrich/blocklist_files.ts";
import { parseDnsServer, ptrResolver } from "../enrich/reverse_dns.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import type { CommandIo } from "./command_io.ts";
import { type GeoFlags, type OpenedGeo, openGeo } from "./geo_config.ts";
import { REPUTATION_ENV } from "./reputation_config.ts";
import { openThreatIntel, type ThreatFlags, type ThreatIntel, type ThreatIo } from "./threat_intel.ts";

const PTR_TIMEOUT_MS = 2_000;

/** What {@linkcode checkTargets} asks. */
export interface CheckLookups {
  threat: ThreatIntel;
  geo: OpenedGeo;
  /** A domain's addresses. */
  resolveAddresses: (name: string) => Promise<string[]>;
  /** PTR lookups, asked when `resolveNames`. */
  ptr: PtrResolver;
  resolveNames: boolean;
}

/**
 * A one-shot command never waits long for AbuseIPDB: 20 s in all, requests
 * of at most 10 s, one retry after 1 s. A rate limit that lasts longer makes
 * the addresses UNKNOWN (`rate limited until 14:06`) rather than a wait.
 */
export const CHECK_REPUTATION_WAITS = {
  patienceMs: 20_000,
  timeoutMs: 10_000,
  attempts: 2,
  backoffMs: 1_000,
} as const;

/** What the lookups run on; tests pass loopback servers, or resolvers of their own. */
export interface LookupIo extends CommandIo {
  /** A domain's addresses; the default asks the platform's resolver (or `--dns-server`). */
  resolveAddresses?: (name: string) => Promise<string[]>;
  /** PTR lookups; the default asks the platform's resolver (or `--dns-server`). */
  ptr?: PtrResolver;
  /** AbuseIPDB's waits; tests pass a clock of their own. The default is {@linkcode CHECK_REPUTATION_WAITS}. */
  reputationWaits?: ThreatIo["reputationWaits"];
}

/**
 * The lookups of `conntrail check`, opened as a monitoring session opens its
 * own: block lists, AbuseIPDB (the key from the environment or `.env`), geo,
 * and DNS (`--dns-server`, or the platform's). `close` stops the list refreshes.
 */
export async function openCheckLookups(
  flags: ThreatFlags & GeoFlags & { dnsServer?: string; resolveNames: boolean },
  io: LookupIo & { warn: (line: string) => void },
): Promise<CheckLookups & { close: () => void }> {
  const server = flags.dnsServer === undefined ? undefined : parseDnsServer(flags.dnsServer) ?? undefined;
  const threat = await openThreatIntel(flags, {
    machine: io,
    env: io.readEnv(REPUTATION_ENV).values,
    note: (line) => io.warn(safeTerminalText(line)),
    now: () => io.now().getTime(),
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
    ...(io.lists === undefined ? {} : { lists: io.lists }),
    reputationWaits: io.reputationWaits ?? CHECK_REPUTATION_WAITS,
  });
  if (threat.reputation === null && flags.reputation) {
    io.warn("note: reputation is off: set ABUSEAPI (an AbuseIPDB key) in .env or the environment");
  }
  const geo = await openGeo(flags, { note: (line) => io.warn(safeTerminalText(line)), files: io.files });
  return {
    threat,
    geo,
    resolveAddresses: io.resolveAddresses ?? addressResolver(io.network, server),
    ptr: io.ptr ?? ptrResolver(io.network, server),
    resolveNames: flags.resolveNames,
    close: () => threat.close(),
  };
}

async function reverseName(ptr: PtrResolver, ip: string): Promise<string | null> {
  try {
    const names = await ptr(ip, AbortSignal.timeout(timerDelay(PTR_TIMEOUT_MS)));
    return names[0]?.replace(/\.$/, "") ?? null;
  } catch {
    return null;
  }
}

// The resolver's answers are addresses already; this only writes them the one way.
function canonical(ip: string): string {
  return canonicalIp(ip) ?? ip;
}

/**
 * The verdicts for IP addresses and domains: block lists, AbuseIPDB (waiting
 * for its answers), geo, reverse DNS. A domain is checked by name against list
 * domains and by each address it resolves to; one that resolves to nothing is
 * one result with a note.
 */
export async function checkTargets(
  targets: readonly string[],
  lookups: CheckLookups,
): Promise<CheckResult[]> {
  const { threat, geo } = lookups;
  const results: CheckResult[] = [];
  for (const target of targets) {
    const targetIp = canonicalIp(target);
    const isIp = targetIp !== null;
    const domainEntry = isIp ? null : threat.blocklists.index.matchDomain(target);
    let addresses: string[] = [];
    let note: string | null = null;
    if (isIp) {
      addresses = [targetIp];
    } else {
      try {
        addresses = [...new Set((await lookups.resolveAddresses(target)).map(canonical))];
        if (addresses.length === 0) note = "the domain has no addresses";
      } catch (error) {
        note = isSystemError(error, "NotCapable")
          ? "not resolved: DNS is not allowed; run with --allow-net"
          : `not resolved: ${error instanceof Error ? error.message : error}`;
      }
    }
    if (addresses.length === 0) {
      results.push({
        query: target,
        ip: null,
        domain: target.toLowerCase().replace(/\.$/, ""),
        hostname: null,
        blocklist: domainEntry === null ? null : listedText(domainEntry),
        risk_level: null,
        abuse_score: null,
        country: null,
        asn: null,
        as_org: null,
        note,
      });
      continue;
    }
    for (const ip of addresses) {
      const answer = await threat.reputation?.answer(ip);
      const verdict = verdictFor(ip, threat.sources);
      const listed = verdict.listed ?? domainEntry;
      const place = geo.lookup?.describe(ip) ?? {};
      const notes = [
        verdict.privateSkipped ? "private or special: lists not consulted (--include-private)" : null,
        answer?.reason ?? null,
        threat.reputation !== null && verdict.reputation === null
          ? threat.reputation.enabled ? "not sent to AbuseIPDB (not public)" : null
          : null,
      ].filter((n) => n !== null);
      results.push({
        query: target,
        ip,
        domain: isIp ? null : target.toLowerCase().replace(/\.$/, ""),
        hostname: lookups.resolveNames ? await reverseName(lookups.ptr, ip) : null,
        blocklist: listed === null ? null : listedText(listed),
        risk_level: verdict.reputation?.risk_level ?? null,
        abuse_score: verdict.reputation?.abuse_score ?? null,
        country: place.country ?? verdict.reputation?.country ?? null,
        asn: place.asn ?? null,
        as_org: place.as_org ?? null,
        note: notes.length === 0 ? null : notes.join("; "),
      });
    }
  }
  return results;
}
