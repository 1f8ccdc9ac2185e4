import { Command, CommanderError, Option } from "commander";
import {
  addFailOnOption,
  addGeoOptions,
  addHistoryOptions,
  addKernelEventOptions,
  addThreatOptions,
  addTrafficOptions,
  checkHistoryFlags,
  collect,
  collectorOption,
  dnsServerValue,
  durationMs,
  durationSeconds,
  geoFlagsOf,
  numberIn,
  portValue,
  positiveInteger,
  threatFlagsOf,
  widthValue,
} from "./common_flags.ts";
import { COLLECTOR_NAMES, type CollectorName } from "../collect/collector.ts";
import { UsageError } from "./usage_error.ts";
import { LOG_FORMATS, type LogFormat } from "../render/log_formats.ts";
import type { GroupBy } from "../model/tracked_row.ts";
import { FAIL_ON, type FailOn } from "../monitor/fail_on.ts";
import type { ThreatFlags } from "./threat_intel.ts";
import type { GeoFlags } from "./geo_config.ts";
import type { HistoryFlags } from "./history_config.ts";
import { STORE_KINDS } from "./store_kinds.ts";
import { act, type ArgumentValues, isOneOf, type OptionValues } from "./option_values.ts";
import type { KernelEventFlags } from "./kernel_events.ts";
import type { CheckOptions } from "./check_command.ts";
import type { BlocklistOptions } from "./blocklist_command.ts";
import type { HistoryOptions, PruneOptions } from "./history_command.ts";
import type { DiffOptions } from "./diff_command.ts";
import { isVersionRequest } from "./version.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import { filterCommand, serveCommand } from "./serve_args.ts";
import type { ServeOptions } from "./serve_command.ts";
import type { FilterOptions } from "./filter_command.ts";
import { RISK_LEVELS, type RiskLevel } from "../model/risk.ts";
import { EVENT_FORMATS } from "../render/event_formats.ts";
import { addSyslogOptions, checkSyslogFlags, type SyslogFlags, syslogFlagsOf } from "./syslog_flags.ts";
import { ADDRESS_ORDERS } from "../store/history_store.ts";

/** Output formats of `conntrail snapshot`. */
export const SNAPSHOT_FORMATS = ["table", "json", "ndjson", "csv", "ecs", "ocsf"] as const;

/** Output formats of `conntrail history`. */
export const HISTORY_FORMATS = ["table", "json", "csv"] as const;

/** `snapshot --proto`. */
const PROTOCOLS = ["tcp", "udp"] as const;

/** The monitor's `--format`: scroll lines as text, or one of the JSON event formats. */
const MONITOR_FORMATS = ["text", ...EVENT_FORMATS] as const;

/** The monitor's `--group-by`. */
const GROUP_BY = ["ip", "process", "connection"] as const satisfies readonly GroupBy[];

/** Options of `conntrail snapshot`. */
export interface SnapshotOptions {
  format: typeof SNAPSHOT_FORMATS[number];
  proto?: typeof PROTOCOLS[number];
  state?: string;
  pid?: number;
  process?: string;
  listening: boolean;
  collector: CollectorName;
  input?: string;
  /** `--save`: record the snapshot in history. */
  save: boolean;
  /** `--traffic`: add each connection's byte counters. */
  traffic: boolean;
  store: HistoryFlags["store"];
  db?: string;
}

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

/** A parsed command line, but `--debug`: what each command's action reads. */
export type CommandLine =
  | { kind: "monitor"; options: MonitorOptions }
  | { kind: "check"; options: CheckOptions }
  | { kind: "blocklist-update" | "blocklist-list"; options: BlocklistOptions }
  | { kind: "snapshot"; options: SnapshotOptions }
  | { kind: "history"; options: HistoryOptions }
  | { kind: "history-prune"; options: PruneOptions }
  | { kind: "diff"; options: DiffOptions }
  | { kind: "serve"; options: ServeOptions }
  | { kind: "filter"; options: FilterOptions }
  | { kind: "permissions"; target: CliCommand; flagsOnly: boolean };

