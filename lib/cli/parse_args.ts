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
import type { CollectorName } from "../collect/collector.ts";
import { UsageError } from "./usage_error.ts";
import { LOG_FORMATS, type LogFormat } from "../render/log_records.ts";
import type { GroupBy } from "../model/tracked_row.ts";
import { FAIL_ON, type FailOn } from "../monitor/alert_watch.ts";
import type { ThreatFlags } from "./threat_intel.ts";
import type { GeoFlags } from "./geo_config.ts";
import { type HistoryFlags, STORE_KINDS } from "./history_config.ts";
import { OptionValues } from "./option_values.ts";
import type { KernelEventFlags } from "./kernel_events.ts";
import type { CheckOptions } from "./check_command.ts";
import type { BlocklistOptions } from "./blocklist_command.ts";
import { HISTORY_FORMATS, type HistoryOptions, type PruneOptions, RISK_LEVELS } from "./history_command.ts";
import type { DiffOptions } from "./diff_command.ts";
import { versionText } from "./version.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import { filterCommand, serveCommand } from "./serve_args.ts";
import type { ServeOptions } from "./serve_command.ts";
import type { FilterOptions } from "./filter_command.ts";
import type { RiskLevel } from "../model/risk.ts";
import { EVENT_FORMATS, type EventFormat } from "../render/event_record.ts";
import { addSyslogOptions, checkSyslogFlags, type SyslogFlags } from "./syslog_config.ts";
import { ADDRESS_ORDERS } from "../store/history_store.ts";

/** Output formats of `conntrail snapshot`. */
export const SNAPSHOT_FORMATS = ["table", "json", "ndjson", "csv", "ecs", "ocsf"] as const;

