/**
 * Flags and flag values that several commands share: history, GeoIP, threat
 * intelligence, the collector, and the parsers of numbers, ports and durations.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { COLLECTOR_NAMES } from "../collect/collector.ts";
import { parseDnsServer } from "../enrich/reverse_dns.ts";
import { UsageError } from "./usage_error.ts";
import { InputError } from "../model/errors.ts";
import { parseDuration } from "../model/duration.ts";
import { FAIL_ON, type FailOn } from "../monitor/fail_on.ts";
import type { HistoryFlags } from "./history_config.ts";
import { STORE_KINDS } from "./store_kinds.ts";
import type { GeoFlags } from "./geo_config.ts";
import type { ThreatFlags } from "./threat_intel.ts";
import { isOneOf, type OptionValues } from "./option_values.ts";

/**
 * A flag value that must be a whole number above zero, written in digits:
 * `""`, `" "`, `1e3` and `0x10` are refused, and so is a number too large to
 * be exact (`99999999999999999999`), which a database would not take.
 *
 * @example
 * ```ts
 * import { deepStrictEqual, throws } from "node:assert/strict";
 * import { positiveInteger } from "./common_flags.ts";
 * deepStrictEqual(positiveInteger("1000"), 1000);
 * for (const bad of ["", " ", "0", "1e3", "-1", "99999999999999999999"]) throws(() => positiveInteger(bad));
 * ```
 */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(
      `"${value}" is not a positive integer` +
        (/^\d+$/.test(value) && n > 0 ? ` (at most ${Number.MAX_SAFE_INTEGER})` : ""),
    );
  }
  return n;
}

/** A parser for a flag whose number must lie in a range. */
export function numberIn(name: string, min: number, max: number, exclusiveMin = false) {
  return (value: string): number => {
    const n = Number(value);
    const low = exclusiveMin ? n > min : n >= min;
    if (value.trim() === "" || !Number.isFinite(n) || !low || n > max) {
      const range = exclusiveMin ? `above ${min}` : `from ${min} to ${max}`;
      throw new UsageError(`${name} must be a number ${range}, not "${value}"`);
    }
    return n;
  };
}

/** `--width`: a whole number of characters from 20 to 500. */
export function widthValue(value: string): number {
  const n = numberIn("--width", 20, 500)(value);
  if (!Number.isInteger(n)) {
    throw new UsageError(`--width must be a whole number from 20 to 500, not "${value}"`);
  }
  return n;
}

/** A repeatable flag: every value given, in order. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A duration flag (`90`, `30s`, `10m`) in milliseconds; a value that is not one is a {@linkcode UsageError}. */
export function durationMs(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw error instanceof InputError ? new UsageError(error.message) : error;
  }
}

/** A duration flag (`90`, `30s`, `10m`) in seconds. */
export function durationSeconds(value: string): number {
  return durationMs(value) / 1000;
}

/** `--dns-server`: IP, IP:PORT or [IPv6]:PORT. */
export function dnsServerValue(value: string): string {
  if (parseDnsServer(value) === null) {
    throw new UsageError(`--dns-server must be IP, IP:PORT or [IPv6]:PORT, not "${value}"`);
  }
  return value;
}

/**
 * A port number flag, 0..65535, in digits (`''` and `' '` are not port 0).
 *
 * @example
 * ```ts
 * import { deepStrictEqual, throws } from "node:assert/strict";
 * import { portValue } from "./common_flags.ts";
 * deepStrictEqual([portValue("0"), portValue("8377")], [0, 8377]);
 * for (const bad of ["", " ", "65536", "0x50", "80.5"]) throws(() => portValue(bad));
 * ```
 */
export function portValue(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535) {
    throw new UsageError(`"${value}" is not a port number (0 to 65535)`);
  }
  return n;
}

/** A parser for an AbuseIPDB score flag, 0..100. */
export function scoreValue(name: string) {
  return (value: string): number => numberIn(name, 0, 100)(value);
}

/** `--fail-on`: one of the conditions, repeatable. */
export function failOnValue(value: string, previous: FailOn[] = []): FailOn[] {
  return failOnParser(FAIL_ON)(value, previous);
}

/** `--fail-on` for a command that knows only some of the conditions (`check` has no `--expect`). */
export function failOnParser(allowed: readonly FailOn[]) {
  return (value: string, previous: FailOn[] = []): FailOn[] => {
    if (isOneOf(allowed, value)) return [...previous, value];
    if (isOneOf(FAIL_ON, value)) throw new UsageError(`--fail-on ${value} applies to the monitor only`);
    throw new UsageError(`--fail-on must be one of ${allowed.join(", ")}, not "${value}"`);
  };
}

/** `--db` and `--store`: where history lives (the monitor, snapshot, diff, history). */
export function addHistoryOptions(command: Command): Command {
  return command
    .option("--db <path>", "the history database (default history.db in the data directory)")
    .addOption(
      new Option(
        "--store <kind>",
        "keep history in SQLite, in three JSON files (HISTORY_FILE, …), or not at all",
      )
        .choices(STORE_KINDS).default("sqlite"),
    );
}

/** `--db` names an SQLite file: with `--store json` or `none` it would be ignored, so it is refused. */
export function checkHistoryFlags(flags: HistoryFlags): void {
  if (flags.db !== undefined && flags.store !== "sqlite") {
    throw new UsageError(
      `--db names an SQLite database; --store ${flags.store} does not use one (the JSON files are set with HISTORY_FILE, CONN_RECORD_FILE and ABUSEIP_INFO_FILE)`,
    );
  }
}

