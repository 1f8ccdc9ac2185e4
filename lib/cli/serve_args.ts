import { Command, Option } from "commander";
import { parseIp } from "../model/ip_address.ts";
import { UsageError } from "./usage_error.ts";
import { FILTER_SYNTAXES } from "../model/capture_filter.ts";
import { act } from "./option_values.ts";
import { COLLECTOR_NAMES } from "../collect/collector.ts";
import type { FilterOptions } from "./filter_command.ts";
import type { ServeOptions } from "./serve_command.ts";
import {
  addGeoOptions,
  addHistoryOptions,
  addKernelEventOptions,
  addThreatOptions,
  addTrafficOptions,
  checkHistoryFlags,
  collectorOption,
  dnsServerValue,
  durationSeconds,
  geoFlagsOf,
  numberIn,
  portValue,
  positiveInteger,
  threatFlagsOf,
  widthValue,
} from "./common_flags.ts";
import { EVENT_FORMATS } from "../render/event_formats.ts";
import { addSyslogOptions, checkSyslogFlags, syslogFlagsOf } from "./syslog_flags.ts";
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

/** `conntrail serve`: the web page, with the monitor's enrichment and history flags. */
export function serveCommand(parsed: (options: ServeOptions, debug: boolean) => void): Command {
  const command = new Command("serve")
    .description("web page of the live connections, history, diff and capture filters")
    .option(
      "--host <ip>",
      "address to listen on (anything but loopback needs a token)",
      hostValue,
      "127.0.0.1",
    )
    .option("--port <port>", "port to listen on (0: any free port)", portValue, 8377)
    .option(
      "--token <token>",
      "the token every request must carry (default: generated when not on loopback)",
      tokenValue,
    )
    .option("--max-clients <n>", "pages that may follow live updates at once", positiveInteger, 16)
    .option(
      "-t, --time-unit <seconds>",
      "seconds between polls, and per timeline character",
      numberIn("--time-unit", 0, 86400, true),
      1,
    )
    .option("-w, --width <chars>", "timeline width in characters (20..500)", widthValue, 60)
    .option("--resolve-names", "show reverse-DNS names", false)
    .option(
      "--dns-server <ip[:port]>",
      "ask this DNS server for names instead of the system's",
      dnsServerValue,
    )
    .option("--filter-local", "hide private, loopback, link-local and reserved addresses", false)
    .option("--duration <dur>", "stop after this long (90, 30s, 10m, 1h30m)", durationSeconds)
    .addOption(
      new Option("--format <format>", "also print every event on stdout: text lines, or NDJSON, ECS or OCSF")
        .choices(["text", ...EVENT_FORMATS]),
    )
    .addOption(collectorOption());
  // The page raises alerts but never exits on them: no --fail-on.
  addSyslogOptions(
    addThreatOptions(
      addGeoOptions(addHistoryOptions(addTrafficOptions(addKernelEventOptions(command)))),
      null,
    ),
  ).addHelpText("after", SERVE_EXAMPLES);
  return act(command, (values) => {
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
  }, parsed);
}

/** `conntrail filter`: capture filters for the selected live connections. */
export function filterCommand(parsed: (options: FilterOptions, debug: boolean) => void): Command {
  const command = new Command("filter")
    .description("tcpdump (BPF) and Wireshark display filters for the selected live connections")
    .option("--pid <pid>", "only connections of this process id", positiveInteger)
    .option("--process <name>", "only processes whose name contains this (case-insensitive)")
    .option("--remote <ip>", "only connections with this remote address", remoteValue)
    .option("--port <port>", "only connections with this local or remote port", portValue)
    .addOption(
      new Option("--syntax <syntax>", "which filters to print").choices(FILTER_SYNTAXES).default("both"),
    )
    .option("--no-listening", "leave out listening and unconnected sockets")
    .addOption(collectorOption())
    .option("--input <file>", "parse saved output of ss, netstat, lsof or /proc/net (- for stdin)")
    .addHelpText("after", FILTER_EXAMPLES);
  return act(command, (values) => {
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
  }, parsed);
}
