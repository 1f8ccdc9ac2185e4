/**
 * The command-line contract, held as snapshots: a corpus of command lines —
 * every one the in-process tests parsed (tests/fixtures/cli/test_command_lines.jsonl,
 * logged from them while commander was the parser), and, generated here, every
 * option of every command with good and bad values, `--opt=v`, `--no-x`,
 * missing values, repeated, unknown and misspelt flags, `--`, `help` and
 * `--help` in every place — and what `parseArgs` made of each: the parsed
 * command, or the exact text printed and the exit code.
 *
 * The snapshots were written by the commander-based parser and the parser
 * that replaced it must reproduce them byte for byte. Help texts are long
 * and repeat, so each distinct printed text is kept once, in its own
 * snapshot, and the corpus names it by number.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { readCommandLine } from "../../lib/cli/command_line.ts";
import { type CliCommand, parseArgs } from "../../lib/cli/parse_args.ts";

/** Where a command line starts: a command's words, and for `check` the target it needs. */
const COMMANDS: { name: string; words: string[]; needs: string[]; flags: string[] }[] = [
  {
    name: "monitor",
    words: ["monitor"],
    needs: [],
    flags: [
      "-t",
      "--time-unit",
      "-w",
      "--width",
      "--scroll",
      "--no-color",
      "--format",
      "--group-by",
      "--traffic",
      "--no-traffic",
      "--resolve-names",
      "--dns-server",
      "--lookup-country",
      "--no-lookup-country",
      "--lookup-asn",
      "--no-lookup-asn",
      "--geo-path",
      "--filter-local",
      "--filter-file",
      "--process",
      "--port",
      "--outgoing",
      "--blocklist",
      "--include-private",
      "--env-file",
      "--no-reputation",
      "--abuse-url",
      "--safe-threshold",
      "--malicious-threshold",
      "--rescan-interval",
      "--expect",
      "-o",
      "--output",
      "--save-threshold",
      "--log-dir",
      "--log-format",
      "--syslog",
      "--syslog-format",
      "--syslog-ca",
      "--trace",
      "--sniff-dns",
      "--db",
      "--store",
      "--fail-on",
      "--duration",
      "--count",
      "--report",
      "--write-expect",
      "--stop-file",
      "--collector",
      "--debug",
    ],
  },
  {
    name: "snapshot",
    words: ["snapshot"],
    needs: [],
    flags: [
      "--format",
      "--proto",
      "--state",
      "--pid",
      "--process",
      "--no-listening",
      "--collector",
      "--input",
      "--save",
      "--traffic",
      "--db",
      "--store",
      "--debug",
    ],
  },
  {
    name: "blocklist update",
    words: ["blocklist", "update"],
    needs: [],
    flags: ["--data-dir", "--mirror", "--debug"],
  },
  { name: "blocklist list", words: ["blocklist", "list"], needs: [], flags: ["--data-dir", "--debug"] },
  {
    name: "history",
    words: ["history"],
    needs: [],
    flags: [
      "--db",
      "--store",
      "--since",
      "--risk",
      "--process",
      "--sort",
      "--format",
      "--limit",
      "--debug",
    ],
  },
  {
    name: "history prune",
    words: ["history", "prune"],
    needs: ["--older-than", "1d"],
    flags: ["--db", "--store", "--older-than", "--debug"],
  },
  {
    name: "diff",
    words: ["diff"],
    needs: [],
    flags: ["--db", "--store", "--format", "--list", "--debug"],
  },
  {
    name: "serve",
    words: ["serve"],
    needs: [],
    flags: [
      "--host",
      "--port",
      "--token",
      "--max-clients",
      "-t",
      "--time-unit",
      "-w",
      "--width",
      "--resolve-names",
      "--dns-server",
      "--filter-local",
      "--duration",
      "--format",
      "--collector",
      "--trace",
      "--sniff-dns",
      "--traffic",
      "--no-traffic",
      "--db",
      "--store",
      "--lookup-country",
      "--no-lookup-country",
      "--lookup-asn",
      "--no-lookup-asn",
      "--geo-path",
      "--blocklist",
      "--include-private",
      "--env-file",
      "--no-reputation",
      "--abuse-url",
      "--safe-threshold",
      "--malicious-threshold",
      "--rescan-interval",
      "--syslog",
      "--syslog-format",
      "--syslog-ca",
      "--debug",
    ],
  },
  {
    name: "filter",
    words: ["filter"],
    needs: [],
    flags: [
      "--pid",
      "--process",
      "--remote",
      "--port",
      "--syntax",
      "--no-listening",
      "--collector",
      "--input",
      "--debug",
    ],
  },
  {
    name: "check",
    words: ["check"],
    needs: ["203.0.113.9"],
    flags: [
      "--lookup-country",
      "--no-lookup-country",
      "--lookup-asn",
      "--no-lookup-asn",
      "--geo-path",
      "--blocklist",
      "--include-private",
      "--fail-on",
      "--env-file",
      "--no-reputation",
      "--abuse-url",
      "--safe-threshold",
      "--malicious-threshold",
      "--rescan-interval",
      "--format",
      "--no-resolve-names",
      "--dns-server",
      "--debug",
    ],
  },
  { name: "permissions", words: ["permissions"], needs: [], flags: ["--flags", "--debug"] },
];

