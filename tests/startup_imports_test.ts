/**
 * What every run of the monitor and of `snapshot` loads before it does anything: the static module graph of
 * main.ts, the parser of its command line (command_line.ts and the command's own description, monitor_args.ts
 * …) and the command's module (`import()`s excluded: they load only when reached). CommonJS
 * npm packages stay off it, since the first one loaded brings in Deno's CommonJS loader (~6 MiB of RSS); the
 * ones only some runs need are imported where they are used. Read with `deno info --json`.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

interface InfoDependency {
  specifier: string;
  code?: { specifier?: string };
  isDynamic?: boolean;
}

interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

/** The graph of these entry points, every module with its imports (static and dynamic). */
async function moduleGraph(entries: string[]): Promise<Map<string, InfoModule>> {
  const modules = new Map<string, InfoModule>();
  for (const entry of entries) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    ok(output.success, new TextDecoder().decode(output.stderr));
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as { modules: InfoModule[] };
    for (const module of info.modules) modules.set(module.specifier, module);
  }
  return modules;
}

/**
 * What the entries reach by static imports alone: the bare specifiers (npm packages, `node:` modules) and the
 * project's own modules (paths from the root).
 */
async function staticGraph(entries: string[]): Promise<{ packages: Set<string>; files: Set<string> }> {
  const modules = await moduleGraph(entries);
  const packages = new Set<string>();
  const seen = new Set<string>();
  const pending = entries.map((entry) => new URL(entry, `file://${ROOT}`).href);
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      const resolved = dependency.code?.specifier;
      if (resolved === undefined || dependency.isDynamic) continue;
      if (resolved.startsWith("file:")) pending.push(resolved);
      else packages.add(dependency.specifier);
    }
  }
  const root = new URL(`file://${ROOT}`).href;
  return { packages, files: new Set([...seen].map((specifier) => specifier.slice(root.length))) };
}

/** The bare specifiers the entries import anywhere, `import()` included (what `deno compile` embeds). */
async function allPackages(entries: string[]): Promise<Set<string>> {
  const packages = new Set<string>();
  for (const module of (await moduleGraph(entries)).values()) {
    for (const dependency of module.dependencies ?? []) {
      if (!dependency.specifier.startsWith(".")) packages.add(dependency.specifier);
    }
  }
  return packages;
}

/** What a run of a command loads statically: main.ts, the parser with the command's description, the command. */
function startPath(command: "monitor" | "snapshot" | "serve"): string[] {
  return [
    "main.ts",
    "lib/cli/command_line.ts",
    `lib/cli/${command}_args.ts`,
    `lib/cli/${command}_command.ts`,
  ];
}

const LAZY = ["dotenv", "mmdb-lib", "csv-parse/sync"];

for (const command of ["monitor", "snapshot"] as const) {
  Deno.test(`${command}: dotenv, mmdb-lib and csv-parse are not on the static path of every run`, async () => {
    const { packages, files } = await staticGraph(startPath(command));
    // The walk reaches the modules the run does load, so an empty answer cannot pass for a good one.
    ok(
      files.has("lib/platform/deno_platform.ts") && files.has("lib/cli/argv_parser.ts"),
      [...files].join(" "),
    );
    deepStrictEqual(LAZY.filter((name) => packages.has(name)), []);
  });
}

// The table's renderer (column widths: get-east-asian-width, ~1.3 MiB of RSS at import) is imported by the
// table alone: `snapshot --format json` at 25,000 sockets peaked 0.8 MiB lower without it (json21).
Deno.test("snapshot_command: the table's renderer and get-east-asian-width are not on the static path of every snapshot", async () => {
  const { packages, files } = await staticGraph(startPath("snapshot"));
  ok(files.has("lib/render/connections_json.ts"), [...files].join(" "));
  const table = [
    "lib/render/connections_table.ts",
    "lib/render/text_table.ts",
    "lib/render/display_width.ts",
  ];
  deepStrictEqual(table.filter((file) => files.has(file)), []);
  deepStrictEqual(packages.has("get-east-asian-width"), false);
  // Still imported (by import()), so deno compile embeds it.
  ok((await allPackages(["lib/cli/snapshot_command.ts"])).has("get-east-asian-width"));
});