/** Help, version or a usage error: text to print and the exit code. */
export interface PrintCommand {
  kind: "print";
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A parsed command line: what main.ts switches over. `debug`: `--debug` was given, before or after the command's name. */
export type CliCommand = (CommandLine & { debug: boolean }) | PrintCommand | VersionCommand;

/** `--version` or `-V` alone: main.ts prints the runtime's versions with conntrail's. */
export interface VersionCommand {
  kind: "version";
}

/** Where a command's action hands what it parsed. */
type Sink = (line: CommandLine | PrintCommand | VersionCommand, debug: boolean) => void;

const SNAPSHOT_EXAMPLES = `
Examples:
  conntrail snapshot                          table of every TCP/UDP socket
  conntrail snapshot --format json            the same as JSON (SPEC field names)
  conntrail snapshot --proto tcp --state ESTABLISHED --no-listening
  conntrail snapshot --process firefox --format csv > firefox.csv
  conntrail snapshot --collector netstat --input capture.txt   parse saved output from another machine
  conntrail snapshot --format ocsf            OCSF Network Activity records (or --format ecs), one a line
  conntrail snapshot --save --format json > now.json   print, and record it for \`conntrail diff\`
  conntrail snapshot --traffic --proto tcp    with each connection's bytes sent and received
`;

const HISTORY_EXAMPLES = `
Examples:
  conntrail history                           every address the monitor has seen, most recent first
  conntrail history 203.0.113.7               one address: what is known, its connections and alerts
  conntrail history --since 24h --risk MALICIOUS
  conntrail history --process firefox --format csv > firefox.csv
  conntrail history --sort bytes --limit 10   the ten addresses that moved the most bytes (--traffic)
  conntrail history prune --older-than 90d    forget what was last seen more than 90 days ago
  conntrail history --store json              read the JSON store (HISTORY_FILE, CONN_RECORD_FILE, …)
`;

const PRUNE_EXAMPLES = `
Examples:
  conntrail history prune --older-than 90d    forget what was last seen more than 90 days ago
  conntrail history prune --older-than 12h --db ci-history.db
  conntrail history prune --older-than 30d --store json   prune the JSON store
`;

const DIFF_EXAMPLES = `
Examples:
  conntrail snapshot --save && sleep 60 && conntrail snapshot --save
  conntrail diff                              the last two saved snapshots: added, removed, status changed
  conntrail diff 3 7 --format json            two given snapshots
  conntrail diff --list                       the saved snapshots and their ids
`;

function riskValue(value: string): RiskLevel {
  const level = value.toUpperCase();
  if (!isOneOf(RISK_LEVELS, level)) {
    throw new UsageError(`--risk must be one of ${RISK_LEVELS.join(", ")}, not "${value}"`);
  }
  return level;
}

function snapshotId(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`"${value}" is not a snapshot id`);
  }
  return n;
}

/** `--store` and `--db`, checked together. */
function historyFlags(values: OptionValues): HistoryFlags {
  const db = values.optionalString("db");
  const flags: HistoryFlags = {
    store: values.choice("store", STORE_KINDS),
    ...(db === undefined ? {} : { db }),
  };
  checkHistoryFlags(flags);
  return flags;
}

