import { deepStrictEqual, match } from "node:assert/strict";
import { type CliCommand, parseArgs } from "../../lib/cli/parse_args.ts";

function parsed<K extends CliCommand["kind"]>(kind: K, args: string[]): Extract<CliCommand, { kind: K }> {
  const command = parseArgs(args);
  deepStrictEqual(command.kind, kind, JSON.stringify(command));
  return command as Extract<CliCommand, { kind: K }>;
}

Deno.test("parseArgs() monitor: flags become typed options, and no command at all is the monitor", () => {
  const command = parsed("monitor", [
    "monitor",
    "-t",
    "2",
    "--count",
    "3",
    "--group-by",
    "process",
    "--debug",
  ]);
  deepStrictEqual(
    [command.options.timeUnit, command.options.count, command.options.groupBy, command.debug],
    [2, 3, "process", true],
  );
  deepStrictEqual(parsed("monitor", []).options.groupBy, "ip");
});

Deno.test("parseArgs() snapshot: format, filters and --save", () => {
  const command = parsed("snapshot", [
    "snapshot",
    "--format",
    "json",
    "--proto",
    "tcp",
    "--pid",
    "42",
    "--save",
  ]);
  deepStrictEqual(
    [command.options.format, command.options.proto, command.options.pid, command.options.save, command.debug],
    ["json", "tcp", 42, true, false],
  );
});

Deno.test("parseArgs() check: targets and --fail-on", () => {
  const command = parsed("check", ["check", "203.0.113.9", "example.com", "--fail-on", "blocklisted"]);
  deepStrictEqual(command.options, {
    blocklist: [],
    includePrivate: false,
    reputation: true,
    lookupCountry: true,
    lookupAsn: true,
    targets: ["203.0.113.9", "example.com"],
    format: "table",
    failOn: ["blocklisted"],
    resolveNames: true,
  });
  const tuned = parsed("check", [
    "check",
    "203.0.113.9",
    "--blocklist",
    "a.txt",
    "--blocklist",
    "b.txt",
    "--no-reputation",
    "--safe-threshold",
    "10",
    "--no-lookup-asn",
    "--dns-server",
    "127.0.0.1:5353",
  ]);
  deepStrictEqual(
    [
      tuned.options.blocklist,
      tuned.options.reputation,
      tuned.options.safeThreshold,
      tuned.options.lookupAsn,
      tuned.options.dnsServer,
    ],
    [["a.txt", "b.txt"], false, 10, false, "127.0.0.1:5353"],
  );
});

Deno.test("parseArgs() serve: exactly the typed options, and syslog, format and duration read", () => {
  const command = parsed("serve", ["serve", "--port", "0", "-t", "2"]);
  deepStrictEqual(command.options, {
    blocklist: [],
    includePrivate: false,
    reputation: true,
    lookupCountry: true,
    lookupAsn: true,
    syslog: [],
    store: "sqlite",
    trace: false,
    sniffDns: false,
    traffic: true,
    host: "127.0.0.1",
    port: 0,
    maxClients: 16,
    timeUnit: 2,
    width: 60,
    resolveNames: false,
    filterLocal: false,
    collector: "auto",
  });
  const full = parsed("serve", [
    "serve",
    "--syslog",
    "tcp://127.0.0.1:6514",
    "--syslog-format",
    "ocsf",
    "--format",
    "ndjson",
    "--duration",
    "1m",
    "--resolve-names",
    "--dns-server",
    "127.0.0.1:53",
    "--trace",
  ]);
  deepStrictEqual(
    [
      full.options.syslog.map((t) => t.url),
      full.options.syslogFormat,
      full.options.format,
      full.options.duration,
      full.options.dnsServer,
      full.options.trace,
    ],
    [["tcp://127.0.0.1:6514"], "ocsf", "ndjson", 60, "127.0.0.1:53", true],
  );
});

Deno.test("parseArgs() filter: exactly the typed options, defaults filled", () => {
  const command = parsed("filter", ["filter", "--pid", "7", "--remote", "203.0.113.9", "--debug"]);
  deepStrictEqual(command.options, {
    pid: 7,
    remote: "203.0.113.9",
    syntax: "both",
    listening: true,
    collector: "auto",
  });
  deepStrictEqual(command.debug, true);
  deepStrictEqual(parsed("filter", ["filter", "--no-listening"]).options.listening, false);
});

Deno.test("parseArgs() history: exactly the typed options, an address and durations in milliseconds", () => {
  const command = parsed("history", ["history", "203.0.113.9", "--since", "2h", "--risk", "malicious"]);
  deepStrictEqual(command.options, {
    store: "sqlite",
    ip: "203.0.113.9",
    since: 7_200_000,
    risk: "MALICIOUS",
    sort: "recent",
    format: "table",
    limit: 1000,
  });
});

Deno.test("parseArgs() history prune: --older-than in milliseconds, --db to prune", () => {
  const command = parsed("history-prune", ["history", "prune", "--older-than", "1d", "--db", "h.db"]);
  deepStrictEqual(command.options, { store: "sqlite", db: "h.db", olderThan: 86_400_000 });
});

Deno.test("parseArgs() diff: snapshot ids, format and --list", () => {
  deepStrictEqual(parsed("diff", ["diff", "3", "7", "--format", "json"]).options, {
    store: "sqlite",
    from: 3,
    to: 7,
    format: "json",
    list: false,
  });
  deepStrictEqual(parsed("diff", ["diff", "--list"]).options.list, true);
});

Deno.test("parseArgs() blocklist update and list: list names and the data directory", () => {
  const update = parseArgs(["blocklist", "update", "--data-dir", "/tmp/d"]);
  const list = parseArgs(["blocklist", "list"]);
  if (update.kind !== "blocklist-update" || list.kind !== "blocklist-list") throw new Error("not blocklist");
  deepStrictEqual(update.options, { names: [], dataDir: "/tmp/d" });
  deepStrictEqual(list.options, { names: [] });
});

Deno.test("parseArgs() permissions: the command it is asked about", () => {
  const command = parsed("permissions", ["permissions", "--flags", "snapshot"]);
  deepStrictEqual([command.flagsOnly, command.target.kind], [true, "snapshot"]);
});

Deno.test("parseArgs() answers --db with --store json, and a bad duration, with one usage line and exit code 2", () => {
  for (
    const [args, message] of [
      [["history", "--store", "json", "--db", "x.db"], /^error: --db names an SQLite database/],
      [["history", "prune", "--older-than", "soon"], /^error: "soon" is not a duration/],
    ] as const
  ) {
    const command = parsed("print", [...args]);
    deepStrictEqual(command.exitCode, 2);
    match(command.stderr, message);
  }
});
