/**
 * `conntrail check` (block lists, reputation and names for given addresses)
 * and `conntrail blocklist update|list` (the lists it reads).
 *
 * @module
 */
import { FAIL_ON } from "../monitor/fail_on.ts";
import type { BlocklistOptions } from "./blocklist_command.ts";
import type { CheckOptions } from "./check_command.ts";
import { type CommandSpec, type OptionSpec, withDebug } from "./command_spec.ts";
import { dnsServerValue, geoFlagsOf, geoOptions, threatFlagsOf, threatOptions } from "./common_flags.ts";
import type { ArgumentValues, OptionValues } from "./option_values.ts";
import { UsageError } from "./usage_error.ts";

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

/** `conntrail check`; `line` wraps its options. */
export function checkCommand<T>(line: (options: CheckOptions) => T): CommandSpec<T> {
  return {
    name: "check",
    description: "block lists, reputation and reverse DNS for given addresses, without monitoring",
    arguments: [{ name: "targets", description: "IP addresses and domains", required: true, variadic: true }],
    options: withDebug([
      ...geoOptions(),
      ...threatOptions(["blocklisted", "suspicious", "malicious"]),
      {
        flags: "--format <format>",
        description: "output format",
        choices: ["table", "json"],
        default: "table",
      },
      { flags: "--no-resolve-names", description: "skip reverse DNS" },
      {
        flags: "--dns-server <ip[:port]>",
        description: "ask this DNS server instead of the system's",
        parse: dnsServerValue,
      },
    ]),
    helpAfter: CHECK_EXAMPLES,
    action: (values, args) => {
      const failOn = values.choiceList("failOn", FAIL_ON);
      if (failOn.includes("unexpected")) {
        throw new UsageError("--fail-on unexpected applies to the monitor only");
      }
      const dnsServer = values.optionalString("dnsServer");
      return line({
        ...threatFlagsOf(values),
        ...geoFlagsOf(values),
        targets: args.strings(0),
        format: values.choice("format", ["table", "json"]),
        failOn,
        resolveNames: values.boolean("resolveNames"),
        ...(dnsServer === undefined ? {} : { dnsServer }),
      });
    },
  };
}

const DATA_DIR_OPTION: OptionSpec = {
  flags: "--data-dir <dir>",
  description: "the data directory (default $XDG_DATA_HOME/conntrail or ~/.local/share/conntrail)",
};

function blocklistOptions(values: OptionValues): BlocklistOptions {
  const dataDir = values.optionalString("dataDir");
  return { names: [], ...(dataDir === undefined ? {} : { dataDir }) };
}

/** `conntrail blocklist update|list`; `update` and `list` wrap their options. */
export function blocklistCommand<T>(
  update: (options: BlocklistOptions) => T,
  list: (options: BlocklistOptions) => T,
): CommandSpec<T> {
  return {
    name: "blocklist",
    description: "download public block lists into the data directory",
    options: withDebug([]),
    helpAfter: BLOCKLIST_EXAMPLES,
    commands: [
      {
        name: "update",
        description: "download FireHOL, Spamhaus and ipsum lists (at most once an hour each)",
        arguments: [{
          name: "names",
          description: "lists to update (see `conntrail blocklist list`)",
          variadic: true,
          default: [],
        }],
        options: withDebug([
          DATA_DIR_OPTION,
          {
            flags: "--mirror <url>",
            description: "download from this mirror instead of the sources",
            parse: urlValue,
          },
        ]),
        helpAfter: BLOCKLIST_EXAMPLES,
        action: (values: OptionValues, args: ArgumentValues) => {
          const options = blocklistOptions(values);
          options.names = args.strings(0);
          const mirror = values.optionalString("mirror");
          if (mirror !== undefined) options.mirror = mirror;
          return update(options);
        },
      },
      {
        name: "list",
        description: "every list `blocklist update` knows, and which are downloaded",
        options: withDebug([DATA_DIR_OPTION]),
        action: (values: OptionValues) => list(blocklistOptions(values)),
      },
    ],
  };
}