Deno.test("dotenv, mmdb-lib and csv-parse are still imported (by import()), so deno compile embeds them", async () => {
  const packages = await allPackages(["main.ts"]);
  deepStrictEqual(LAZY.filter((name) => !packages.has(name)), []);
});

// What a run of the monitor, snapshot or serve loads from outside conntrail before it does anything:
// get-east-asian-width (ESM). Any node: module or npm package loads part or all of Deno's Node layer (+3 to
// +12 MiB of RSS at import: node:path, node:dgram, node:dns, csv-stringify's Buffer, CommonJS), or, node:sqlite,
// ~3 ms of CPU and ~2 MiB of RSS of its own; what only some runs need is import()ed where they need it (node:sqlite
// by the platform, when a history is opened). The parser (argv_parser.ts, in place of commander) loads none of it.
const STATIC_ALLOWED = new Set(["get-east-asian-width"]);

for (const command of ["monitor", "snapshot", "serve"] as const) {
  Deno.test(`${command}: no node: module, node:sqlite included, is on the static path of every run`, async () => {
    const { packages, files } = await staticGraph(startPath(command));
    // The platform, which import()s node:sqlite, is on it: an empty answer cannot pass for a good one.
    ok(files.has("lib/platform/deno_platform.ts"), [...files].join(" "));
    deepStrictEqual([...packages].filter((name) => !STATIC_ALLOWED.has(name)), []);
  });
}

Deno.test("node:dgram, node:dns/promises and node:sqlite are still imported, by import() where needed; node:path not at all", async () => {
  const packages = await allPackages(["main.ts"]);
  deepStrictEqual(
    ["node:dgram", "node:dns/promises", "node:sqlite"].filter((name) => !packages.has(name)),
    [],
  );
  deepStrictEqual(["node:path", "csv-stringify/sync"].filter((name) => packages.has(name)), []);
});

// ipaddr.js is CommonJS (Deno's Node layer, ~+11 MiB at import); lib/model/ip_address.ts reads addresses instead,
// and ipaddr.js stays only as the oracle of its test.
Deno.test("ipaddr.js is imported by nothing main.ts reaches, import() included", async () => {
  const packages = await allPackages(["main.ts"]);
  ok(packages.has("get-east-asian-width"), [...packages].join(" "));
  deepStrictEqual(packages.has("ipaddr.js"), false);
});

// The command line is parsed without Node's compatibility layer: commander (which imports node:fs and
// node:child_process for subcommands it runs as programs) loaded ~+16 MiB of RSS into every command but --version.
Deno.test("parse_args.ts loads no commander and no node: module", async () => {
  const { packages, files } = await staticGraph(["lib/cli/parse_args.ts"]);
  ok(files.has("lib/cli/argv_parser.ts") && files.has("lib/cli/help_text.ts"), [...files].join(" "));
  deepStrictEqual([...packages].filter((name) => name === "commander" || name.startsWith("node:")), []);
});

// A command line is parsed by the description of the command it names (command_line.ts): a snapshot does not load
// and build the monitor's, serve's, history's and check's flags and what their values need (reverse DNS, syslog
// URLs, capture filters, alert conditions). The empty snapshot peaked 44.7 -> 43.1 MiB without them (json21).
for (const command of ["monitor", "snapshot", "serve"] as const) {
  Deno.test(`${command}: its command line is parsed without the other commands' descriptions`, async () => {
    const { files } = await staticGraph(startPath(command));
    ok(files.has("lib/cli/argv_parser.ts") && files.has(`lib/cli/${command}_args.ts`), [...files].join(" "));
    const others = ["parse_args", "monitor_args", "snapshot_args", "serve_args", "history_args", "check_args"]
      .filter((name) => name !== `${command}_args`).map((name) => `lib/cli/${name}.ts`);
    deepStrictEqual(others.filter((file) => files.has(file)), []);
  });
}

