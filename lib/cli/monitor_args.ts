/**
 * `conntrail monitor` (and `conntrail` alone): its options in their help
 * groups, and the options the monitor runs with, read from them.
 *
 * @module
 */
import { COLLECTOR_NAMES, type CollectorName } from "../collect/collector.ts";
import type { GroupBy } from "../model/tracked_row.ts";
import { FAIL_ON, type FailOn } from "../monitor/fail_on.ts";
import { EVENT_FORMATS } from "../render/event_formats.ts";
import { LOG_FORMATS, type LogFormat } from "../render/log_formats.ts";
import { type CommandSpec, inGroup, type OptionSpec, withDebug } from "./command_spec.ts";
import {
  collectorOption,
  collectValue,
  dnsServerValue,
  durationSeconds,
  failOnOption,
  geoFlagsOf,
  geoOptions,
  historyFlags,
  historyOptions,
  kernelEventOptions,
  numberIn,
  portValue,
  positiveInteger,
  threatFlagsOf,
  threatOptions,
  trafficOptions,
  widthValue,
} from "./common_flags.ts";
import type { GeoFlags } from "./geo_config.ts";
import type { HistoryFlags } from "./history_config.ts";
import type { KernelEventFlags } from "./kernel_events.ts";
import { isOneOf, type OptionValues } from "./option_values.ts";
import { checkSyslogFlags, type SyslogFlags, syslogFlagsOf, syslogOptions } from "./syslog_flags.ts";
import type { ThreatFlags } from "./threat_intel.ts";
import { UsageError } from "./usage_error.ts";

/** The monitor's `--format`: scroll lines as text, or one of the JSON event formats. */
const MONITOR_FORMATS = ["text", ...EVENT_FORMATS] as const;

/** The monitor's `--group-by`. */
const GROUP_BY = ["ip", "process", "connection"] as const satisfies readonly GroupBy[];

/** Options of `conntrail` / `conntrail monitor`. */
export interface MonitorOptions extends ThreatFlags, GeoFlags, HistoryFlags, SyslogFlags, KernelEventFlags {
  failOn: FailOn[];
  timeUnit: number;
  width: number;
  scroll: boolean;
  color: boolean;
  format: typeof MONITOR_FORMATS[number];
  output?: string;
  resolveNames: boolean;
  dnsServer?: string;
  filterLocal: boolean;
  filterFile: string[];
  saveThreshold?: number;
  duration?: number;
  count?: number;
  logDir?: string;
  logFormat: LogFormat[];
  groupBy: GroupBy;
  process?: string;
  port?: number;
  outgoing: boolean;
  collector: CollectorName;
  /** `--report FILE`: the Markdown egress report, written on exit. */
  report?: string;
  /** `--write-expect FILE`: every destination seen, as an `--expect` list, written on exit. */
  writeExpect?: string;
  /** `--stop-file FILE`: end the run once this file exists. */
  stopFile?: string;
  /** `--traffic`: count bytes per connection, row, process, address and machine. */
  traffic: boolean;
}

const MONITOR_EXAMPLES = `
Examples:
  conntrail                                   live timeline of every connection (? lists the keys: q quits,
                                              ↑ ↓ PgUp PgDn Home End scroll, / filters, s sorts, p pauses)
  conntrail --filter-local --resolve-names    only internet peers, with their names
  conntrail --scroll                          one line per event instead of a screen
  conntrail --duration 10m --format ndjson > events.ndjson    headless, for CI
  conntrail --format ecs > events.ecs.ndjson   Elastic Common Schema (or --format ocsf), with Community ID
  conntrail --scroll --syslog tcp://logs.example.org:514 --syslog udp://10.0.0.5:514   ship events to syslog
  conntrail --log-dir logs --log-format csv --log-format json  log each connection when it opens and closes
  conntrail -o timeline.txt --save-threshold 50             export on exit; save IPs present >= 50% of the time
  conntrail --filter-file frequent_ips_50pct_20261121_143022.txt   hide the IPs saved last time
  conntrail --blocklist ips.txt --blocklist firehol_level1.netset   alert on listed addresses
  conntrail --scroll --duration 10m --fail-on blocklisted --fail-on malicious   CI: exit 3 on a bad peer
  conntrail --scroll --duration 10m --expect allowed.txt --fail-on unexpected   CI egress audit
  conntrail --scroll --duration 10m --write-expect allowed.txt --report egress.md   learn the allowlist, report
  sudo conntrail --scroll --trace --sniff-dns   every connection with its process and the domain it asked for
  conntrail --db ci-history.db --duration 10m --scroll   keep this run's history in a file of your own
  conntrail --traffic --group-by process      bytes and rates per process (s sorts by rate)
  conntrail --store json                      keep history in three JSON files (HISTORY_FILE, …)
`;