/** Values to try with a flag that takes one: good ones first, then bad ones. */
const VALUES: Record<string, string[]> = {
  "-t": ["2", "0.5", "0", "-1", "x", "86401"],
  "--time-unit": ["2", "0.5", "0", "86400", "1e2", " "],
  "-w": ["40", "20", "500", "19", "40.5", "abc"],
  "--width": ["120", "501", ""],
  "--format": ["json", "ndjson", "ecs", "ocsf", "text", "table", "csv", "xml", "JSON"],
  "--group-by": ["process", "connection", "ip", "host"],
  "--dns-server": ["127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1", "dns.example", "1.2.3.4:99999"],
  "--geo-path": ["/tmp/geo", ""],
  "--filter-file": ["a.txt", "-"],
  "--process": ["firefox", ""],
  "--port": ["443", "0", "65535", "65536", "-1", "0x50", " "],
  "--blocklist": ["ips.txt", "--debug"],
  "--env-file": [".env.test"],
  "--abuse-url": ["http://127.0.0.1:9/check"],
  "--safe-threshold": ["10", "0", "100", "101", "-1", "NaN", "1e1"],
  "--malicious-threshold": ["60", "100.5", "x"],
  "--rescan-interval": ["1h", "90", "2d", "soon", "-1h", "0"],
  "--expect": ["allowed.txt"],
  "-o": ["t.txt"],
  "--output": ["timeline.txt"],
  "--save-threshold": ["50", "0", "100", "100.1", "x"],
  "--log-dir": ["logs"],
  "--log-format": ["csv", "json", "txt", "xml"],
  "--syslog": ["udp://127.0.0.1:514", "tcp://logs.example:6514", "tls://[::1]:6514", "http://x:1", "udp://x"],
  "--syslog-format": ["ecs", "ocsf", "ndjson", "text"],
  "--syslog-ca": ["ca.pem"],
  "--db": ["h.db", ":memory:"],
  "--store": ["sqlite", "json", "none", "memory"],
  "--fail-on": ["blocklisted", "suspicious", "malicious", "unexpected", "bad"],
  "--duration": ["90", "30s", "10m", "1h30m", "0", "x", "-5"],
  "--count": ["3", "0", "1.5", "99999999999999999999", "1e3"],
  "--report": ["r.md"],
  "--write-expect": ["w.txt"],
  "--stop-file": ["stop"],
  "--collector": ["auto", "ss", "proc", "netstat", "lsof", "nope"],
  "--proto": ["tcp", "udp", "icmp", "TCP"],
  "--state": ["LISTEN", "established"],
  "--pid": ["42", "0", "-3", "4.2", "x"],
  "--input": ["-", "capture.txt"],
  "--data-dir": ["/tmp/d"],
  "--mirror": ["https://lists.example.org/", "ftp://x", "not a url"],
  "--since": ["2h", "7d", "0", "later"],
  "--risk": ["malicious", "SAFE", "Suspicious", "unknown", "evil"],
  "--sort": ["recent", "bytes", "size"],
  "--limit": ["0", "10", "-1", "1.5", "00"],
  "--older-than": ["90d", "12h", "1", "never"],
  "--host": ["127.0.0.1", "0.0.0.0", "::1", "[::1]", "localhost", "example.com", "999.1.1.1", "[localhost]"],
  "--token": ["abcdefghijklmnop", "short", "abcdefghijklmnop!", "a".repeat(257)],
  "--max-clients": ["4", "0", "x"],
  "--remote": ["203.0.113.9", "2001:db8::1", "1.2.3", "example.com"],
  "--syntax": ["bpf", "wireshark", "both", "pcap"],
};

