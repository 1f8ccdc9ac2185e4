import { parseIp } from "../model/ip_address.ts";
import { warnLine } from "./command_io.ts";
import { UsageError } from "./usage_error.ts";
import type { CheckResult } from "../model/check_result.ts";
import type { FailOn } from "../monitor/alert_watch.ts";
import { isDomainName } from "../parse/blocklist.ts";
import { checkTableChunks, renderCheckJson } from "../render/check_report.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import type { ThreatFlags } from "./threat_intel.ts";
import type { GeoFlags } from "./geo_config.ts";
import { checkTargets, type LookupIo, openCheckLookups } from "./check_targets.ts";

/** Options of `conntrail check`. */
export interface CheckOptions extends ThreatFlags, GeoFlags {
  targets: string[];
  format: "table" | "json";
  failOn: FailOn[];
  resolveNames: boolean;
  dnsServer?: string;
}

/** What `conntrail check` runs on; tests pass loopback servers, or resolvers of their own. */
export type CheckIo = LookupIo;

export { CHECK_REPUTATION_WAITS } from "./check_targets.ts";

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
    if (parseIp(target) === null && !isDomainName(target.toLowerCase())) {
      throw new UsageError(`"${safeTerminalText(target)}" is neither an IP address nor a domain`);
    }
  }
  const lookups = await openCheckLookups(options, { ...io, warn });
  let results: CheckResult[];
  try {
    results = await checkTargets(options.targets, lookups);
  } finally {
    lookups.close();
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
