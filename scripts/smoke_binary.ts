/**
 * `deno task smoke BINARY`: prove a compiled conntrail works on the machine
 * it runs on, as CI and the release do on every runner before a binary is
 * published. Each check prints one line; the first failure ends the run with
 * exit code 1.
 *
 *   deno task smoke dist/conntrail-x86_64-unknown-linux-gnu
 *   deno task smoke --from-source      the bundle the binaries are compiled from (scripts/bundle.ts, built
 *                                      here), under the flags `deno task compile` embeds for this OS
 *
 * Checks: `--version` (version and the embedded data's attribution);
 * `permissions monitor`; `snapshot --format json` finds a TCP connection
 * this script holds open, with this script's pid (the collector of the OS,
 * for real); a short `monitor --duration` with `--fail-on blocklisted` exits 3
 * on that connection (listed on purpose) and 0 with nothing listed, and under
 * GITHUB_ACTIONS folds the start and writes `--report` and `--write-expect`;
 * `check 8.8.8.8` answers country and AS from the embedded GeoIP data.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { COMPILE_TARGETS, compileFlags } from "../lib/cli/permissions.ts";
import { buildBundle } from "./bundle.ts";
import denoJson from "../deno.json" with { type: "json" };

const decoder = new TextDecoder();
/** What this run built (the bundle of --from-source), removed when it ends. */
const built: string[] = [];

function cleanUp(): void {
  for (const path of built) Deno.removeSync(path, { recursive: true });
}

async function commandLine(args: string[]): Promise<string[]> {
  if (args[0] === "--from-source") {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const config = fileURLToPath(new URL("../deno.json", import.meta.url));
    // The bundle `deno task compile` compiles, built as it builds it, in a directory of this run's own.
    const bundle = await buildBundle(root, `dist/smoke-${Deno.pid}/conntrail.js`);
    built.push(dirname(bundle));
    // The same flags `deno task compile` passes (scripts/compile.ts), with `run` for `compile`.
    return [
      Deno.execPath(),
      "run",
      "--quiet",
      "--no-prompt",
      "--config",
      config,
      ...compileFlags(Deno.build.os),
      "--unstable-raw-imports",
      bundle,
    ];
  }
  if (args.length !== 1) {
    const names = COMPILE_TARGETS.map((t) => `dist/conntrail-${t.target}`).join(", ");
    console.error(`usage: deno task smoke BINARY | --from-source   (a binary: ${names})`);
    Deno.exit(2);
  }
  return [resolve(args[0] ?? "")];
}

const command = await commandLine(Deno.args);