function historyCommand(sink: Sink): Command {
  const prune = addHistoryOptions(new Command("prune"))
    .description("forget addresses, connections, alerts and snapshots older than a duration")
    .requiredOption("--older-than <dur>", "what was last seen longer ago than this (90d, 12h)", durationMs)
    .addHelpText("after", PRUNE_EXAMPLES);
  act(prune, (values): CommandLine => {
    const options: PruneOptions = { ...historyFlags(values), olderThan: values.number("olderThan") };
    return { kind: "history-prune", options };
  }, sink);
  // Positional options: `history prune --db X` gives --db to prune, not to history.
  const history = addHistoryOptions(new Command("history").enablePositionalOptions())
    .description("what the history store knows: first/last seen, times seen, risk, geo, processes")
    .argument("[ip]", "one address: its details, connections and alerts")
    .option("--since <dur>", "only addresses seen within this long (24h, 7d)", durationMs)
    .option("--risk <level>", `only this reputation (${RISK_LEVELS.join(", ")})`, riskValue)
    .option("--process <name>", "only addresses a process whose name contains this talked to")
    .addOption(
      new Option(
        "--sort <order>",
        "most recently seen first, or most bytes sent and received first (--traffic)",
      )
        .choices(ADDRESS_ORDERS).default("recent"),
    )
    .addOption(new Option("--format <format>", "output format").choices(HISTORY_FORMATS).default("table"))
    .option(
      "--limit <n>",
      "at most this many addresses (0: all)",
      (v: string) => v === "0" ? 0 : positiveInteger(v),
      1000,
    )
    .addHelpText("after", HISTORY_EXAMPLES)
    .addCommand(prune);
  return act(history, (values, args): CommandLine => {
    const ip = args.optionalString(0);
    const since = values.optionalNumber("since");
    const risk = values.optionalChoice("risk", RISK_LEVELS);
    const process = values.optionalString("process");
    const options: HistoryOptions = {
      ...historyFlags(values),
      ...(ip === undefined ? {} : { ip }),
      ...(since === undefined ? {} : { since }),
      ...(risk === undefined ? {} : { risk }),
      ...(process === undefined ? {} : { process }),
      sort: values.choice("sort", ADDRESS_ORDERS),
      format: values.choice("format", HISTORY_FORMATS),
      limit: values.number("limit"),
    };
    return { kind: "history", options };
  }, sink);
}

function diffCommand(sink: Sink): Command {
  const diff = addHistoryOptions(new Command("diff"))
    .description("compare two saved snapshots (default: the last two): added, removed, status changed")
    .argument("[from]", "the older snapshot's id (default: the one before the last)", snapshotId)
    .argument("[to]", "the newer snapshot's id (default: the last)", snapshotId)
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .option("--list", "list the saved snapshots instead", false)
    .addHelpText("after", DIFF_EXAMPLES);
  return act(diff, (values, args): CommandLine => {
    const from = args.optionalNumber(0);
    const to = args.optionalNumber(1);
    const options: DiffOptions = {
      ...historyFlags(values),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      format: values.choice("format", ["table", "json"]),
      list: values.boolean("list"),
    };
    return { kind: "diff", options };
  }, sink);
}

const PERMISSIONS_EXAMPLES = `
Examples:
  conntrail permissions snapshot              what \`conntrail snapshot\` needs, and why
  conntrail permissions --flags snapshot      just the flags, for \`deno run\`
  conntrail permissions snapshot --collector lsof
`;

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

const CHECK_EXAMPLES = `
Examples:
  conntrail check 203.0.113.7 bad.example     block lists (default ips.txt), AbuseIPDB (when ABUSEAPI is set), names
  conntrail check 8.8.8.8 --blocklist firehol_level1.netset --format json
  conntrail check 10.1.2.3 --include-private --blocklist firehol_level1.netset
  conntrail check "$IP" --fail-on malicious && echo clean    exit 3 when the address is MALICIOUS
`;

const BLOCKLIST_EXAMPLES = `
Examples:
  conntrail blocklist update                  FireHOL level 1, Spamhaus DROP and DROPv6 (or those downloaded before)
  conntrail blocklist update firehol_level2 ipsum_level3
  conntrail blocklist update --mirror https://lists.example.org/   from a mirror laid out as the sources are
  conntrail blocklist list                    every known list and which are downloaded
`;

