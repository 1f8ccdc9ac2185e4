import { fileURLToPath } from "node:url";
import { deepStrictEqual, match, ok } from "node:assert/strict";
import {
  collectorPermissions,
  COMMAND_V8_FLAGS,
  denoFlags,
  MONITOR_V8_FLAGS,
  monitorPermissions,
  ownerWalkPermissions,
  SNAPSHOT_V8_FLAGS,
} from "../lib/cli/permissions.ts";
import { hasTool, openSockets } from "./open_sockets.ts";
import { writeMmdb } from "./enrich/_mmdb_writer.ts";
import { Lines } from "./waiting.ts";
import { tempDir } from "./temp_dir.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run main.ts in a fresh Deno with exactly these permission flags, as a user would: with the V8 flags every
 * command prints when `flags` name none (the code cache's entries are written under them).
 */
async function conntrail(flags: string[], args: string[], stdin?: string): Promise<Run> {
  const v8 = flags.some((flag) => flag.startsWith("--v8-flags=")) ? [] : [COMMAND_V8_FLAGS];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...flags, ...v8, MAIN, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

const linuxWithSs = Deno.build.os === "linux" && hasTool("ss");

Deno.test({
  name: "main snapshot --format json with only --allow-run=ss lists a real loopback listener",
  ignore: !linuxWithSs,
  async fn() {
    const sockets = await openSockets();
    try {
      const run = await conntrail(["--allow-run=ss"], ["snapshot", "--format", "json"]);
      deepStrictEqual(run.code, 0, run.stderr);
      const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
      // On its address too: the snapshot lists the whole machine, where another listener can have the port.
      const listener = rows.find((r) =>
        r.local_ip === "127.0.0.1" && r.local_port === sockets.tcp4_listen && r.status === "LISTEN"
      );
      deepStrictEqual(listener?.pid, sockets.pid);
      deepStrictEqual(listener?.process_name, "python3");
      deepStrictEqual(listener?.direction, "listening");
      deepStrictEqual(listener?.process_path, null); // no --allow-run=find
      match(String(listener?.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
      ok(run.stderr.includes("--allow-run=find"), run.stderr);
    } finally {
      await sockets.close();
    }
  },
});

/** A listening socket no process holds (tests/fixtures/unowned_socket.py): `ss -p` shows no owner, even to root. */
async function unownedSocket(): Promise<{ port: number; close(): Promise<void> }> {
  const child = new Deno.Command("python3", {
    args: [`${FIXTURES}unowned_socket.py`, "127.0.0.1"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const lines = new Lines(child.stdout);
  const { port } = JSON.parse(await lines.until((line) => line.startsWith("{"), "the socket's port"));
  return {
    port,
    async close() {
      await child.stdin.close();
      await lines.done;
      await child.status;
    },
  };
}

const isRoot = Deno.build.os === "linux" && Deno.uid() === 0;

Deno.test({
  name: "main snapshot run as root says why a socket shows no process without advising to run as root",
  ignore: !linuxWithSs || !hasTool("python3") || !isRoot,
  async fn() {
    const unowned = await unownedSocket();
    try {
      const flags = denoFlags(collectorPermissions("auto", "linux"));
      ok(flags.includes("--allow-sys=uid"), flags.join(" "));
      const run = await conntrail(flags, ["snapshot", "--format", "json"]);
      deepStrictEqual(run.code, 0, run.stderr);
      const row = (JSON.parse(run.stdout) as Record<string, unknown>[]).find((r) =>
        r.local_ip === "127.0.0.1" && r.local_port === unowned.port
      );
      deepStrictEqual([row?.status, row?.pid], ["LISTEN", null]);
      const notes = run.stderr.split("\n").filter((line) => line.includes("no process"));
      deepStrictEqual(notes.length, 1, run.stderr);
      match(notes[0] ?? "", /no process: they belong to another network namespace or were being torn down$/);
      ok(!run.stderr.includes("root"), run.stderr);
      // Without --allow-sys=uid it cannot tell, and says so conditionally.
      const unsure = await conntrail(flags.filter((f) => f !== "--allow-sys=uid"), [
        "snapshot",
        "--format",
        "json",
      ]);
      match(unsure.stderr, /no process: other users' sockets \(only root sees their processes\)/);
    } finally {
      await unowned.close();
    }
  },
});

Deno.test({
  name: "main snapshot under the flags `permissions --flags` prints has process paths and user names",
  ignore: !linuxWithSs,
  async fn() {
    const sockets = await openSockets();
    try {
      const flags = (await conntrail([], ["permissions", "--flags", "snapshot"])).stdout.trim().split(" ");
      const run = await conntrail(flags, ["snapshot", "--format", "ndjson", "--pid", String(sockets.pid)]);
      deepStrictEqual(run.code, 0, run.stderr);
      const rows = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
      deepStrictEqual(rows.length, 11);
      deepStrictEqual(new Set(rows.map((r) => r.process_path)), new Set([sockets.exe]));
      ok(rows.every((r) => typeof r.user === "string" && !/^\d+$/.test(r.user)), "user names, not uids");
    } finally {
      await sockets.close();
    }
  },
});

Deno.test("main snapshot with no permission ends in one sentence naming --allow-run", async () => {
  const run = await conntrail([], ["snapshot", "--collector", "ss"]);
  deepStrictEqual(run.code, 1);
  deepStrictEqual(run.stderr, 'error: conntrail may not run "ss"; run with --allow-run=ss\n');
  deepStrictEqual(run.stdout, "");
});

Deno.test("main exits 2 with one line on a usage error", async () => {
  const run = await conntrail([], ["snapshot", "--format", "xml"]);
  deepStrictEqual(run.code, 2);
  deepStrictEqual(run.stderr.trim().split("\n").length, 1);
  match(run.stderr, /^error: option '--format <format>' argument 'xml' is invalid/);
  const badState = await conntrail([], ["snapshot", "--state", "sleepy"]);
  deepStrictEqual(badState.code, 2);
  match(badState.stderr, /^error: unknown state "sleepy"; use one of ESTABLISHED/);
});

Deno.test("main snapshot --input parses a Windows capture under --allow-read of that file only", async () => {
  const file = `${FIXTURES}netstat-ano_windows10.txt`;
  const run = await conntrail([`--allow-read=${file}`], [
    "snapshot",
    "--collector",
    "netstat",
    "--input",
    file,
    "--format",
    "csv",
    "--proto",
    "udp",
  ]);
  deepStrictEqual(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  deepStrictEqual(
    lines[0],
    "timestamp,protocol,process_name,process_path,pid,local_ip,local_port,remote_ip,remote_port,status,family,direction,user",
  );
  deepStrictEqual(lines.length - 1, 137); // the UDP rows of the capture (grep -c UDP)
  ok(lines.slice(1).every((line) => line.includes(",UDP,")));
});

Deno.test("main snapshot --input without read permission names the flag and the stdin way", async () => {
  const file = `${FIXTURES}netstat-ano_windows10.txt`;
  const run = await conntrail([], ["snapshot", "--input", file]);
  deepStrictEqual(run.code, 1);
  deepStrictEqual(run.stderr.trim().split("\n").length, 1);
  ok(run.stderr.includes(`--allow-read=${file}`), run.stderr);
});

Deno.test("main snapshot --input - reads stdin with no permission at all", async () => {
  const capture = 'tcp ESTAB 0 0 10.0.0.5:40000 93.184.216.34:443 users:(("=HYPERLINK(1)",pid=7,fd=3))\n';
  const run = await conntrail([], ["snapshot", "--input", "-", "--format", "csv"], capture);
  deepStrictEqual(run.code, 0, run.stderr);
  ok(run.stdout.includes(`'=HYPERLINK(1)`), run.stdout); // formula escaped
  deepStrictEqual(run.stdout.split("\n")[1]?.split(",").slice(1, 3), ["TCP", "'=HYPERLINK(1)"]);
});

Deno.test("main snapshot shows hostile process names as text, not terminal escapes", async () => {
  const capture =
    'tcp ESTAB 0 0 10.0.0.5:40000 93.184.216.34:443 users:(("evil\x1b[2J\x1b]0;pwned\x07",pid=7,fd=3))\n';
  const run = await conntrail([], ["snapshot", "--input", "-"], capture);
  deepStrictEqual(run.code, 0, run.stderr);
  ok(!run.stdout.includes("\x1b") && !run.stdout.includes("\x07"), JSON.stringify(run.stdout));
  ok(run.stdout.includes("evil\\x1b[2J\\x1b]0;pwned\\x07"));
});

Deno.test("main counts skipped lines of an input in one note", async () => {
  const capture = "tcp ESTAB 0 0 10.0.0.5:40000 93.184.216.34:443\nu_str ESTAB 0 0 * 123 * 456\n";
  const run = await conntrail([], ["snapshot", "--input", "-", "--format", "json"], capture);
  deepStrictEqual(run.code, 0);
  deepStrictEqual(JSON.parse(run.stdout).length, 1);
  deepStrictEqual(run.stderr, "note: skipped 1 line of collector output: not a TCP or UDP socket (1)\n");
});

Deno.test("main ends with one sentence when an input is not any known format", async () => {
  const run = await conntrail([], ["snapshot", "--collector", "ss", "--input", "-"], "hello\nworld\n");
  deepStrictEqual(run.code, 1);
  match(run.stderr, /^error: cannot read "-" as ss output: the input does not look like ss output/);
  deepStrictEqual(run.stderr.includes("    at "), false);
});

Deno.test("main permissions --flags prints what lib/cli/permissions.ts defines, and the start task uses it", async () => {
  const run = await conntrail([], ["permissions", "--flags", "snapshot"]);
  deepStrictEqual(
    run.stdout.trim(),
    [
      ...denoFlags([
        ...collectorPermissions("auto", Deno.build.os),
        ...ownerWalkPermissions("auto", Deno.build.os),
      ]),
      SNAPSHOT_V8_FLAGS,
    ].join(" "),
  );
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  ok(String(config.tasks.start).includes("dist/js/conntrail.js permissions --flags monitor"));
  // `deno run` would otherwise look up dl.deno.land for a newer Deno from the monitor's own process.
  ok(String(config.tasks.start).includes("DENO_NO_UPDATE_CHECK=1 deno run --no-config"));
  const explained = await conntrail([], ["permissions", "snapshot", "--collector", "proc"]);
  match(explained.stdout, /--allow-all\s+read \/proc\/net/);
});

Deno.test("main --version names conntrail, Deno and the embedded data with its attribution", async () => {
  const run = await conntrail([], ["--version"]);
  deepStrictEqual(run.code, 0);
  match(run.stdout, /^conntrail \d+\.\d+\.\d+\ndeno \d+\.\d+\.\d+/);
  match(
    run.stdout,
    /ASN data: RouteViews .*NRO .*IP Geolocation by DB-IP \(https:\/\/db-ip\.com\), CC BY 4\.0/,
  );
  match(run.stdout, /Country data: NRO .*CC BY 4\.0/);
});

Deno.test("main check 8.8.8.8 2001:4860:4860::8888 --lookup-country --lookup-asn answers US / AS15169 with no permissions", async () => {
  const run = await conntrail([], [
    "check",
    "8.8.8.8",
    "2001:4860:4860::8888",
    "--lookup-country",
    "--lookup-asn",
    "--no-resolve-names",
  ]);
  deepStrictEqual(run.code, 0, run.stderr);
  match(run.stdout, /^8\.8\.8\.8 +8\.8\.8\.8 +- +- +- +US +AS15169 Google LLC +-$/m);
  match(run.stdout, /^2001:4860:4860::8888 +2001:4860:4860::8888 +- +- +- +US +AS15169 Google LLC +-$/m);
});

Deno.test("main snapshot prints one line saying why its table is empty", async () => {
  const capture = `${FIXTURES}netstat-an_windows10.txt`;
  const run = await conntrail([`--allow-read=${capture}`], [
    "snapshot",
    "--input",
    capture,
    "--pid",
    "4",
    "--proto",
    "udp",
  ]);
  deepStrictEqual([run.code, run.stdout], [
    0,
    "no connections match --proto udp --pid 4 (259 sockets read)\n",
  ]);
  const empty = await conntrail([], ["snapshot", "--input", "-"], "");
  deepStrictEqual(empty.stdout, "no TCP or UDP sockets are in the input\n");
});

Deno.test("main snapshot --help shows examples", async () => {
  const run = await conntrail([], ["snapshot", "--help"]);
  deepStrictEqual(run.code, 0);
  match(run.stdout, /Examples:\n\s+conntrail snapshot/);
});

Deno.test("main --help of every command works under the printed flags, and says only what applies", async () => {
  // Under exactly the monitor's flags: no env access beyond them (CLICOLOR_FORCE, FORCE_COLOR).
  const flags = [
    ...denoFlags(monitorPermissions({ collector: "auto", resolveNames: false, filterFile: [] }, "linux")),
    MONITOR_V8_FLAGS,
  ];
  const monitor = await conntrail(flags, ["monitor", "--help"]);
  deepStrictEqual([monitor.code, monitor.stderr], [0, ""]);
  const groups = monitor.stdout.split("\n").filter((line) => /^[A-Z][A-Za-z ]*:$/.test(line));
  deepStrictEqual(groups, [
    "Display:",
    "Traffic:",
    "Names and geo:",
    "Filters:",
    "Alerts:",
    "Files:",
    "History:",
    "CI:",
    "Other:",
    "Options:",
    "Examples:",
  ]);
  ok(!/default: \[\]|default: true|default: false/.test(monitor.stdout), monitor.stdout);
  ok(!/\(on by default\) \(default/.test(monitor.stdout), monitor.stdout);
  match(
    monitor.stdout,
    /--time-unit <seconds> +seconds per timeline character, and between\s+polls \(default 1\)/,
  );

  const check = await conntrail([], ["check", "--help"]);
  deepStrictEqual(check.code, 0);
  ok(
    !check.stdout.includes("unexpected"),
    "check offers --fail-on unexpected, which needs the monitor's --expect",
  );
  const prune = await conntrail([], ["history", "prune", "--help"]);
  match(prune.stdout, /Examples:\n\s+conntrail history prune --older-than 90d/);
  ok(!prune.stdout.includes("conntrail history 203.0.113.7"), prune.stdout);
  const top = await conntrail([], ["--help"]);
  match(top.stdout, /-V, --version +print conntrail's and Deno's versions/);
});

Deno.test("README shows the Linux snapshot flags lib/cli/permissions.ts defines", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const flags = denoFlags([
    ...collectorPermissions("auto", "linux"),
    ...ownerWalkPermissions("auto", "linux"),
  ]).concat(SNAPSHOT_V8_FLAGS)
    .join(" ");
  ok(
    readme.includes(`deno run ${flags} main.ts snapshot`),
    `README lacks "deno run ${flags} main.ts snapshot"`,
  );
});

Deno.test("README shows the Linux monitor flags lib/cli/permissions.ts defines", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const flags = [
    ...denoFlags(monitorPermissions({
      collector: "auto",
      resolveNames: false,
      filterFile: [],
      // The data directory as the README spells it, for the shell to expand.
      historyScope: ["$HOME/.local/share/conntrail"],
    }, "linux")),
    MONITOR_V8_FLAGS,
  ].join(" ");
  ok(readme.includes(`deno run ${flags} main.ts\n`), `README lacks "deno run ${flags} main.ts"`);
});

Deno.test("main monitor rejects bad -t and -w, and a missing write permission before it starts", async () => {
  const zero = await conntrail([], ["-t", "0"]);
  deepStrictEqual([zero.code, zero.stderr], [2, 'error: --time-unit must be a number above 0, not "0"\n']);
  const narrow = await conntrail([], ["monitor", "-w", "501"]);
  deepStrictEqual(narrow.code, 2);
  match(narrow.stderr, /--width must be a number from 20 to 500/);
  const output = await conntrail(["--allow-run=ss"], ["--scroll", "--count", "1", "-o", "timeline.txt"]);
  deepStrictEqual(output.code, 1);
  match(
    output.stderr,
    /^error: cannot write "timeline\.txt": permission denied; run with --allow-write=timeline\.txt\n$/,
  );
  const report = await conntrail(["--allow-run=ss"], ["--scroll", "--count", "1", "--report", "egress.md"]);
  deepStrictEqual(report.code, 1);
  match(
    report.stderr,
    /^error: cannot write "egress\.md": permission denied; run with --allow-write=egress\.md\n$/,
  );
});

Deno.test("main check --debug never prints the key: not when it is rejected, not on a usage error", async () => {
  const secret = "SECRET-key-that-must-not-leak-0042";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(JSON.stringify({ errors: [{ detail: `bad key ${secret}` }] }), { status: 401 }),
  );
  await using temp = await tempDir();
  const dir = temp.path;
  const envFile = `${dir}/.env`;
  const port = (server.addr as Deno.NetAddr).port;
  await Deno.writeTextFile(envFile, `ABUSEAPI=${secret}\nABUSE_URL=http://127.0.0.1:${port}/api/v2/check\n`);
  try {
    const flags = [`--allow-read=${envFile}`, `--allow-net=127.0.0.1:${port}`];
    const rejected = await conntrail(flags, [
      "check",
      "8.8.8.8",
      "--env-file",
      envFile,
      "--no-resolve-names",
      "--debug",
    ]);
    deepStrictEqual(rejected.code, 0, rejected.stderr);
    match(rejected.stderr, /AbuseIPDB rejected the API key \(HTTP 401\); reputation is off for this run/);
    const usage = await conntrail(flags, [
      "check",
      "8.8.8.8",
      "--env-file",
      envFile,
      "--safe-threshold",
      "x",
      "--debug",
    ]);
    deepStrictEqual(usage.code, 2);
    for (const run of [rejected, usage]) {
      ok(!(run.stdout + run.stderr).includes(secret), run.stdout + run.stderr);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test({
  name: "main monitor --geo-path with a damaged mmdb says so once, uses the good CSV and runs on",
  ignore: !linuxWithSs,
  async fn() {
    await using temp = await tempDir({ prefix: "conntrail-geo-" });
    const dir = temp.path;
    await Deno.writeTextFile(`${dir}/dbip-country-lite.csv`, "8.8.8.0,8.8.8.255,DE\n");
    const mmdb = writeMmdb("GeoLite2-ASN", [["9.9.9.0/24", { autonomous_system_number: 19281 }]]);
    await Deno.writeFile(`${dir}/GeoLite2-ASN.mmdb`, mmdb.subarray(0, mmdb.length >> 1));
    const flags = denoFlags(
      monitorPermissions({ collector: "auto", resolveNames: false, filterFile: [], geoPath: dir }, "linux"),
    );
    ok(flags.some((flag) => flag.startsWith("--allow-read=") && flag.includes(dir)), flags.join(" "));
    const run = await conntrail(flags, ["--scroll", "--count", "1", "--geo-path", dir]);
    deepStrictEqual(run.code, 0, run.stderr);
    const notes = run.stderr.split("\n").filter((line) => line.includes(dir));
    deepStrictEqual(notes.length, 2, run.stderr);
    match(notes[0] ?? "", /GeoLite2-ASN\.mmdb" is not used: not a MaxMind DB file/);
    match(notes[1] ?? "", /GeoIP: .*dbip-country-lite\.csv \(country\); the embedded data for the rest/);
    match(run.stdout, /conntrail: 1 polls/);
  },
});
