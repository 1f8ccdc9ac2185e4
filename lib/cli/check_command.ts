import ipaddr from "ipaddr.js";
import { addressResolver } from "../enrich/blocklist_files.ts";
import { parseDnsServer, type PtrResolver, ptrResolver } from "../enrich/reverse_dns.ts";
import { type CommandIo, warnLine } from "./command_io.ts";
import { REPUTATION_ENV } from "./reputation_config.ts";
import { UsageError } from "./usage_error.ts";
import type { CheckResult } from "../model/check_result.ts";
import type { FailOn } from "../monitor/alert_watch.ts";
import { isDomainName } from "../parse/blocklist.ts";
import { checkTableChunks, renderCheckJson } from "../render/check_report.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import { openThreatIntel, type ThreatFlags, type ThreatIo } from "./threat_intel.ts";
import { type GeoFlags, openGeo } from "./geo_config.ts";
import { checkTargets } from "./check_targets.ts";

/** Options of `conntrail check`. */
export interface CheckOptions extends ThreatFlags, GeoFlags {
  targets: string[];
  format: "table" | "json";
  failOn: FailOn[];
  resolveNames: boolean;
  dnsServer?: string;
}

/** What `conntrail check` runs on; tests pass loopback servers, or resolvers of their own. */
export interface CheckIo extends CommandIo {
  /** A domain's addresses; the default asks the platform's resolver (or `--dns-server`). */
  resolveAddresses?: (name: string) => Promise<string[]>;
  /** PTR lookups; the default asks the platform's resolver (or `--dns-server`). */
  ptr?: PtrResolver;
  /** AbuseIPDB's waits; tests pass a clock of their own. The default is {@linkcode CHECK_REPUTATION_WAITS}. */
  reputationWaits?: ThreatIo["reputationWaits"];
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

/** The `--fail-on` conditions a result meets. */
function conditionsOf(result: CheckResult): FailOn[] {
  const met: FailOn[] = [];
  if (result.blocklist !== null) met.push("blocklisted");
  if (result.risk_level === "SUSPICIOUS" || result.risk_level === "MALICIOUS") met.push("suspicious");
  if (result.risk_level === "MALICIOUS") met.push("malicious");
  return met;
}

/**
 * `conntrail check IP|DOMAIN…`: the monitor's verdicts for given addresses,
 * without monitoring — block lists, AbuseIPDB (waiting for its answers),
 * reverse DNS. A domain is checked by name against list domains and by each
 * address it resolves to. Returns 3 when a `--fail-on` condition is met.
 */
export async function runCheck(options: CheckOptions, io: CheckIo): Promise<number> {
  const warn = warnLine(io);
  for (const target of options.targets) {
    if (!ipaddr.isValid(target) && !isDomainName(target.toLowerCase())) {
      throw new UsageError(`"${safeTerminalText(target)}" is neither an IP address nor a domain`);
    }
  }
  const server = options.dnsServer === undefined ? undefined : parseDnsServer(options.dnsServer) ?? undefined;
  const threat = await openThreatIntel(options, {
    machine: io,
    env: io.readEnv(REPUTATION_ENV).values,
    note: (line) => warn(safeTerminalText(line)),
    now: () => io.now().getTime(),
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
    ...(io.lists === undefined ? {} : { lists: io.lists }),
    reputationWaits: io.reputationWaits ?? CHECK_REPUTATION_WAITS,
  });
  if (threat.reputation === null && options.reputation) {
    warn("note: reputation is off: set ABUSEAPI (an AbuseIPDB key) in .env or the environment");
  }
  const geo = await openGeo(options, {
    note: (line) => warn(safeTerminalText(line)),
    files: io.files,
  });
  let results: CheckResult[];
  try {
    results = await checkTargets(options.targets, {
      threat,
      geo,
      resolveAddresses: io.resolveAddresses ?? addressResolver(io.network, server),
      ptr: io.ptr ?? ptrResolver(io.network, server),
      resolveNames: options.resolveNames,
    });
  } finally {
    threat.close();
  }
  if (options.format === "json") await io.stdout(renderCheckJson(results));
  else for (const chunk of checkTableChunks(results)) await io.stdout(chunk);
  const met = new Set(results.flatMap(conditionsOf));
  const failed = options.failOn.filter((condition) => met.has(condition));
  if (failed.length > 0) {
    warn(`conntrail: --fail-on ${failed.join(", ")}: exit code 3`);
    return 3;
  }
  return 0;
}