/** Flags that take no value: they are tried alone, twice, with `=x`, and negated where that means something. */
const SWITCHES = new Set([
  "--scroll",
  "--no-color",
  "--traffic",
  "--no-traffic",
  "--resolve-names",
  "--no-resolve-names",
  "--lookup-country",
  "--no-lookup-country",
  "--lookup-asn",
  "--no-lookup-asn",
  "--filter-local",
  "--outgoing",
  "--include-private",
  "--no-reputation",
  "--trace",
  "--sniff-dns",
  "--no-listening",
  "--save",
  "--list",
  "--flags",
  "--debug",
]);

/** Lines that are not one flag at a time: unknown and misspelt flags, `--`, help, arguments, short groups. */
function otherLines(start: string[], flags: string[]): string[][] {
  const lines: string[][] = [
    start,
    [...start, "--bogus"],
    [...start, "--bogus", "x"],
    [...start, "--bogus=x"],
    [...start, "-x"],
    [...start, "-"],
    [...start, "--"],
    [...start, "--", "x"],
    [...start, "--", "--debug"],
    [...start, "--", "--help"],
    [...start, "x"],
    [...start, "x", "y", "z"],
    [...start, "-5"],
    [...start, "-1.5"],
    [...start, "--help"],
    [...start, "-h"],
    [...start, "--help", "--bogus"],
    [...start, "--bogus", "--help"],
    [...start, "help"],
    [...start, "help", "x"],
    [...start, "--version"],
    [...start, "-V"],
    [...start, "--debug", "--debug"],
    [...start, "-hV"],
    [...start, "--Debug"],
    [...start, "--debu"],
    [...start, "--deubg"],
    [...start, ""],
  ];
  for (const flag of flags) {
    if (!flag.startsWith("--")) continue;
    // Misspellings: a letter dropped, two swapped, one added.
    const body = flag.slice(2);
    lines.push([...start, `--${body.slice(0, -1)}`]);
    if (body.length > 3) lines.push([...start, `--${body[1]}${body[0]}${body.slice(2)}`]);
    lines.push([...start, `--${body}s`]);
  }
  return lines;
}

/** Every line of one flag: its values, `=`, missing, repeated, and next to another flag. */
function flagLines(start: string[], flag: string): string[][] {
  const lines: string[][] = [];
  if (SWITCHES.has(flag)) {
    lines.push([...start, flag], [...start, flag, flag], [...start, `${flag}=x`], [...start, `${flag}=`]);
    lines.push([...start, flag, "value"]);
    return lines;
  }
  const values = VALUES[flag] ?? ["v"];
  for (const value of values) lines.push([...start, flag, value]);
  lines.push([...start, `${flag}=${values[0]}`], [...start, `${flag}=`], [...start, `${flag}==x`]);
  lines.push([...start, flag], [...start, flag, "--debug"], [...start, flag, "-h"], [...start, flag, "--"]);
  lines.push([...start, flag, values[0]!, flag, values[1] ?? values[0]!]);
  lines.push([...start, flag, values[0]!, "--debug"]);
  if (!flag.startsWith("--")) {
    // Short flags: the value in the same word, and grouped with another.
    lines.push([...start, `${flag}${values[0]}`], [...start, `${flag}=${values[0]}`], [
      ...start,
      `-h${flag[1]}`,
    ]);
  }
  return lines;
}

/** Flags that only mean something together, and the checks that span flags. */
const COMBINATIONS: string[][] = [
  ["--fail-on", "unexpected"],
  ["--fail-on", "unexpected", "--expect", "a.txt"],
  ["--log-format", "csv"],
  ["--log-dir", "logs"],
  ["--log-dir", "logs", "--log-format", "csv", "--log-format", "json"],
  ["--save-threshold", "50", "--group-by", "process"],
  ["--save-threshold", "50", "--group-by", "ip"],
  ["--dns-server", "127.0.0.1"],
  ["--dns-server", "127.0.0.1", "--resolve-names"],
  ["--syslog-format", "ecs"],
  ["--syslog-ca", "ca.pem", "--syslog", "udp://127.0.0.1:514"],
  ["--syslog-ca", "ca.pem", "--syslog", "tls://127.0.0.1:6514"],
  ["--syslog", "udp://127.0.0.1:514", "--syslog", "tcp://127.0.0.1:515", "--syslog-format", "ocsf"],
  ["--db", "h.db", "--store", "json"],
  ["--db", "h.db", "--store", "none"],
  ["--store", "json", "--db", "h.db"],
  ["--save", "--store", "none"],
  ["--no-traffic", "--traffic"],
  ["--traffic", "--no-traffic"],
  ["--no-lookup-country", "--lookup-country"],
  ["-t", "2", "-w", "40", "--scroll"],
  ["-t2", "-w40"],
  ["-ot.txt"],
  ["--format", "json", "--format", "csv"],
  ["--blocklist", "a", "--blocklist", "b", "--filter-file", "c", "--filter-file", "d"],
  ["--fail-on", "blocklisted", "--fail-on", "blocklisted"],
];

