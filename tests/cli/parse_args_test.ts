import { deepStrictEqual, match } from "node:assert/strict";
import { type CliCommand, parseArgs } from "../../lib/cli/parse_args.ts";
import { SYSLOG_QUEUE_LIMIT } from "../../lib/store/syslog_sink.ts";

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

Deno.test("parseArgs() monitor: exactly the typed options, defaults filled", () => {
  deepStrictEqual(parsed("monitor", []).options, {
    blocklist: [],
    includePrivate: false,
    reputation: true,
    lookupCountry: true,
    lookupAsn: true,
    store: "sqlite",
    syslog: [],
    trace: false,
    sniffDns: false,
    failOn: [],
    timeUnit: 1,
    width: 80,
    scroll: false,
    color: true,
    format: "text",
    resolveNames: false,
    filterLocal: false,
    filterFile: [],
    logFormat: [],
    groupBy: "ip",
    outgoing: false,
    collector: "auto",
    traffic: true,
  });
  const full = parsed("monitor", [
    "--scroll",
    "--no-color",
    "--format",
    "ocsf",
    "-o",
    "t.txt",
    "--resolve-names",
    "--dns-server",
    "127.0.0.1:53",
    "--save-threshold",
    "50",
    "--duration",
    "2m",
    "--log-dir",
    "logs",
    "--process",
    "curl",
    "--port",
    "443",
    "--expect",
    "allowed.txt",
    "--fail-on",
    "unexpected",
    "--fail-on",
    "malicious",
    "--report",
    "r.md",
    "--write-expect",
    "w.txt",
    "--stop-file",
    "stop",
    "--no-traffic",
    "--db",
    "h.db",
  ]).options;
  deepStrictEqual(
    [
      full.scroll,
      full.color,
      full.format,
      full.output,
      full.dnsServer,
      full.saveThreshold,
      full.duration,
      full.logDir,
      full.logFormat,
      full.process,
      full.port,
      full.expect,
      full.failOn,
      full.report,
      full.writeExpect,
      full.stopFile,
      full.traffic,
      full.db,
    ],
    [
      true,
      false,
      "ocsf",
      "t.txt",
      "127.0.0.1:53",
      50,
      120,
      "logs",
      ["txt"],
      "curl",
      443,
      "allowed.txt",
      ["unexpected", "malicious"],
      "r.md",
      "w.txt",
      "stop",
      false,
      "h.db",
    ],
  );
});

Deno.test("parseArgs() snapshot: exactly the typed options, defaults filled", () => {
  deepStrictEqual(parsed("snapshot", ["snapshot"]).options, {
    store: "sqlite",
    format: "table",
    listening: true,
    collector: "auto",
    save: false,
    traffic: false,
  });
  deepStrictEqual(
    parsed("snapshot", [
      "snapshot",
      "--state",
      "LISTEN",
      "--process",
      "sshd",
      "--no-listening",
      "--collector",
      "netstat",
      "--input",
      "-",
      "--traffic",
      "--store",
      "none",
    ]).options,
    {
      store: "none",
      format: "table",
      listening: false,
      collector: "netstat",
      save: false,
      traffic: true,
      state: "LISTEN",
      process: "sshd",
      input: "-",
    },
  );
});

/** One command line of each kind: the command's name, and what follows it. */
const EVERY_KIND: [CliCommand["kind"], string[], string[]][] = [
  ["monitor", ["monitor"], []],
  ["monitor", [], ["--scroll"]],
  ["snapshot", ["snapshot"], []],
  ["check", ["check"], ["203.0.113.9"]],
  ["blocklist-update", ["blocklist", "update"], []],
  ["blocklist-list", ["blocklist", "list"], []],
  ["history", ["history"], []],
  ["history-prune", ["history", "prune"], ["--older-than", "1d"]],
  ["diff", ["diff"], []],
  ["serve", ["serve"], []],
  ["filter", ["filter"], []],
  // Its own flags come before the command line it explains.
  ["permissions", ["permissions"], ["snapshot"]],
];

Deno.test("parseArgs() --debug: every command takes it, after its name or before it, and is false without", () => {
  for (const [kind, name, rest] of EVERY_KIND) {
    const debugOf = (args: string[]) => {
      const command = parseArgs(args);
      if (command.kind === "print" || command.kind === "version") {
        throw new Error(`${args.join(" ")}: not run`);
      }
      deepStrictEqual(command.kind, kind);
      return command.debug;
    };
    deepStrictEqual(
      [
        debugOf([...name, ...rest]),
        debugOf([...name, "--debug", ...rest]),
        debugOf(["--debug", ...name, ...rest]),
      ],
      [false, true, true],
      [...name, ...rest].join(" "),
    );
  }
  // Before a command's subcommand: history's --debug applies to prune too.
  deepStrictEqual(parsed("history-prune", ["history", "--debug", "prune", "--older-than", "1d"]).debug, true);
  // After the command line `permissions` explains, it belongs to that command line.
  const explained = parsed("permissions", ["permissions", "snapshot", "--debug"]);
  deepStrictEqual([explained.debug, "debug" in explained.target && explained.target.debug], [
    false,
    true,
  ]);
});

Deno.test("parseArgs() help: conntrail --help lists every command, a command's --help only its own flags", () => {
  const top = parsed("print", ["--help"]);
  deepStrictEqual(top.exitCode, 0);
  for (
    const name of [
      "monitor",
      "snapshot",
      "blocklist",
      "history",
      "diff",
      "serve",
      "filter",
      "check",
      "permissions",
    ]
  ) {
    match(top.stdout, new RegExp(`^  ${name}\\b`, "m"));
  }
  match(top.stdout, /--debug +show the cause chain of an error/);
  const snapshot = parsed("print", ["snapshot", "--help"]);
  match(snapshot.stdout, /^Usage: conntrail snapshot \[options\]/);
  match(snapshot.stdout, /--debug +show the cause chain of an error/);
  deepStrictEqual(snapshot.stdout.includes("--time-unit"), false);
  // Help asked for with the default command's flags is the program's, as it always was.
  match(parsed("print", ["--scroll", "--help"]).stdout, /^ {2}snapshot \[options\]/m);
  // The monitor's help names the syslog queue's length as the sink keeps it.
  match(
    parsed("print", ["monitor", "--help"]).stdout.replace(/\s+/g, " "),
    new RegExp(`up to ${SYSLOG_QUEUE_LIMIT.toLocaleString("en")} events kept`),
  );
});

Deno.test("parseArgs() of a word that is no command says so the way it did when every command was built", () => {
  const typo = parsed("print", ["snapsho"]);
  deepStrictEqual([typo.exitCode, typo.stdout], [2, ""]);
  match(typo.stderr, /^error: too many arguments for 'monitor'\. Expected 0 arguments but got 1: snapsho\./);
  deepStrictEqual(parsed("print", ["snapshot", "--bogus"]).stderr, "error: unknown option '--bogus'\n");
});

Deno.test("parseArgs() --version and -V alone ask for the version; with more they are flags like any other", () => {
  for (const flag of ["--version", "-V"]) deepStrictEqual(parseArgs([flag]), { kind: "version" });
  match(parsed("print", ["snapshot", "--version"]).stderr, /^error: unknown option '--version'/);
});