function urlValue(value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new UsageError(`--mirror must be an http(s) URL, not "${value}"`);
  }
  return value;
}

function blocklistCommand(sink: Sink): Command {
  const read =
    (kind: "blocklist-update" | "blocklist-list") => (values: OptionValues, args: ArgumentValues) => {
      const dataDir = values.optionalString("dataDir");
      const options: BlocklistOptions = { names: [], ...(dataDir === undefined ? {} : { dataDir }) };
      if (kind === "blocklist-update") {
        options.names = args.strings(0);
        const mirror = values.optionalString("mirror");
        if (mirror !== undefined) options.mirror = mirror;
      }
      return { kind, options };
    };
  const dataDir = (command: Command) =>
    command.option(
      "--data-dir <dir>",
      "the data directory (default $XDG_DATA_HOME/conntrail or ~/.local/share/conntrail)",
    );
  const update = dataDir(new Command("update"))
    .description("download FireHOL, Spamhaus and ipsum lists (at most once an hour each)")
    .argument("[names...]", "lists to update (see `conntrail blocklist list`)", [])
    .option("--mirror <url>", "download from this mirror instead of the sources", urlValue)
    .addHelpText("after", BLOCKLIST_EXAMPLES);
  const list = dataDir(new Command("list"))
    .description("every list `blocklist update` knows, and which are downloaded");
  return new Command("blocklist")
    .description("download public block lists into the data directory")
    .addHelpText("after", BLOCKLIST_EXAMPLES)
    .addCommand(act(update, read("blocklist-update"), sink))
    .addCommand(act(list, read("blocklist-list"), sink));
}

const MAIN_EXAMPLES = `
Examples:
  conntrail                                   the live monitor (same as \`conntrail monitor\`)
  conntrail snapshot                          the current connections, once
  conntrail history                           what the monitor has remembered, across runs
  conntrail diff                              what changed between the last two saved snapshots
  conntrail serve                             a web page of the same, on http://127.0.0.1:8377/
  conntrail filter --process firefox          tcpdump and Wireshark filters for some connections
  conntrail check 203.0.113.7 bad.example     block lists, reputation and names for given addresses
  conntrail blocklist update                  download public block lists
  conntrail permissions snapshot              the exact Deno flags a command needs

Run \`conntrail <command> --help\` for a command's flags.
`;

