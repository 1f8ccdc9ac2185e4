/**
 * Flags and flag values that several commands share: history, GeoIP, threat
 * intelligence, the collector, and the parsers of numbers, ports and durations.
 *
 * @module
 */
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
import type { OptionSpec } from "./command_spec.ts";

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

/** {@linkcode collect} as an option's parser. */
export function collectValue(value: string, previous: unknown): string[] {
  return collect(value, Array.isArray(previous) ? previous : []);
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
export function historyOptions(): OptionSpec[] {
  return [
    { flags: "--db <path>", description: "the history database (default history.db in the data directory)" },
    {
      flags: "--store <kind>",
      description: "keep history in SQLite, in three JSON files (HISTORY_FILE, …), or not at all",
      choices: STORE_KINDS,
      default: "sqlite",
    },
  ];
}

/** `--db` names an SQLite file: with `--store json` or `none` it would be ignored, so it is refused. */
export function checkHistoryFlags(flags: HistoryFlags): void {
  if (flags.db !== undefined && flags.store !== "sqlite") {
    throw new UsageError(
      `--db names an SQLite database; --store ${flags.store} does not use one (the JSON files are set with HISTORY_FILE, CONN_RECORD_FILE and ABUSEIP_INFO_FILE)`,
    );
  }
}

/** The values of {@linkcode historyOptions}' flags, checked together. */
export function historyFlags(values: OptionValues): HistoryFlags {
  const db = values.optionalString("db");
  const flags: HistoryFlags = {
    store: values.choice("store", STORE_KINDS),
    ...(db === undefined ? {} : { db }),
  };
  checkHistoryFlags(flags);
  return flags;
}

/** Country and AS flags of the monitor and `conntrail check`. */
export function geoOptions(): OptionSpec[] {
  return [
    {
      flags: "--lookup-country",
      description: "show each remote address's country (on by default)",
      default: true,
    },
    { flags: "--no-lookup-country", description: "do not look up countries" },
    {
      flags: "--lookup-asn",
      description: "show each remote address's AS number and owner (on by default)",
      default: true,
    },
    { flags: "--no-lookup-asn", description: "do not look up AS numbers" },
    {
      flags: "--geo-path <dir>",
      description:
        "also read the GeoIP databases in DIR (DB-IP Lite CSVs, .mmdb); they win over the embedded data",
    },
  ];
}

/** `--fail-on`, offering `failOn` (`check` has no `--expect`, so no `unexpected`). */
export function failOnOption(failOn: readonly FailOn[] = FAIL_ON): OptionSpec {
  const unexpected = failOn.includes("unexpected") ? "; unexpected needs --expect" : "";
  return {
    flags: "--fail-on <what>",
    description: `exit 3 when a connection is ${
      failOn.join(", ")
    } (repeatable; suspicious includes malicious${unexpected})`,
    parse: (value, previous) => failOnParser(failOn)(value, Array.isArray(previous) ? previous : []),
  };
}

/**
 * Flags of the monitor and `conntrail check`: lists, reputation, exit codes.
 * `failOn` is what this command's `--fail-on` offers; `null` leaves the flag
 * to the caller (to place it in its own help group).
 */
export function threatOptions(failOn: readonly FailOn[] | null = FAIL_ON): OptionSpec[] {
  return [
    {
      flags: "--blocklist <file>",
      description: "alert on addresses in this list (repeatable; default ips.txt when present)",
      parse: collectValue,
      default: [],
    },
    {
      flags: "--include-private",
      description: "match private and special addresses against lists too",
      default: false,
    },
    ...(failOn === null ? [] : [failOnOption(failOn)]),
    {
      flags: "--env-file <file>",
      description: "read ABUSEAPI and the other settings from this file instead of .env",
    },
    { flags: "--no-reputation", description: "do not ask AbuseIPDB even when ABUSEAPI is set" },
    { flags: "--abuse-url <url>", description: "AbuseIPDB check endpoint (ABUSE_URL)" },
    {
      flags: "--safe-threshold <score>",
      description: "scores up to this are SAFE (SAFE_THRESHOLD, 15)",
      parse: scoreValue("--safe-threshold"),
    },
    {
      flags: "--malicious-threshold <score>",
      description: "scores from this are MALICIOUS (MALICIOUS_THRESHOLD, 49)",
      parse: scoreValue("--malicious-threshold"),
    },
    {
      flags: "--rescan-interval <dur>",
      description: "check an address again after this long (RESCAN_INTERVAL, 48h)",
      parse: durationSeconds,
    },
  ];
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
export function trafficOptions(byDefault = TRAFFIC_BY_DEFAULT): OptionSpec[] {
  return [
    {
      flags: "--traffic",
      description: `bytes sent and received per connection, process and address, from the kernel's counters${
        byDefault ? " (on by default)" : ""
      }`,
      default: byDefault,
    },
    { flags: "--no-traffic", description: "do not read byte counters" },
  ];
}

/** `--collector`: how sockets are read. */
export function collectorOption(): OptionSpec {
  return {
    flags: "--collector <name>",
    description: "how sockets are read",
    choices: COLLECTOR_NAMES,
    default: "auto",
  };
}

/** `--trace` and `--sniff-dns`: kernel connection events and DNS answers (the monitor and `serve`). */
export function kernelEventOptions(): OptionSpec[] {
  return [
    {
      flags: "--trace",
      description:
        "kernel connection events (Linux: bpftrace as root, else ss -E): connections shorter than a poll keep their process",
      default: false,
    },
    {
      flags: "--sniff-dns",
      description:
        "read DNS answers (tcpdump, root) so that connections carry the domain their program asked for",
      default: false,
    },
  ];
}

/** The values of {@linkcode geoOptions}' flags. */
export function geoFlagsOf(values: OptionValues): GeoFlags {
  const geoPath = values.optionalString("geoPath");
  return {
    lookupCountry: values.boolean("lookupCountry"),
    lookupAsn: values.boolean("lookupAsn"),
    ...(geoPath === undefined ? {} : { geoPath }),
  };
}

/**
 * The values of {@linkcode threatOptions}' flags, but `--fail-on` (see {@linkcode FailOn}) and the
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