function logFormatValue(value: string, previous: unknown): string[] {
  if (!isOneOf(LOG_FORMATS, value)) {
    throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(", ")}, not "${value}"`);
  }
  return [...(Array.isArray(previous) ? previous : []), value];
}

/** The monitor's options, in help groups: display, traffic, names and geo, filters, alerts, files, syslog, … */
function monitorOptionSpecs(): OptionSpec[] {
  return [
    ...inGroup("Display:", [
      {
        flags: "-t, --time-unit <seconds>",
        description: "seconds per timeline character, and between polls",
        parse: numberIn("--time-unit", 0, 86400, true),
        default: 1,
      },
      {
        flags: "-w, --width <chars>",
        description: "timeline width in characters (20..500)",
        parse: widthValue,
        default: 80,
      },
      {
        flags: "--scroll",
        description:
          "one line per event instead of the refresh screen (always when stdout is not a terminal)",
        default: false,
      },
      { flags: "--no-color", description: "no colours (also when NO_COLOR is set)" },
      {
        flags: "--format <format>",
        description: "scroll output: text lines, or NDJSON in conntrail's, ECS or OCSF fields",
        choices: MONITOR_FORMATS,
        default: "text",
      },
      {
        flags: "--group-by <what>",
        description: "one row per remote IP, process or connection",
        choices: GROUP_BY,
        default: "ip",
      },
    ]),
    ...inGroup("Traffic:", trafficOptions()),
    ...inGroup("Names and geo:", [
      {
        flags: "--resolve-names",
        description: "show reverse-DNS names (never delays a frame)",
        default: false,
      },
      {
        flags: "--dns-server <ip[:port]>",
        description: "ask this DNS server for names instead of the system's",
        parse: dnsServerValue,
      },
      ...geoOptions(),
    ]),
    ...inGroup("Filters:", [
      {
        flags: "--filter-local",
        description: "hide private, loopback, link-local, CGNAT, multicast and reserved addresses",
        default: false,
      },
      {
        flags: "--filter-file <file>",
        description: "hide the IPs and CIDRs listed in this file (repeatable)",
        parse: collectValue,
        default: [],
      },
      {
        flags: "--process <name>",
        description: "only processes whose name contains this (case-insensitive)",
      },
      {
        flags: "--port <port>",
        description: "only connections with this local or remote port",
        parse: portValue,
      },
      { flags: "--outgoing", description: "only connections this machine opened", default: false },
    ]),
    ...inGroup("Alerts:", [
      ...threatOptions(null),
      {
        flags: "--expect <file>",
        description:
          "report every destination outside this list (IPs, CIDRs, domains, *.wildcards, host:port) as UNEXPECTED",
      },
    ]),
    ...inGroup("Files:", [
      { flags: "-o, --output <file>", description: "write the timeline export to this file on exit" },
      {
        flags: "--save-threshold <pct>",
        description: "on exit, save IPs present at least PCT% of the time",
        parse: numberIn("--save-threshold", 0, 100),
      },
      {
        flags: "--log-dir <dir>",
        description: "log each connection when it appears and closes, in files under DIR",
      },
      {
        flags: "--log-format <format>",
        description: "log format (repeatable; default txt)",
        choices: LOG_FORMATS,
        parse: logFormatValue,
      },
    ]),
    ...inGroup("Syslog (ECS/OCSF to a SIEM):", syslogOptions()),
    ...inGroup("Kernel events and DNS answers (root):", kernelEventOptions()),
    ...inGroup("History:", historyOptions()),
    ...inGroup("CI:", [
      failOnOption(),
      {
        flags: "--duration <dur>",
        description: "stop after this long (90, 30s, 10m, 1h30m)",
        parse: durationSeconds,
      },
      { flags: "--count <n>", description: "stop after this many polls", parse: positiveInteger },
      {
        flags: "--report <file>",
        description:
          "on exit, write a Markdown report of alerts and destinations (under GitHub Actions it is also " +
          "appended to GITHUB_STEP_SUMMARY)",
      },
      {
        flags: "--write-expect <file>",
        description: "on exit, write every destination seen as an --expect list",
      },
      {
        flags: "--stop-file <file>",
        description:
          "end the run, as Ctrl+C would, once this file exists (for supervisors that cannot send a signal)",
      },
    ]),
    // --debug joins this last group (withDebug).
    ...inGroup("Other:", [collectorOption()]),
  ];
}

/** The monitor's options, field by field, and the checks that span flags. */
function monitorOptions(values: OptionValues): MonitorOptions {
  const options: MonitorOptions = {
    ...threatFlagsOf(values),
    ...geoFlagsOf(values),
    ...historyFlags(values),
    ...syslogFlagsOf(values),
    trace: values.boolean("trace"),
    sniffDns: values.boolean("sniffDns"),
    failOn: values.choiceList("failOn", FAIL_ON),
    timeUnit: values.number("timeUnit"),
    width: values.number("width"),
    scroll: values.boolean("scroll"),
    color: values.boolean("color"),
    format: values.choice("format", MONITOR_FORMATS),
    resolveNames: values.boolean("resolveNames"),
    filterLocal: values.boolean("filterLocal"),
    filterFile: values.strings("filterFile"),
    logFormat: values.choiceList("logFormat", LOG_FORMATS),
    groupBy: values.choice("groupBy", GROUP_BY),
    outgoing: values.boolean("outgoing"),
    collector: values.choice("collector", COLLECTOR_NAMES),
    traffic: values.boolean("traffic"),
  };
  const expect = values.optionalString("expect");
  if (expect !== undefined) options.expect = expect;
  const output = values.optionalString("output");
  if (output !== undefined) options.output = output;
  const dnsServer = values.optionalString("dnsServer");
  if (dnsServer !== undefined) options.dnsServer = dnsServer;
  const saveThreshold = values.optionalNumber("saveThreshold");
  if (saveThreshold !== undefined) options.saveThreshold = saveThreshold;
  const duration = values.optionalNumber("duration");
  if (duration !== undefined) options.duration = duration;
  const count = values.optionalNumber("count");
  if (count !== undefined) options.count = count;
  const logDir = values.optionalString("logDir");
  if (logDir !== undefined) options.logDir = logDir;
  const process = values.optionalString("process");
  if (process !== undefined) options.process = process;
  const port = values.optionalNumber("port");
  if (port !== undefined) options.port = port;
  const report = values.optionalString("report");
  if (report !== undefined) options.report = report;
  const writeExpect = values.optionalString("writeExpect");
  if (writeExpect !== undefined) options.writeExpect = writeExpect;
  const stopFile = values.optionalString("stopFile");
  if (stopFile !== undefined) options.stopFile = stopFile;

  checkSyslogFlags(options);
  if (options.failOn.includes("unexpected") && options.expect === undefined) {
    throw new UsageError("--fail-on unexpected needs --expect FILE");
  }
  if (options.logDir !== undefined && options.logFormat.length === 0) options.logFormat = ["txt"];
  if (options.logDir === undefined && options.logFormat.length > 0) {
    throw new UsageError("--log-format needs --log-dir DIR");
  }
  if (options.saveThreshold !== undefined && options.groupBy !== "ip") {
    throw new UsageError("--save-threshold saves remote IPs, so it needs --group-by ip");
  }
  if (options.dnsServer !== undefined && !options.resolveNames) {
    throw new UsageError("--dns-server needs --resolve-names");
  }
  return options;
}

/** `conntrail monitor`; `line` wraps its options. */
export function monitorCommand<T>(line: (options: MonitorOptions) => T): CommandSpec<T> {
  return {
    name: "monitor",
    description: "live monitor: refresh dashboard on a terminal, scroll log otherwise",
    options: withDebug(monitorOptionSpecs()),
    helpAfter: MONITOR_EXAMPLES,
    action: (values) => line(monitorOptions(values)),
  };
}