/** Lines at the top: the program's own flags, `help`, unknown commands, permissions of every command. */
function programLines(): string[][] {
  const lines: string[][] = [
    [],
    ["help"],
    ["help", "help"],
    ["help", "nope"],
    ["help", "blocklist", "update"],
    ["--help"],
    ["-h"],
    ["--debug"],
    ["--debug", "--help"],
    ["--debug", "help"],
    ["--version", "snapshot"],
    ["-V", "--debug"],
    ["--version", "--version"],
    ["--scroll", "--help"],
    ["--scroll", "help"],
    ["--", "snapshot"],
    ["--", "--help"],
    ["snapsho"],
    ["snapshots"],
    ["sanpshot"],
    ["nope", "--help"],
    ["blocklist"],
    ["blocklist", "nope"],
    ["blocklist", "updat"],
    ["blocklist", "help"],
    ["blocklist", "help", "update"],
    ["blocklist", "help", "nope"],
    ["blocklist", "--debug"],
    ["blocklist", "--help"],
    ["blocklist", "--bogus"],
    ["blocklist", "--debug", "update"],
    ["blocklist", "update", "firehol_level1", "spamhaus_drop"],
    ["blocklist", "update", "--mirror", "https://m.example/", "a", "b"],
    ["blocklist", "list", "a"],
    ["history", "help"],
    ["history", "prune"],
    ["history", "prune", "x", "--older-than", "1d"],
    ["history", "203.0.113.9", "prune"],
    ["history", "--db", "h.db", "prune", "--older-than", "1d"],
    ["history", "--store", "json", "prune", "--older-than", "1d"],
    ["history", "prune", "--older-than", "1d", "--help"],
    ["history", "1.2.3.4", "5.6.7.8"],
    ["diff", "3"],
    ["diff", "3", "7", "9"],
    ["diff", "0"],
    ["diff", "x"],
    ["diff", "-3"],
    ["diff", "1.5", "2"],
    ["diff", "99999999999999999999"],
    ["check"],
    ["check", "--format", "json"],
    ["check", "a", "b", "c", "--no-resolve-names"],
    ["check", "a", "--", "--b"],
    ["permissions"],
    ["permissions", "--flags"],
    ["permissions", "--bogus"],
    ["permissions", "--flags", "--bogus"],
    ["permissions", "snapshot", "--bogus"],
    ["permissions", "snapshot", "--help"],
    ["permissions", "--help", "snapshot"],
    ["permissions", "permissions", "snapshot"],
    ["permissions", "--", "snapshot"],
    ["permissions", "--version"],
    ["permissions", "help"],
    ["permissions", "blocklist"],
    ["permissions", "--flags", "monitor", "--scroll"],
  ];
  for (const { words, needs } of COMMANDS) {
    lines.push(["permissions", ...words, ...needs], ["permissions", "--flags", ...words, ...needs]);
    lines.push(["help", ...words], ["--debug", ...words, ...needs]);
  }
  return lines;
}

function generatedLines(): string[][] {
  const lines = programLines();
  for (const { words, needs, flags } of COMMANDS) {
    const starts = [[...words, ...needs]];
    // The monitor is also the command of a line that names none.
    if (words[0] === "monitor") starts.push([]);
    for (const start of starts) {
      lines.push(...otherLines(start, flags));
      for (const flag of flags) lines.push(...flagLines(start, flag));
      for (const combination of COMBINATIONS) lines.push([...start, ...combination]);
    }
  }
  return lines;
}

async function testLines(): Promise<string[][]> {
  const path = fileURLToPath(new URL("../fixtures/cli/test_command_lines.jsonl", import.meta.url));
  const text = await Deno.readTextFile(path);
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as string[]);
}

/** JSON with keys sorted and `undefined` kept (an absent option and one set to undefined differ). */
function stable(value: unknown): string {
  if (value === undefined) return '"<undefined>"';
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${
      Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${stable(record[key])}`).join(",")
    }}`;
  }
  return JSON.stringify(value);
}

/**
 * A parsed command as its differences from the same command's defaults (its line without flags): the
 * defaults are kept whole once, in their own snapshot, so each line shows what its flags changed.
 */