/** Options of `conntrail snapshot`. */
export interface SnapshotOptions {
  format: typeof SNAPSHOT_FORMATS[number];
  proto?: "tcp" | "udp";
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
  format: "text" | EventFormat;
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

/** A parsed command line: what main.ts switches over. */
export type CliCommand =
  | { kind: "monitor"; options: MonitorOptions; debug: boolean }
  | { kind: "check"; options: CheckOptions; debug: boolean }
  | { kind: "blocklist-update" | "blocklist-list"; options: BlocklistOptions; debug: boolean }
  | { kind: "snapshot"; options: SnapshotOptions; debug: boolean }
  | { kind: "history"; options: HistoryOptions; debug: boolean }
  | { kind: "history-prune"; options: PruneOptions; debug: boolean }
  | { kind: "diff"; options: DiffOptions; debug: boolean }
  | { kind: "serve"; options: ServeOptions; debug: boolean }
  | { kind: "filter"; options: FilterOptions; debug: boolean }
  | { kind: "permissions"; target: CliCommand; flagsOnly: boolean; debug: boolean }
  | { kind: "print"; stdout: string; stderr: string; exitCode: number };

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
  if (!(RISK_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--risk must be one of ${RISK_LEVELS.join(", ")}, not "${value}"`);
  }
  return level as RiskLevel;
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

function historyCommand(onParsed: (command: CliCommand) => void): Command {
  const prune = addHistoryOptions(new Command("prune"))
    .description("forget addresses, connections, alerts and snapshots older than a duration")
    .requiredOption("--older-than <dur>", "what was last seen longer ago than this (90d, 12h)", durationMs)
    .option("--debug", "show the cause chain of an error")
    .addHelpText("after", PRUNE_EXAMPLES)
    .action((raw: Record<string, unknown>) => {
      const values = new OptionValues(raw);
      const options: PruneOptions = { ...historyFlags(values), olderThan: values.number("olderThan") };
      const debug = values.boolean("debug");
      values.done();
      onParsed({ kind: "history-prune", options, debug });
    });
  // Positional options: `history prune --db X` gives --db to prune, not to history.
  return addHistoryOptions(new Command("history").enablePositionalOptions())
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
    .option("--debug", "show the cause chain of an error")
    .addHelpText("after", HISTORY_EXAMPLES)
    .addCommand(prune)
    .action((ip: string | undefined, raw: Record<string, unknown>) => {
      const values = new OptionValues(raw);
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
      const debug = values.boolean("debug");
      values.done();
      onParsed({ kind: "history", options, debug });
    });
}

function diffCommand(onParsed: (command: CliCommand) => void): Command {
  return addHistoryOptions(new Command("diff"))
    .description("compare two saved snapshots (default: the last two): added, removed, status changed")
    .argument("[from]", "the older snapshot's id (default: the one before the last)", snapshotId)
    .argument("[to]", "the newer snapshot's id (default: the last)", snapshotId)
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .option("--list", "list the saved snapshots instead", false)
    .option("--debug", "show the cause chain of an error")
    .addHelpText("after", DIFF_EXAMPLES)
    .action((from: number | undefined, to: number | undefined, raw: Record<string, unknown>) => {
      const values = new OptionValues(raw);
      const options: DiffOptions = {
        ...historyFlags(values),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        format: values.choice("format", ["table", "json"]),
        list: values.boolean("list"),
      };
      const debug = values.boolean("debug");
      values.done();
      onParsed({ kind: "diff", options, debug });
    });
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

function blocklistCommand(onParsed: (command: CliCommand) => void): Command {
  const parsed =
    (kind: "blocklist-update" | "blocklist-list") => (names: string[], raw: Record<string, unknown>) => {
      const values = new OptionValues(raw);
      const dataDir = values.optionalString("dataDir");
      const mirror = values.optionalString("mirror");
      const options: BlocklistOptions = {
        names,
        ...(dataDir === undefined ? {} : { dataDir }),
        ...(mirror === undefined ? {} : { mirror }),
      };
      const debug = values.boolean("debug");
      values.done();
      onParsed({ kind, options, debug });
    };
  const common = (command: Command) =>
    command
      .option(
        "--data-dir <dir>",
        "the data directory (default $XDG_DATA_HOME/conntrail or ~/.local/share/conntrail)",
      )
      .option("--debug", "show the cause chain of an error");
  return new Command("blocklist")
    .description("download public block lists into the data directory")
    .addHelpText("after", BLOCKLIST_EXAMPLES)
    .addCommand(
      common(new Command("update"))
        .description("download FireHOL, Spamhaus and ipsum lists (at most once an hour each)")
        .argument("[names...]", "lists to update (see `conntrail blocklist list`)", [])
        .option("--mirror <url>", "download from this mirror instead of the sources", urlValue)
        .addHelpText("after", BLOCKLIST_EXAMPLES)
        .action(parsed("blocklist-update")),
    )
    .addCommand(
      common(new Command("list"))
        .description("every list `blocklist update` knows, and which are downloaded")
        .action((raw: Record<string, unknown>) => parsed("blocklist-list")([], raw)),
    );
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
        .choices(["text", ...EVENT_FORMATS]).default("text"),
    )
    .addOption(
      new Option("--group-by <what>", "one row per remote IP, process or connection").choices([
        "ip",
        "process",
        "connection",
      ]).default("ip"),
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
            if (!(LOG_FORMATS as readonly string[]).includes(value)) {
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
  command.optionsGroup("Other:")
    .addOption(collectorOption())
    .option("--debug", "show the cause chain of an error");
  return command;
}

function monitorOptions(raw: Record<string, unknown>): MonitorOptions {
  const options = {
    ...raw,
    logFormat: (raw.logFormat as LogFormat[] | undefined) ?? [],
    failOn: (raw.failOn as FailOn[] | undefined) ?? [],
    syslog: (raw.syslog as SyslogFlags["syslog"] | undefined) ?? [],
  } as unknown as MonitorOptions;
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
  checkHistoryFlags(options);
  return options;
}

function snapshotCommand(onParsed: (options: SnapshotOptions, debug: boolean) => void): Command {
  const command = new Command("snapshot")
    .description("print the current connections once")
    .addOption(new Option("--format <format>", "output format").choices(SNAPSHOT_FORMATS).default("table"))
    .addOption(new Option("--proto <proto>", "only this protocol").choices(["tcp", "udp"]))
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
  return addHistoryOptions(command)
    .option("--debug", "show the cause chain of an error")
    .addHelpText("after", SNAPSHOT_EXAMPLES)
    .action((options) => {
      checkHistoryFlags(options as SnapshotOptions);
      if (options.save && options.store === "none") {
        throw new UsageError("--save needs a history; not --store none");
      }
      onParsed(options as SnapshotOptions, Boolean(options.debug));
    });
}

function buildProgram(onParsed: (command: CliCommand) => void): Command {
  const program = new Command("conntrail")
    .description("a network connection monitor: every TCP/UDP connection with its process")
    .option("--debug", "show the cause chain of an error")
    // Answered before parsing (parseArgs); listed here so that --help shows it.
    .option("-V, --version", "print conntrail's and Deno's versions and the attribution of embedded data")
    .enablePositionalOptions()
    .addHelpText("after", MAIN_EXAMPLES);
  const monitor = addMonitorOptions(
    new Command("monitor").description("live monitor: refresh dashboard on a terminal, scroll log otherwise"),
  )
    .addHelpText("after", MONITOR_EXAMPLES)
    .action((options) => {
      onParsed({ kind: "monitor", options: monitorOptions(options), debug: Boolean(options.debug) });
    });
  program.addCommand(monitor, { isDefault: true });
  program.addCommand(snapshotCommand((options, debug) => onParsed({ kind: "snapshot", options, debug })));
  program.addCommand(blocklistCommand(onParsed));
  program.addCommand(historyCommand(onParsed));
  program.addCommand(diffCommand(onParsed));
  program.addCommand(serveCommand((options, debug) => onParsed({ kind: "serve", options, debug })));
  program.addCommand(filterCommand((options, debug) => onParsed({ kind: "filter", options, debug })));
  program.addCommand(
    addThreatOptions(addGeoOptions(new Command("check")), ["blocklisted", "suspicious", "malicious"])
      .description("block lists, reputation and reverse DNS for given addresses, without monitoring")
      .argument("<targets...>", "IP addresses and domains")
      .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
      .option("--no-resolve-names", "skip reverse DNS")
      .option("--dns-server <ip[:port]>", "ask this DNS server instead of the system's", dnsServerValue)
      .option("--debug", "show the cause chain of an error")
      .addHelpText("after", CHECK_EXAMPLES)
      .action((targets: string[], raw: Record<string, unknown>) => {
        const values = new OptionValues(raw);
        const failOn = values.choiceList("failOn", FAIL_ON);
        if (failOn.includes("unexpected")) {
          throw new UsageError("--fail-on unexpected applies to the monitor only");
        }
        const dnsServer = values.optionalString("dnsServer");
        const options: CheckOptions = {
          ...threatFlagsOf(values),
          ...geoFlagsOf(values),
          targets,
          format: values.choice("format", ["table", "json"]),
          failOn,
          resolveNames: values.boolean("resolveNames"),
          ...(dnsServer === undefined ? {} : { dnsServer }),
        };
        const debug = values.boolean("debug");
        values.done();
        onParsed({ kind: "check", options, debug });
      }),
  );
  program.addCommand(
    new Command("permissions")
      .description("the exact Deno permission flags a command line needs, and why")
      .argument("[command...]", "the conntrail command line to explain", [])
      .option("--flags", "print only the flags, on one line")
      .passThroughOptions()
      .addHelpText("after", PERMISSIONS_EXAMPLES)
      .action((args: string[], options: { flags?: boolean }) => {
        const target = parseArgs(args);
        if (target.kind === "print") {
          onParsed(target);
          return;
        }
        onParsed({ kind: "permissions", target, flagsOnly: Boolean(options.flags), debug: false });
      }),
  );
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
  let parsed: CliCommand | null = null;
  let stdout = "";
  let stderr = "";
  const program = buildProgram((command) => {
    parsed = command;
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
    command.commands.forEach(configure);
  };
  configure(program);
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    return { kind: "print", stdout: versionText(), stderr: "", exitCode: 0 };
  }
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
