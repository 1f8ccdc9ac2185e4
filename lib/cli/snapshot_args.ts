/**
 * `conntrail snapshot`: the current connections once, filtered, in a format.
 *
 * @module
 */
import { COLLECTOR_NAMES, type CollectorName } from "../collect/collector.ts";
import { type CommandSpec, withDebug } from "./command_spec.ts";
import { collectorOption, historyFlags, historyOptions, positiveInteger } from "./common_flags.ts";
import type { HistoryFlags } from "./history_config.ts";
import type { OptionValues } from "./option_values.ts";
import { UsageError } from "./usage_error.ts";

/** Output formats of `conntrail snapshot`. */
export const SNAPSHOT_FORMATS = ["table", "json", "ndjson", "csv", "ecs", "ocsf"] as const;

/** `snapshot --proto`. */
const PROTOCOLS = ["tcp", "udp"] as const;

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

function snapshotOptions(values: OptionValues): SnapshotOptions {
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
  return options;
}

/** `conntrail snapshot`; `line` wraps its options. */
export function snapshotCommand<T>(line: (options: SnapshotOptions) => T): CommandSpec<T> {
  return {
    name: "snapshot",
    description: "print the current connections once",
    options: withDebug([
      {
        flags: "--format <format>",
        description: "output format",
        choices: SNAPSHOT_FORMATS,
        default: "table",
      },
      { flags: "--proto <proto>", description: "only this protocol", choices: PROTOCOLS },
      {
        flags: "--state <state>",
        description: "only this status (ESTABLISHED, LISTEN, TIME_WAIT, CONNECTED, …)",
      },
      { flags: "--pid <pid>", description: "only sockets of this process id", parse: positiveInteger },
      {
        flags: "--process <name>",
        description: "only processes whose name contains this (case-insensitive)",
      },
      { flags: "--no-listening", description: "leave out listening and unconnected sockets" },
      collectorOption(),
      {
        flags: "--input <file>",
        description: "parse saved output of ss, netstat, lsof or /proc/net (- for stdin)",
      },
      {
        flags: "--save",
        description: "also record the snapshot in history (compare saved ones with `conntrail diff`)",
        default: false,
      },
      {
        flags: "--traffic",
        description: "add each TCP connection's bytes sent and received (kernel counters)",
        default: false,
      },
      ...historyOptions(),
    ]),
    helpAfter: SNAPSHOT_EXAMPLES,
    action: (values) => line(snapshotOptions(values)),
  };
}
