import { parseIp } from "../model/ip_address.ts";
import { UsageError } from "./usage_error.ts";
import { FILTER_SYNTAXES } from "../model/capture_filter.ts";
import type { OptionValues } from "./option_values.ts";
import { type CommandSpec, withDebug } from "./command_spec.ts";
import { COLLECTOR_NAMES } from "../collect/collector.ts";
import type { FilterOptions } from "./filter_command.ts";
import type { ServeOptions } from "./serve_command.ts";
import {
  checkHistoryFlags,
  collectorOption,
  dnsServerValue,
  durationSeconds,
  geoFlagsOf,
  geoOptions,
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
import { EVENT_FORMATS } from "../render/event_formats.ts";
import { checkSyslogFlags, syslogFlagsOf, syslogOptions } from "./syslog_flags.ts";
import { STORE_KINDS } from "./store_kinds.ts";

const SERVE_EXAMPLES = `
Examples:
  conntrail serve                             the page on http://127.0.0.1:8377/
  conntrail serve --port 9000 --resolve-names
  conntrail serve --host 0.0.0.0              every interface: a token is generated and printed
  conntrail serve --host 192.168.1.5 --token "$(cat ~/.conntrail-token)"
  curl -H "Authorization: Bearer TOKEN" http://192.168.1.5:8377/api/connections
  conntrail serve --format ecs > events.ndjson   the page, and every event as ECS on stdout
  conntrail serve --syslog tls://logs.example.org:6514 --syslog-ca ca.pem   the page, and events to syslog
  sudo conntrail serve --trace --sniff-dns    short connections with their process, and the domains asked for
`;

const FILTER_EXAMPLES = `
Examples:
  conntrail filter --process firefox          tcpdump and Wireshark filters for firefox's connections
  sudo tcpdump -i any "$(conntrail filter --syntax bpf --pid 4242)"
  conntrail filter --remote 203.0.113.7 --port 443 --syntax wireshark
`;

function tokenValue(value: string): string {
  if (!/^[A-Za-z0-9._~-]{16,256}$/.test(value)) {
    throw new UsageError("--token must be 16 to 256 characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'");
  }
  return value;
}

function hostValue(value: string): string {
  const host = value.replace(/^\[(.*)\]$/, "$1");
  if (host !== "localhost" && parseIp(host) === null) {
    throw new UsageError(`--host must be an IP address of this machine or localhost, not "${value}"`);
  }
  return host;
}

function remoteValue(value: string): string {
  if (parseIp(value) === null) throw new UsageError(`--remote must be an IP address, not "${value}"`);
  return value;
}

/** `conntrail serve`: the web page, with the monitor's enrichment and history flags; `line` wraps its options. */
export function serveCommand<T>(line: (options: ServeOptions) => T): CommandSpec<T> {
  const options = [
    {
      flags: "--host <ip>",
      description: "address to listen on (anything but loopback needs a token)",
      parse: hostValue,
      default: "127.0.0.1",
    },
    {
      flags: "--port <port>",
      description: "port to listen on (0: any free port)",
      parse: portValue,
      default: 8377,
    },
    {
      flags: "--token <token>",
      description: "the token every request must carry (default: generated when not on loopback)",
      parse: tokenValue,
    },
    {
      flags: "--max-clients <n>",
      description: "pages that may follow live updates at once",
      parse: positiveInteger,
      default: 16,
    },
    {
      flags: "-t, --time-unit <seconds>",
      description: "seconds between polls, and per timeline character",
      parse: numberIn("--time-unit", 0, 86400, true),
      default: 1,
    },
    {
      flags: "-w, --width <chars>",
      description: "timeline width in characters (20..500)",
      parse: widthValue,
      default: 60,
    },
    { flags: "--resolve-names", description: "show reverse-DNS names", default: false },
    {
      flags: "--dns-server <ip[:port]>",
      description: "ask this DNS server for names instead of the system's",
      parse: dnsServerValue,
    },
    {
      flags: "--filter-local",
      description: "hide private, loopback, link-local and reserved addresses",
      default: false,
    },
    {
      flags: "--duration <dur>",
      description: "stop after this long (90, 30s, 10m, 1h30m)",
      parse: durationSeconds,
    },
    {
      flags: "--format <format>",
      description: "also print every event on stdout: text lines, or NDJSON, ECS or OCSF",
      choices: ["text", ...EVENT_FORMATS],
    },
    collectorOption(),
    ...kernelEventOptions(),
    ...trafficOptions(),
    ...historyOptions(),
    ...geoOptions(),
    // The page raises alerts but never exits on them: no --fail-on.
    ...threatOptions(null),
    ...syslogOptions(),
  ];
  return {
    name: "serve",
    description: "web page of the live connections, history, diff and capture filters",
    options: withDebug(options),
    helpAfter: SERVE_EXAMPLES,
    action: (values) => line(serveOptions(values)),
  };
}

function serveOptions(values: OptionValues): ServeOptions {
  const db = values.optionalString("db");
  const optional = {
    token: values.optionalString("token"),
    dnsServer: values.optionalString("dnsServer"),
    duration: values.optionalNumber("duration"),
    format: values.optionalChoice("format", ["text", ...EVENT_FORMATS] as const),
  };
  const options: ServeOptions = {
    ...threatFlagsOf(values),
    ...geoFlagsOf(values),
    ...syslogFlagsOf(values),
    store: values.choice("store", STORE_KINDS),
    ...(db === undefined ? {} : { db }),
    trace: values.boolean("trace"),
    sniffDns: values.boolean("sniffDns"),
    traffic: values.boolean("traffic"),
    host: values.string("host"),
    port: values.number("port"),
    maxClients: values.number("maxClients"),
    timeUnit: values.number("timeUnit"),
    width: values.number("width"),
    resolveNames: values.boolean("resolveNames"),
    filterLocal: values.boolean("filterLocal"),
    collector: values.choice("collector", COLLECTOR_NAMES),
  };
  if (optional.token !== undefined) options.token = optional.token;
  if (optional.dnsServer !== undefined) options.dnsServer = optional.dnsServer;
  if (optional.duration !== undefined) options.duration = optional.duration;
  if (optional.format !== undefined) options.format = optional.format;
  checkHistoryFlags(options);
  checkSyslogFlags(options);
  if (options.dnsServer !== undefined && !options.resolveNames) {
    throw new UsageError("--dns-server needs --resolve-names");
  }
  return options;
}

/** `conntrail filter`: capture filters for the selected live connections; `line` wraps its options. */
export function filterCommand<T>(line: (options: FilterOptions) => T): CommandSpec<T> {
  const options = [
    { flags: "--pid <pid>", description: "only connections of this process id", parse: positiveInteger },
    {
      flags: "--process <name>",
      description: "only processes whose name contains this (case-insensitive)",
    },
    { flags: "--remote <ip>", description: "only connections with this remote address", parse: remoteValue },
    {
      flags: "--port <port>",
      description: "only connections with this local or remote port",
      parse: portValue,
    },
    {
      flags: "--syntax <syntax>",
      description: "which filters to print",
      choices: FILTER_SYNTAXES,
      default: "both",
    },
    { flags: "--no-listening", description: "leave out listening and unconnected sockets" },
    collectorOption(),
    {
      flags: "--input <file>",
      description: "parse saved output of ss, netstat, lsof or /proc/net (- for stdin)",
    },
  ];
  return {
    name: "filter",
    description: "tcpdump (BPF) and Wireshark display filters for the selected live connections",
    options: withDebug(options),
    helpAfter: FILTER_EXAMPLES,
    action: (values) => line(filterOptions(values)),
  };
}

function filterOptions(values: OptionValues): FilterOptions {
  const pid = values.optionalNumber("pid");
  const process = values.optionalString("process");
  const remote = values.optionalString("remote");
  const port = values.optionalNumber("port");
  const input = values.optionalString("input");
  const options: FilterOptions = {
    ...(pid === undefined ? {} : { pid }),
    ...(process === undefined ? {} : { process }),
    ...(remote === undefined ? {} : { remote }),
    ...(port === undefined ? {} : { port }),
    syntax: values.choice("syntax", FILTER_SYNTAXES),
    listening: values.boolean("listening"),
    collector: values.choice("collector", COLLECTOR_NAMES),
    ...(input === undefined ? {} : { input }),
  };
  return options;
}
