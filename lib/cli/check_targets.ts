import { isSystemError } from "../model/errors.ts";
import ipaddr from "ipaddr.js";
import type { PtrResolver } from "../enrich/reverse_dns.ts";
import { listedText, verdictFor } from "../enrich/threat_verdict.ts";
import type { CheckResult } from "../model/check_result.ts";
import { timerDelay } from "../model/timer_delay.ts";
import type { OpenedGeo } from "./geo_config.ts";
import type { ThreatIntel } from "./threat_intel.ts";

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

async function reverseName(ptr: PtrResolver, ip: string): Promise<string | null> {
  try {
    const names = await ptr(ip, AbortSignal.timeout(timerDelay(PTR_TIMEOUT_MS)));
    return names[0]?.replace(/\.$/, "") ?? null;
  } catch {
    return null;
  }
}

function canonical(ip: string): string {
  return ipaddr.process(ip).toString();
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
    const isIp = ipaddr.isValid(target);
    const domainEntry = isIp ? null : threat.blocklists.index.matchDomain(target);
    let addresses: string[] = [];
    let note: string | null = null;
    if (isIp) {
      addresses = [canonical(target)];
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