/** The monitor's flags, in help groups: display, names and geo, filters, alerts, files, history, CI. */
function addMonitorOptions(command: Command): Command {
  command.optionsGroup("Display:")
    .option(
      "-t, --time-unit <seconds>",
      "seconds per timeline character, and between polls",
      numberIn("--time-unit", 0, 86400, true),
      1,
    )
    .option("-w, --width <chars>", "timeline width in characters (20..500)", widthValue, 80)
    .option(
      "--scroll",
      "one line per event instead of the refresh screen (always when stdout is not a terminal)",
      false,
    )
    .option("--no-color", "no colours (also when NO_COLOR is set)")
    .addOption(
      new Option(
        "--format <format>",
        "scroll output: text lines, or NDJSON in conntrail's, ECS or OCSF fields",
      )
        .choices(MONITOR_FORMATS).default("text"),
    )
    .addOption(
      new Option("--group-by <what>", "one row per remote IP, process or connection").choices(GROUP_BY)
        .default("ip"),
    );
  command.optionsGroup("Traffic:");
  addTrafficOptions(command);
  command.optionsGroup("Names and geo:")
    .option("--resolve-names", "show reverse-DNS names (never delays a frame)", false)
    .option(
      "--dns-server <ip[:port]>",
      "ask this DNS server for names instead of the system's",
      dnsServerValue,
    );
  addGeoOptions(command);
  command.optionsGroup("Filters:")
    .option(
      "--filter-local",
      "hide private, loopback, link-local, CGNAT, multicast and reserved addresses",
      false,
    )
    .option("--filter-file <file>", "hide the IPs and CIDRs listed in this file (repeatable)", collect, [])
    .option("--process <name>", "only processes whose name contains this (case-insensitive)")
    .option("--port <port>", "only connections with this local or remote port", portValue)
    .option("--outgoing", "only connections this machine opened", false);
  command.optionsGroup("Alerts:");
  addThreatOptions(command, null);
  command.option(
    "--expect <file>",
    "report every destination outside this list (IPs, CIDRs, domains, *.wildcards, host:port) as UNEXPECTED",
  );
  command.optionsGroup("Files:")
    .option("-o, --output <file>", "write the timeline export to this file on exit")
    .option(
      "--save-threshold <pct>",
      "on exit, save IPs present at least PCT% of the time",
      numberIn("--save-threshold", 0, 100),
    )
    .option("--log-dir <dir>", "log each connection when it appears and closes, in files under DIR")
    .addOption(
      new Option("--log-format <format>", "log format (repeatable; default txt)").choices(LOG_FORMATS)
        .argParser(
          (value: string, previous: string[] = []) => {
            if (!isOneOf(LOG_FORMATS, value)) {
              throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(", ")}, not "${value}"`);
            }
            return [...previous, value];
          },
        ),
    );
  command.optionsGroup("Syslog (ECS/OCSF to a SIEM):");
  addSyslogOptions(command);
  command.optionsGroup("Kernel events and DNS answers (root):");
  addKernelEventOptions(command);
  command.optionsGroup("History:");
  addHistoryOptions(command);
  command.optionsGroup("CI:");
  addFailOnOption(command)
    .option("--duration <dur>", "stop after this long (90, 30s, 10m, 1h30m)", durationSeconds)
    .option("--count <n>", "stop after this many polls", positiveInteger)
    .option(
      "--report <file>",
      "on exit, write a Markdown report of alerts and destinations (under GitHub Actions it is also " +
        "appended to GITHUB_STEP_SUMMARY)",
    )
    .option("--write-expect <file>", "on exit, write every destination seen as an --expect list")
    .option(
      "--stop-file <file>",
      "end the run, as Ctrl+C would, once this file exists (for supervisors that cannot send a signal)",
    );
  // --debug joins this last group (parseArgs gives it to every command).
  command.optionsGroup("Other:").addOption(collectorOption());
  return command;
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

function monitorCommand(sink: Sink): Command {
  const monitor = addMonitorOptions(
    new Command("monitor").description("live monitor: refresh dashboard on a terminal, scroll log otherwise"),
  ).addHelpText("after", MONITOR_EXAMPLES);
  return act(monitor, (values): CommandLine => ({ kind: "monitor", options: monitorOptions(values) }), sink);
}

function snapshotCommand(sink: Sink): Command {
  const command = new Command("snapshot")
    .description("print the current connections once")
    .addOption(new Option("--format <format>", "output format").choices(SNAPSHOT_FORMATS).default("table"))
    .addOption(new Option("--proto <proto>", "only this protocol").choices(PROTOCOLS))
    .option("--state <state>", "only this status (ESTABLISHED, LISTEN, TIME_WAIT, CONNECTED, …)")
    .option("--pid <pid>", "only sockets of this process id", positiveInteger)
    .option("--process <name>", "only processes whose name contains this (case-insensitive)")
    .option("--no-listening", "leave out listening and unconnected sockets")
    .addOption(collectorOption())
    .option("--input <file>", "parse saved output of ss, netstat, lsof or /proc/net (- for stdin)")
    .option(
      "--save",
      "also record the snapshot in history (compare saved ones with `conntrail diff`)",
      false,
    )
    .option("--traffic", "add each TCP connection's bytes sent and received (kernel counters)", false);
  addHistoryOptions(command).addHelpText("after", SNAPSHOT_EXAMPLES);
  return act(command, (values): CommandLine => {
    const options: SnapshotOptions = {
      ...historyFlags(values),
      format: values.choice("format", SNAPSHOT_FORMATS),
      listening: values.boolean("listening"),
      collector: values.choice("collector", COLLECTOR_NAMES),
      save: values.boolean("save"),
      traffic: values.boolean("traffic"),
    };
    const proto = values.optionalChoice("proto", PROTOCOLS);
    if (proto !== undefined) options.proto = proto;
    const state = values.optionalString("state");
    if (state !== undefined) options.state = state;
    const pid = values.optionalNumber("pid");
    if (pid !== undefined) options.pid = pid;
    const process = values.optionalString("process");
    if (process !== undefined) options.process = process;
    const input = values.optionalString("input");
    if (input !== undefined) options.input = input;
    if (options.save && options.store === "none") {
      throw new UsageError("--save needs a history; not --store none");
    }
    return { kind: "snapshot", options };
  }, sink);
}

function checkCommand(sink: Sink): Command {
  const check = addThreatOptions(addGeoOptions(new Command("check")), [
    "blocklisted",
    "suspicious",
    "malicious",
  ])
    .description("block lists, reputation and reverse DNS for given addresses, without monitoring")
    .argument("<targets...>", "IP addresses and domains")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .option("--no-resolve-names", "skip reverse DNS")
    .option("--dns-server <ip[:port]>", "ask this DNS server instead of the system's", dnsServerValue)
    .addHelpText("after", CHECK_EXAMPLES);
  return act(check, (values, args): CommandLine => {
    const failOn = values.choiceList("failOn", FAIL_ON);
    if (failOn.includes("unexpected")) {
      throw new UsageError("--fail-on unexpected applies to the monitor only");
    }
    const dnsServer = values.optionalString("dnsServer");
    const options: CheckOptions = {
      ...threatFlagsOf(values),
      ...geoFlagsOf(values),
      targets: args.strings(0),
      format: values.choice("format", ["table", "json"]),
      failOn,
      resolveNames: values.boolean("resolveNames"),
      ...(dnsServer === undefined ? {} : { dnsServer }),
    };
    return { kind: "check", options };
  }, sink);
}

function permissionsCommand(sink: Sink): Command {
  const permissions = new Command("permissions")
    .description("the exact Deno permission flags a command line needs, and why")
    .argument("[command...]", "the conntrail command line to explain", [])
    .option("--flags", "print only the flags, on one line")
    .passThroughOptions()
    .addHelpText("after", PERMISSIONS_EXAMPLES);
  return act(permissions, (values, args): CommandLine | PrintCommand | VersionCommand => {
    const flagsOnly = values.boolean("flags");
    const target = parseArgs(args.strings(0));
    return target.kind === "print" || target.kind === "version"
      ? target
      : { kind: "permissions", target, flagsOnly };
  }, sink);
}

/** Every command, in the order `conntrail --help` lists them; the first is the default. */
const COMMANDS: Record<string, (sink: Sink) => Command> = {
  monitor: monitorCommand,
  snapshot: snapshotCommand,
  blocklist: blocklistCommand,
  history: historyCommand,
  diff: diffCommand,
  serve: (sink) => serveCommand((options, debug) => sink({ kind: "serve", options }, debug)),
  filter: (sink) => filterCommand((options, debug) => sink({ kind: "filter", options }, debug)),
  check: checkCommand,
  permissions: permissionsCommand,
};

/** Flags of `conntrail` itself, before a command's name. */
const PROGRAM_FLAGS = ["--debug", "-h", "--help", "-V", "--version"];

/**
 * The one command a command line runs, so that only its definition is built;
 * null when help for every command may be asked for, or the command is unknown
 * (commander then says what to type).
 */
function invokedCommand(args: readonly string[]): string | null {
  let next = 0;
  while (next < args.length && PROGRAM_FLAGS.includes(args[next] ?? "")) next++;
  const first = args[next];
  if (first === undefined || (first.startsWith("-") && first !== "--")) {
    // `conntrail --scroll --help` is the program's help, which lists every command.
    return args.some((arg) => arg === "-h" || arg === "--help") ? null : "monitor";
  }
  return Object.hasOwn(COMMANDS, first) ? first : null;
}

function buildProgram(args: readonly string[], sink: Sink): Command {
  const program = new Command("conntrail")
    .description("a network connection monitor: every TCP/UDP connection with its process")
    // Answered before parsing (parseArgs); listed here so that --help shows it.
    .option("-V, --version", "print conntrail's and Deno's versions and the attribution of embedded data")
    .enablePositionalOptions()
    .addHelpText("after", MAIN_EXAMPLES);
  const invoked = invokedCommand(args);
  for (const [name, build] of Object.entries(COMMANDS)) {
    if (invoked === null || invoked === name) {
      program.addCommand(build(sink), { isDefault: name === "monitor" });
    }
  }
  return program;
}

/**
 * An option's help line: its description, its choices, and its default when
 * that says something (not for on/off flags, not an empty list).
 */
function optionDescription(option: Option): string {
  const extra: string[] = [];
  if (option.argChoices) extra.push(`one of ${option.argChoices.join(", ")}`);
  const value = option.defaultValue;
  const meaningful = value !== undefined && typeof value !== "boolean" &&
    !(Array.isArray(value) && value.length === 0) && !/\bdefault\b/.test(option.description);
  if (meaningful) extra.push(`default ${option.defaultValueDescription ?? String(value)}`);
  return extra.length === 0 ? option.description : `${option.description} (${extra.join("; ")})`;
}

/**
 * Parse a command line into a {@linkcode CliCommand}. Help, version and usage
 * errors come back as `print` commands carrying their text and exit code, so
 * that nothing here writes or exits.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseArgs } from "./parse_args.ts";
 * const command = parseArgs(["snapshot", "--format", "json", "--proto", "tcp"]);
 * deepStrictEqual(command.kind === "snapshot" && command.options.format, "json");
 * deepStrictEqual(parseArgs(["snapshot", "--bogus"]).kind === "print" && 2, 2);
 * ```
 */
export function parseArgs(args: readonly string[]): CliCommand {
  if (isVersionRequest(args)) return { kind: "version" };
  let parsed: CliCommand | null = null;
  let stdout = "";
  let stderr = "";
  const program = buildProgram(args, (line, debug) => {
    parsed = line.kind === "print" || line.kind === "version" ? line : { ...line, debug };
  });
  const configure = (command: Command) => {
    command.exitOverride().configureOutput({
      writeOut: (text) => (stdout += text),
      writeErr: (text) => (stderr += text),
      // Help is plain text: asking commander would read CLICOLOR_FORCE and FORCE_COLOR, which the
      // printed permission flags do not allow.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
    command.configureHelp({ optionDescription });
    // The one declaration of --debug: every command takes it (act() reads it), last in its help.
    command.option("--debug", "show the cause chain of an error");
    command.commands.forEach(configure);
  };
  configure(program);
  try {
    program.parse([...args], { from: "user" });
  } catch (error) {
    // A usage error is one line: a value typed with a line break or an escape in it is echoed as text.
    if (error instanceof UsageError) {
      return {
        kind: "print",
        stdout: "",
        stderr: `error: ${safeTerminalText(error.message)}\n`,
        exitCode: 2,
      };
    }
    if (!(error instanceof CommanderError)) throw error;
    const exitCode = error.exitCode === 0 ? 0 : 2;
    let echoed = stderr;
    for (const arg of args) {
      if (arg !== "" && arg !== safeTerminalText(arg)) echoed = echoed.replaceAll(arg, safeTerminalText(arg));
    }
    return { kind: "print", stdout, stderr: echoed, exitCode };
  }
  if (parsed === null) throw new Error("the command line parsed into no command");
  return parsed;
}