// The parser loads the names its flags accept (formats, stores, --fail-on conditions), not the modules that act on
// them: a `snapshot` that saves nothing never loads the history stores, nor the ECS/OCSF renderers.
Deno.test("parse_args.ts loads the names of formats, stores and alerts, not their renderers, stores or watch", async () => {
  const { files } = await staticGraph(["lib/cli/parse_args.ts"]);
  ok(files.has("lib/cli/store_kinds.ts") && files.has("lib/render/event_formats.ts"), [...files].join(" "));
  const heavy = [
    "lib/cli/history_command.ts",
    "lib/cli/history_config.ts",
    "lib/store/sqlite_store.ts",
    "lib/store/json_store.ts",
    "lib/render/event_record.ts",
    "lib/render/ecs_event.ts",
    "lib/render/ocsf_event.ts",
    "lib/render/log_records.ts",
    "lib/monitor/alert_watch.ts",
  ];
  deepStrictEqual(heavy.filter((file) => files.has(file)), []);
});

/** The project's modules the entries reach by static imports and `import()` alike (what `deno compile` embeds). */
async function allFiles(entries: string[]): Promise<Set<string>> {
  const root = new URL(`file://${ROOT}`).href;
  return new Set(
    [...(await moduleGraph(entries)).keys()].filter((s) => s.startsWith(root)).map((s) =>
      s.slice(root.length)
    ),
  );
}

// A scroll run of the monitor that writes no egress file (--report, --write-expect, the job summary) and no -o
// export neither shows the dashboard nor tallies destinations: their modules are imported when a run needs them.
// The tally held ~8 MiB of heap at 10,000 destinations in every run, for files most runs never write.
const MONITOR_LAZY = [
  "lib/monitor/egress_tally.ts",
  "lib/render/egress_report.ts",
  "lib/render/expect_list.ts",
  "lib/render/timeline_export.ts",
  "lib/render/frequent_ips.ts",
  "lib/render/dashboard.ts",
  "lib/monitor/refresh_output.ts",
  "lib/render/terminal.ts",
];

Deno.test("monitor: the dashboard, the egress tally and the report files' renderers are not on the static path of every run", async () => {
  const { files } = await staticGraph(startPath("monitor"));
  ok(files.has("lib/monitor/scroll_output.ts"), [...files].join(" "));
  deepStrictEqual(MONITOR_LAZY.filter((file) => files.has(file)), []);
  // Still imported (by import()), so deno compile embeds them.
  const all = await allFiles(["main.ts"]);
  deepStrictEqual(MONITOR_LAZY.filter((file) => !all.has(file)), []);
});

// What only some runs ask for is imported by them: the tracer (--trace), the DNS sniffer (--sniff-dns), the AbuseIPDB
// client (a key), the syslog sinks (--syslog), the JSON history (--store json) and the connection log (--log-dir).
const SESSION_LAZY = [
  "lib/collect/trace_source.ts",
  "lib/collect/dns_sniffer.ts",
  "lib/enrich/abuseipdb.ts",
  "lib/store/syslog_transport.ts",
  "lib/monitor/syslog_output.ts",
  "lib/store/json_store.ts",
  "lib/monitor/connection_log.ts",
];

for (const command of ["monitor", "serve"] as const) {
  Deno.test(`${command}: the tracer, the sniffer, AbuseIPDB, syslog, the JSON history and the log load when asked for`, async () => {
    const { files } = await staticGraph(startPath(command));
    ok(files.has("lib/cli/session.ts"), [...files].join(" "));
    deepStrictEqual(SESSION_LAZY.filter((file) => files.has(file)), []);
    const all = await allFiles(["main.ts"]);
    deepStrictEqual(SESSION_LAZY.filter((file) => !all.has(file)), []);
  });
}