async function conntrail(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [program = "", ...prefix] = command;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(program, {
      args: [...prefix, ...args],
      env: { NO_COLOR: "1", GITHUB_ACTIONS: "", GITHUB_STEP_SUMMARY: "", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    console.error(`FAILED: cannot run ${program}: ${error instanceof Error ? error.message : error}`);
    cleanUp();
    Deno.exit(1);
  }
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

function check(ok: boolean, what: string, detail: string): void {
  if (!ok) {
    console.error(`FAILED: ${what}\n${detail}`);
    cleanUp();
    Deno.exit(1);
  }
  console.log(`ok: ${what}`);
}

const version = await conntrail(["--version"]);
check(
  version.code === 0 && version.stdout.startsWith(`conntrail ${denoJson.version}\n`) &&
    version.stdout.includes("embedded data"),
  `--version names conntrail ${denoJson.version} and the embedded data`,
  version.stdout + version.stderr,
);

const permissions = await conntrail(["permissions", "monitor"]);
check(
  permissions.code === 0 && permissions.stdout.includes("--allow-run="),
  "permissions monitor prints the flags and why",
  permissions.stdout + permissions.stderr,
);

// A connection this process holds: the collector must find it with this pid.
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const accepted = listener.accept();
const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
const server = await accepted;
const clientPort = (client.localAddr as Deno.NetAddr).port;
const mine = (c: Record<string, unknown>) =>
  c.local_port === clientPort && c.remote_port === listener.addr.port && c.remote_ip === "127.0.0.1";
const dir = await Deno.makeTempDir({ prefix: "conntrail_smoke_" });
try {
  const snapshot = await conntrail(["snapshot", "--format", "json"]);
  let rows: Record<string, unknown>[] = [];
  try {
    rows = JSON.parse(snapshot.stdout);
  } catch {
    // Reported by the check below.
  }
  const row = rows.find(mine);
  check(
    snapshot.code === 0 && row !== undefined && row.pid === Deno.pid && row.status === "ESTABLISHED",
    `snapshot --format json finds this script's connection 127.0.0.1:${clientPort} → ${listener.addr.port} ` +
      `with pid ${Deno.pid} (${rows.length} connections listed)`,
    `${JSON.stringify(row ?? null)}\n${snapshot.stderr}`,
  );

  const list = join(dir, "listed.txt");
  await Deno.writeTextFile(list, "127.0.0.1\n");
  const failing = await conntrail([
    "monitor",
    "--scroll",
    "--format",
    "ndjson",
    "--duration",
    "3s",
    "--store",
    "none",
    "--include-private",
    "--blocklist",
    list,
    "--fail-on",
    "blocklisted",
  ]);
  const alerts = failing.stdout.split("\n").filter((line) => line.includes('"event":"ALERT"')).map((line) =>
    JSON.parse(line)
  );
  // One alert per (address, process): it names whichever end of the connection was judged first.
  const eitherEnd = (c: Record<string, unknown>) =>
    mine(c) || (c.local_port === listener.addr.port && c.remote_port === clientPort && c.pid === Deno.pid);
  check(
    failing.code === 3 && alerts.some(eitherEnd),
    "monitor --duration 3s --fail-on blocklisted exits 3 on this script's listed connection",
    `exit ${failing.code}\n${failing.stdout.slice(0, 2000)}\n${failing.stderr}`,
  );

  const report = join(dir, "report.md");
  const expect = join(dir, "expect.txt");
  const passing = await conntrail(
    [
      "monitor",
      "--scroll",
      "--duration",
      "2s",
      "--store",
      "none",
      "--fail-on",
      "blocklisted",
      "--report",
      report,
    ],
    { GITHUB_ACTIONS: "true" },
  );
  const written = await Deno.readTextFile(report).catch(() => "");
  check(
    passing.code === 0 && /^::group::conntrail: [\d,]+ connections open at start$/m.test(passing.stdout) &&
      written.includes("### Destinations"),
    "monitor --duration 2s exits 0 with nothing listed; under GITHUB_ACTIONS it folds the start and writes --report",
    `exit ${passing.code}\n${passing.stdout.slice(0, 2000)}\n${passing.stderr}`,
  );
  const learned = await conntrail([
    "monitor",
    "--scroll",
    "--count",
    "1",
    "--store",
    "none",
    "--write-expect",
    expect,
  ]);
  check(
    learned.code === 0 &&
      (await Deno.readTextFile(expect).catch(() => "")).startsWith("# conntrail --expect list"),
    "monitor --write-expect writes an --expect list",
    learned.stdout.slice(0, 2000) + learned.stderr,
  );

  const geo = await conntrail(["check", "8.8.8.8", "--format", "json", "--no-resolve-names"]);
  let answer: Record<string, unknown> = {};
  try {
    answer = JSON.parse(geo.stdout)[0] ?? {};
  } catch {
    // Reported by the check below.
  }
  check(
    geo.code === 0 && answer.country === "US" && answer.asn === 15169,
    "check 8.8.8.8 answers US and AS15169 from the embedded GeoIP data",
    geo.stdout + geo.stderr,
  );
} finally {
  client.close();
  server.close();
  listener.close();
  await Deno.remove(dir, { recursive: true });
  cleanUp();
}
console.log(`all checks passed: ${command.join(" ")}`);
