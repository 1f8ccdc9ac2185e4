/**
 * Nothing conntrail prints lets a terminal escape through: hostile history
 * files (a real SQLite database, the reputation tool's JSON files), a broken
 * JSON file, a hostile `.env`, and hostile command-line values, each run as
 * the real program under the flags `permissions --flags` prints.
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { main } from "../main.ts";
import { runConntrail } from "./conntrail_process.ts";
import { runnerCommands, WORKFLOW_COMMANDS } from "./_github_runner.ts";
import { startDnsServer } from "./dns_server.ts";
import {
  CLEAN_IP,
  HOSTILE,
  hostileJsonHistory,
  RAW_CONTROL,
  writeHostileSqlite,
} from "./_hostile_history.ts";
import { tempDir } from "./temp_dir.ts";

function assertSafe(label: string, text: string): void {
  const raw = text.match(RAW_CONTROL);
  ok(
    raw === null,
    `${label} carries a raw U+${raw?.[0].codePointAt(0)?.toString(16)}: ${
      JSON.stringify(text.slice(0, 400))
    }`,
  );
}

Deno.test("history on a SQLite file with escapes in ip, risk_level, status and every other column prints them visibly, never raw", async () => {
  await using temp = await tempDir({ prefix: "conntrail-hostile-" });
  const dir = temp.path;
  const db = join(dir, "hostile.db");
  writeHostileSqlite(db);
  for (
    const args of [["history"], ["history", CLEAN_IP], ["history", "--format", "csv"], [
      "history",
      CLEAN_IP,
      "--format",
      "csv",
    ]]
  ) {
    const run = await runConntrail(dir, [...args, "--db", db]);
    deepStrictEqual(run.code, 0, run.stderr);
    assertSafe(`${args.join(" ")} stdout`, run.stdout);
    assertSafe(`${args.join(" ")} stderr`, run.stderr);
    ok(run.stdout.includes("\\x1b[2J") || run.stdout.includes("\\x1b"), run.stdout.slice(0, 300));
  }
  const table = await runConntrail(dir, ["history", "--db", db]);
  // The address and the risk level read back from the file are shown as text.
  match(table.stdout, /203\.0\.113\.1\\x1b\[2J/);
  match(table.stdout, /\\x1b\]0;owned\\x07/);
  const one = await runConntrail(dir, ["history", CLEAN_IP, "--db", db]);
  match(one.stdout, /ESTAB\\x1b\[2J/);
  match(one.stdout, /\\u202eevil/);
});

Deno.test("history in every format, on a SQLite file holding GitHub workflow commands, prints none a CI log would run", async () => {
  await using temp = await tempDir({ prefix: "conntrail-hostile-" });
  const dir = temp.path;
  const db = join(dir, "commands.db");
  writeHostileSqlite(db, WORKFLOW_COMMANDS);
  for (const format of ["table", "csv", "json"]) {
    for (const args of [["history"], ["history", CLEAN_IP]]) {
      const run = await runConntrail(dir, [...args, "--format", format, "--db", db]);
      deepStrictEqual(run.code, 0, run.stderr);
      ok(run.stdout.includes("stop-commands]"), run.stdout.slice(0, 300));
      deepStrictEqual(runnerCommands(run.stdout), [], `${args.join(" ")} --format ${format}`);
      deepStrictEqual(runnerCommands(run.stderr), [], `${args.join(" ")} --format ${format} stderr`);
      if (format === "json") {
        // Still the same values: only how JSON writes them differs.
        ok(JSON.stringify(JSON.parse(run.stdout)).includes("##[stop-commands]c2.evil.example"));
      }
    }
  }
});

Deno.test("check on an address whose PTR answer holds GitHub workflow commands prints none a CI log would run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "conntrail-hostile-" });
  const ptr = "##[stop-commands]c2.evil.example";
  const dns = await startDnsServer({ "198.51.100.66": ptr, "198.51.100.67": "##[add-mask]x.example" });
  try {
    for (const format of ["table", "json"]) {
      const run = await runConntrail(dir, [
        "check",
        "198.51.100.66",
        "198.51.100.67",
        "--dns-server",
        `127.0.0.1:${dns.port}`,
        "--format",
        format,
        "--no-lookup-country",
        "--no-lookup-asn",
      ]);
      deepStrictEqual(run.code, 0, run.stderr);
      ok(run.stdout.includes("stop-commands]c2.evil.example"), run.stdout);
      deepStrictEqual(runnerCommands(run.stdout), [], `--format ${format}: ${run.stdout}`);
      deepStrictEqual(runnerCommands(run.stderr), [], run.stderr);
      if (format === "json") {
        deepStrictEqual(JSON.parse(run.stdout).map((r: { hostname: string }) => r.hostname), [
          ptr,
          "##[add-mask]x.example",
        ]);
      }
    }
  } finally {
    await dns.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("history --store json with escapes in the JSON keys, and a JSON file that is not JSON, print nothing raw", async () => {
  await using temp = await tempDir({ prefix: "conntrail-hostile-" });
  const dir = temp.path;
  const files = {
    HISTORY_FILE: join(dir, "ip_history.json"),
    CONN_RECORD_FILE: join(dir, "connection_records.json"),
    ABUSEIP_INFO_FILE: join(dir, "abuseip_info.json"),
  };
  await Deno.writeTextFile(files.HISTORY_FILE, hostileJsonHistory());
  const run = await runConntrail(dir, ["history", "--store", "json"], files);
  deepStrictEqual(run.code, 0, run.stderr);
  assertSafe("history --store json", run.stdout + run.stderr);
  match(run.stdout, /\\x1b\[2J203\.0\.113\.1/);

  await Deno.writeTextFile(files.HISTORY_FILE, `{"8.8.8.8": \x1b[31m\x1b]0;owned\x07 broken`);
  const broken = await runConntrail(dir, ["history", "--store", "json"], files);
  deepStrictEqual(broken.code, 1);
  assertSafe("the not-JSON error", broken.stderr);
  deepStrictEqual(broken.stderr.trimEnd().split("\n").length, 1, broken.stderr);
  match(
    broken.stderr,
    /^error: ".*ip_history\.json" is not valid JSON( \(line \d+, column \d+\))?; it was left as it is\n$/,
  );
});

Deno.test("a .env value and command-line values with ESC are shown safely in usage errors", async () => {
  await using temp = await tempDir({ prefix: "conntrail-hostile-" });
  const dir = temp.path;
  const envFile = join(dir, "hostile.env");
  await Deno.writeTextFile(envFile, `ABUSEAPI=k\nSAFE_THRESHOLD=${HOSTILE.title}${HOSTILE.clear}\n`);
  const fromEnv = await runConntrail(dir, ["check", "8.8.8.8", "--env-file", envFile, "--no-resolve-names"]);
  deepStrictEqual(fromEnv.code, 2, fromEnv.stderr);
  assertSafe(".env usage error", fromEnv.stderr);
  match(
    fromEnv.stderr,
    /SAFE_THRESHOLD in .*hostile\.env must be a score from 0 to 100, not "\\x1b\]0;owned\\x07\\x1b\[2J"/,
  );

  // In-process through main(): every stderr path (the parser's usage errors, ours, --debug traces).
  const argvs = [
    ["check", `${HOSTILE.clear}not-an-address`],
    ["snapshot", "--format", HOSTILE.title],
    ["serve", "--port", `80${HOSTILE.csi}`],
    ["history", "--limit", HOSTILE.bidi],
    ["history", "--since", `${HOSTILE.clear}1h`],
    [`${HOSTILE.title}bogus-command`],
    ["monitor", `--${HOSTILE.clear}`],
    ["check", `8.8.8.8${HOSTILE.cr}`, "--debug"],
  ];
  for (const argv of argvs) {
    let stderr = "";
    let stdout = "";
    const code = await main(argv, {
      stdout: (text) => Promise.resolve(void (stdout += text)),
      stderr: (text) => void (stderr += text),
    });
    deepStrictEqual(code, 2, `${JSON.stringify(argv)}: ${stderr}`);
    ok(stderr.length > 0, JSON.stringify(argv));
    assertSafe(`${JSON.stringify(argv)} stderr`, stderr);
    assertSafe(`${JSON.stringify(argv)} stdout`, stdout);
  }
});
