/**
 * `conntrail history`, `history prune` and `conntrail diff`: what the history
 * store knows, forgetting the old, and comparing saved snapshots.
 *
 * @module
 */
import { RISK_LEVELS, type RiskLevel } from "../model/risk.ts";
import { ADDRESS_ORDERS } from "../store/history_store.ts";
import { type CommandSpec, withDebug } from "./command_spec.ts";
import { durationMs, historyFlags, historyOptions, positiveInteger } from "./common_flags.ts";
import type { DiffOptions } from "./diff_command.ts";
import type { HistoryOptions, PruneOptions } from "./history_command.ts";
import { isOneOf } from "./option_values.ts";
import { UsageError } from "./usage_error.ts";

/** Output formats of `conntrail history`. */
export const HISTORY_FORMATS = ["table", "json", "csv"] as const;

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

/** `conntrail history prune`; `line` wraps its options. */
function pruneCommand<T>(line: (options: PruneOptions) => T): CommandSpec<T> {
  return {
    name: "prune",
    description: "forget addresses, connections, alerts and snapshots older than a duration",
    options: withDebug([
      ...historyOptions(),
      {
        flags: "--older-than <dur>",
        description: "what was last seen longer ago than this (90d, 12h)",
        parse: durationMs,
        mandatory: true,
      },
    ]),
    helpAfter: PRUNE_EXAMPLES,
    action: (values) => line({ ...historyFlags(values), olderThan: values.number("olderThan") }),
  };
}

/** `conntrail history` and its `prune`; `history` and `prune` wrap their options. */
export function historyCommand<T>(
  history: (options: HistoryOptions) => T,
  prune: (options: PruneOptions) => T,
): CommandSpec<T> {
  return {
    name: "history",
    description: "what the history store knows: first/last seen, times seen, risk, geo, processes",
    arguments: [{ name: "ip", description: "one address: its details, connections and alerts" }],
    options: withDebug([
      ...historyOptions(),
      {
        flags: "--since <dur>",
        description: "only addresses seen within this long (24h, 7d)",
        parse: durationMs,
      },
      {
        flags: "--risk <level>",
        description: `only this reputation (${RISK_LEVELS.join(", ")})`,
        parse: riskValue,
      },
      {
        flags: "--process <name>",
        description: "only addresses a process whose name contains this talked to",
      },
      {
        flags: "--sort <order>",
        description: "most recently seen first, or most bytes sent and received first (--traffic)",
        choices: ADDRESS_ORDERS,
        default: "recent",
      },
      {
        flags: "--format <format>",
        description: "output format",
        choices: HISTORY_FORMATS,
        default: "table",
      },
      {
        flags: "--limit <n>",
        description: "at most this many addresses (0: all)",
        parse: (v: string) => v === "0" ? 0 : positiveInteger(v),
        default: 1000,
      },
    ]),
    // Positional options: `history prune --db X` gives --db to prune, not to history.
    positionalOptions: true,
    commands: [pruneCommand(prune)],
    helpAfter: HISTORY_EXAMPLES,
    action: (values, args) => {
      const ip = args.optionalString(0);
      const since = values.optionalNumber("since");
      const risk = values.optionalChoice("risk", RISK_LEVELS);
      const process = values.optionalString("process");
      return history({
        ...historyFlags(values),
        ...(ip === undefined ? {} : { ip }),
        ...(since === undefined ? {} : { since }),
        ...(risk === undefined ? {} : { risk }),
        ...(process === undefined ? {} : { process }),
        sort: values.choice("sort", ADDRESS_ORDERS),
        format: values.choice("format", HISTORY_FORMATS),
        limit: values.number("limit"),
      });
    },
  };
}

/** `conntrail diff`; `line` wraps its options. */
export function diffCommand<T>(line: (options: DiffOptions) => T): CommandSpec<T> {
  return {
    name: "diff",
    description: "compare two saved snapshots (default: the last two): added, removed, status changed",
    arguments: [
      {
        name: "from",
        description: "the older snapshot's id (default: the one before the last)",
        parse: snapshotId,
      },
      { name: "to", description: "the newer snapshot's id (default: the last)", parse: snapshotId },
    ],
    options: withDebug([
      ...historyOptions(),
      {
        flags: "--format <format>",
        description: "output format",
        choices: ["table", "json"],
        default: "table",
      },
      { flags: "--list", description: "list the saved snapshots instead", default: false },
    ]),
    helpAfter: DIFF_EXAMPLES,
    action: (values, args) => {
      const from = args.optionalNumber(0);
      const to = args.optionalNumber(1);
      return line({
        ...historyFlags(values),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        format: values.choice("format", ["table", "json"]),
        list: values.boolean("list"),
      });
    },
  };
}