/** Country and AS flags of the monitor and `conntrail check`. */
export function addGeoOptions(command: Command): Command {
  return command
    .option("--lookup-country", "show each remote address's country (on by default)", true)
    .option("--no-lookup-country", "do not look up countries")
    .option("--lookup-asn", "show each remote address's AS number and owner (on by default)", true)
    .option("--no-lookup-asn", "do not look up AS numbers")
    .option(
      "--geo-path <dir>",
      "also read the GeoIP databases in DIR (DB-IP Lite CSVs, .mmdb); they win over the embedded data",
    );
}

/** `--fail-on`, offering `failOn` (`check` has no `--expect`, so no `unexpected`). */
export function addFailOnOption(command: Command, failOn: readonly FailOn[] = FAIL_ON): Command {
  const unexpected = failOn.includes("unexpected") ? "; unexpected needs --expect" : "";
  return command.option(
    "--fail-on <what>",
    `exit 3 when a connection is ${
      failOn.join(", ")
    } (repeatable; suspicious includes malicious${unexpected})`,
    failOnParser(failOn),
  );
}

/**
 * Flags of the monitor and `conntrail check`: lists, reputation, exit codes.
 * `failOn` is what this command's `--fail-on` offers; `null` leaves the flag
 * to the caller (to place it in its own help group).
 */
export function addThreatOptions(command: Command, failOn: readonly FailOn[] | null = FAIL_ON): Command {
  command
    .option(
      "--blocklist <file>",
      "alert on addresses in this list (repeatable; default ips.txt when present)",
      collect,
      [],
    )
    .option("--include-private", "match private and special addresses against lists too", false);
  if (failOn !== null) addFailOnOption(command, failOn);
  return command
    .option("--env-file <file>", "read ABUSEAPI and the other settings from this file instead of .env")
    .option("--no-reputation", "do not ask AbuseIPDB even when ABUSEAPI is set")
    .option("--abuse-url <url>", "AbuseIPDB check endpoint (ABUSE_URL)")
    .option(
      "--safe-threshold <score>",
      "scores up to this are SAFE (SAFE_THRESHOLD, 15)",
      scoreValue("--safe-threshold"),
    )
    .option(
      "--malicious-threshold <score>",
      "scores from this are MALICIOUS (MALICIOUS_THRESHOLD, 49)",
      scoreValue("--malicious-threshold"),
    )
    .option(
      "--rescan-interval <dur>",
      "check an address again after this long (RESCAN_INTERVAL, 48h)",
      durationSeconds,
    );
}

/**
 * Whether the monitor and `serve` count bytes unless told (`--traffic`,
 * `--no-traffic`). On: measured in bench/monitor_tick_bench.ts beside
 * `ss -tunap`, a tick with `--traffic` (TCP from `ss -taiD -`, which formats
 * nothing) costs 1.2 times the tick without at 1,000 connections and 0.75
 * times at 10,000, under the 1.5 times it may.
 */
export const TRAFFIC_BY_DEFAULT = true;

/** `--traffic` / `--no-traffic` of the monitor and `serve`. */
export function addTrafficOptions(command: Command, byDefault = TRAFFIC_BY_DEFAULT): Command {
  return command
    .option(
      "--traffic",
      `bytes sent and received per connection, process and address, from the kernel's counters${
        byDefault ? " (on by default)" : ""
      }`,
      byDefault,
    )
    .option("--no-traffic", "do not read byte counters");
}

/** `--collector`: how sockets are read. */
export function collectorOption(): Option {
  return new Option("--collector <name>", "how sockets are read").choices(COLLECTOR_NAMES).default("auto");
}

/** `--trace` and `--sniff-dns`: kernel connection events and DNS answers (the monitor and `serve`). */
export function addKernelEventOptions(command: Command): Command {
  return command
    .option(
      "--trace",
      "kernel connection events (Linux: bpftrace as root, else ss -E): connections shorter than a poll keep their process",
      false,
    )
    .option(
      "--sniff-dns",
      "read DNS answers (tcpdump, root) so that connections carry the domain their program asked for",
      false,
    );
}

/** The values of {@linkcode addGeoOptions}' flags. */
export function geoFlagsOf(values: OptionValues): GeoFlags {
  const geoPath = values.optionalString("geoPath");
  return {
    lookupCountry: values.boolean("lookupCountry"),
    lookupAsn: values.boolean("lookupAsn"),
    ...(geoPath === undefined ? {} : { geoPath }),
  };
}

/**
 * The values of {@linkcode addThreatOptions}' flags, but `--fail-on` (see {@linkcode FailOn}) and the
 * monitor's own `--expect`.
 */
export function threatFlagsOf(values: OptionValues): ThreatFlags {
  const flags: ThreatFlags = {
    blocklist: values.strings("blocklist"),
    includePrivate: values.boolean("includePrivate"),
    reputation: values.boolean("reputation"),
  };
  const envFile = values.optionalString("envFile");
  if (envFile !== undefined) flags.envFile = envFile;
  const abuseUrl = values.optionalString("abuseUrl");
  if (abuseUrl !== undefined) flags.abuseUrl = abuseUrl;
  const safeThreshold = values.optionalNumber("safeThreshold");
  if (safeThreshold !== undefined) flags.safeThreshold = safeThreshold;
  const maliciousThreshold = values.optionalNumber("maliciousThreshold");
  if (maliciousThreshold !== undefined) flags.maliciousThreshold = maliciousThreshold;
  const rescanInterval = values.optionalNumber("rescanInterval");
  if (rescanInterval !== undefined) flags.rescanInterval = rescanInterval;
  return flags;
}