function changes(command: Record<string, unknown>, defaultsOf: Map<string, Record<string, unknown>>): string {
  const target = command.target as Record<string, unknown> | undefined;
  if (target?.options !== undefined) {
    return stable({ ...command, target: `<${changes(target, defaultsOf)}>` });
  }
  const defaults = defaultsOf.get(String(command.kind));
  if (defaults === undefined) return stable(command);
  const options = (command.options ?? {}) as Record<string, unknown>;
  const base = (defaults.options ?? {}) as Record<string, unknown>;
  const changed: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(options), ...Object.keys(base)])) {
    if (!(key in options)) changed[key] = "<absent>";
    else if (!(key in base) || stable(options[key]) !== stable(base[key])) changed[key] = options[key];
  }
  const { options: _, ...rest } = command;
  return stable({ ...rest, options: changed });
}

const DEFAULT_LINES: string[][] = [
  ...COMMANDS.map(({ words, needs }) => [...words, ...needs]),
  ["permissions", "snapshot"],
];

/** Parse every line; help texts are kept apart, once each, and named by number. */
function parseAll(lines: string[][]): { results: string[]; texts: string[]; defaults: string[] } {
  const texts: string[] = [];
  const textId = (text: string) => {
    if (!text.includes("Usage:")) return text;
    let id = texts.indexOf(text);
    if (id < 0) id = texts.push(text) - 1;
    return `<text ${id}>`;
  };
  const defaultsOf = new Map<string, Record<string, unknown>>();
  const defaults: string[] = [];
  for (const line of DEFAULT_LINES) {
    const command = parseArgs(line);
    if (command.kind === "print" || command.kind === "version") throw new Error(`${line}: ${command.kind}`);
    defaultsOf.set(command.kind, command as unknown as Record<string, unknown>);
    defaults.push(`${JSON.stringify(line)} → ${stable(command)}`);
  }
  const seen = new Set<string>();
  const results: string[] = [];
  for (const line of lines) {
    const key = JSON.stringify(line);
    if (seen.has(key)) continue;
    seen.add(key);
    let command: CliCommand;
    try {
      command = parseArgs(line);
    } catch (error) {
      results.push(`${key} → threw ${error}`);
      continue;
    }
    const shown = command.kind === "print"
      ? stable({ ...command, stdout: textId(command.stdout), stderr: textId(command.stderr) })
      : changes(command as unknown as Record<string, unknown>, defaultsOf);
    results.push(`${key} → ${shown}`);
  }
  return { results, texts, defaults };
}

Deno.test("parseArgs() corpus: every command line parses as the snapshot says, help and errors byte for byte", async (t) => {
  const { results, texts, defaults } = parseAll([...await testLines(), ...generatedLines()]);
  await t.step("each command's defaults", async (t) => {
    await t.assertSnapshot(defaults.join("\n"));
  });
  await t.step("command lines the tests parsed, and generated ones", async (t) => {
    await t.assertSnapshot(results.join("\n"));
  });
  await t.step("the texts printed", async (t) => {
    await t.assertSnapshot(texts.map((text, id) => `<text ${id}>\n${text}`).join("\n"));
  });
});

// main.ts parses with readCommandLine, which loads only the command a line names: it must come to what parseArgs
// (every command loaded) comes to, for every line, help widths included.
Deno.test("readCommandLine() corpus: every command line comes to what parseArgs() makes of it", async () => {
  const width = (stream: "stdout" | "stderr") => stream === "stdout" ? 100 : 60;
  const lines = [...await testLines(), ...generatedLines(), ...DEFAULT_LINES];
  const seen = new Set<string>();
  const differ: string[] = [];
  let named = 0;
  for (const line of lines) {
    const key = JSON.stringify(line);
    if (seen.has(key)) continue;
    seen.add(key);
    const outcome = async (parse: () => CliCommand | Promise<CliCommand>) => {
      try {
        return stable(await parse());
      } catch (error) {
        return `threw ${error}`;
      }
    };
    const whole = await outcome(() => parseArgs(line, width));
    const lazy = await outcome(() => readCommandLine(line, width));
    if (whole !== lazy) differ.push(`${key}\n  parseArgs:       ${whole}\n  readCommandLine: ${lazy}`);
    if (!whole.startsWith('{"exitCode"')) named++;
  }
  deepStrictEqual(differ.slice(0, 5), []);
  // The corpus holds lines of every kind: commands that ran, and help and errors.
  ok(named > 1_000 && seen.size - named > 1_000, `${named} of ${seen.size}`);
});
