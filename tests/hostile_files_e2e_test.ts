/**
 * Hostile and huge files given to the real program, under the flags
 * `permissions --flags` prints (the monitor's include the shipped V8 heap
 * cap): FIFOs and devices where a list is expected, a 200 MB block list, a
 * filter file of 150,000 CIDRs, GeoIP directories with a broken link and a
 * gzip bomb, a database with a schema version no conntrail writes.
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { permissionFlags } from "./conntrail_process.ts";
import { hasTool } from "./open_sockets.ts";
import { tempDir } from "./temp_dir.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("mkfifo");

/** Run conntrail under its printed flags; a usage error is run with none (it needs none to be said). */
async function conntrail(dataHome: string, args: string[], usageError = false) {
  const flags = usageError ? [] : await permissionFlags(dataHome, args);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...flags, MAIN, ...args],
    env: { XDG_DATA_HOME: dataHome, NO_COLOR: "1" },
    // Not a limit on the behaviour: a regression (waiting on a FIFO) fails instead of hanging the suite.
    signal: AbortSignal.timeout(300_000),
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  deepStrictEqual(lines.length, 1, stderr);
  return lines[0] ?? "";
}

Deno.test({
  name:
    "a FIFO given as --blocklist, --filter-file, --expect or to check is refused in one sentence, not waited on",
  ignore: !linuxWithSs,
  async fn() {
    await using temp = await tempDir({ prefix: "conntrail-hostile-" });
    const dir = temp.path;
    const fifo = join(dir, "list.fifo");
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    const monitor = ["monitor", "--scroll", "--count", "1", "--store", "none", "--no-reputation"];
    for (
      const args of [
        [...monitor, "--blocklist", fifo],
        [...monitor, "--filter-file", fifo],
        [...monitor, "--expect", fifo],
        ["check", "8.8.8.8", "--no-resolve-names", "--no-reputation", "--blocklist", fifo],
        [
          "check",
          "8.8.8.8",
          "--no-resolve-names",
          "--no-reputation",
          "--blocklist",
          "/dev/zero",
        ],
      ]
    ) {
      const run = await conntrail(dir, args);
      deepStrictEqual(run.code, 1, `${args.join(" ")}: ${run.stderr}`);
      match(
        oneLine(run.stderr),
        /^error: cannot read "(.*list\.fifo|\/dev\/zero)": it is a (FIFO \(named pipe\)|character device), not a regular file$/,
      );
    }
  },
});

Deno.test({
  name: "a 200 MB --blocklist ends the monitor with one sentence naming the limit; 150,000 filter CIDRs work",
  ignore: !linuxWithSs,
  async fn() {
    await using temp = await tempDir({ prefix: "conntrail-hostile-" });
    const dir = temp.path;
    const huge = join(dir, "huge.txt");
    {
      using file = await Deno.open(huge, { write: true, create: true });
      await file.truncate(200 * 1024 * 1024);
    }
    const flags = await permissionFlags(dir, ["monitor", "--blocklist", huge]);
    ok(flags.some((flag) => flag.includes("--max-old-space-size=256")), flags.join(" "));
    const refused = await conntrail(dir, [
      "monitor",
      "--scroll",
      "--count",
      "1",
      "--store",
      "none",
      "--blocklist",
      huge,
    ]);
    deepStrictEqual(refused.code, 1);
    match(
      oneLine(refused.stderr),
      /^error: cannot read ".*huge\.txt": it is larger than the 64 MiB a list file may be$/,
    );

    const cidrs = join(dir, "hide.txt");
    const lines: string[] = [];
    for (let i = 0; i < 150_000; i++) lines.push(`${11 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`);
    await Deno.writeTextFile(cidrs, lines.join("\n") + "\n");
    const run = await conntrail(dir, [
      "monitor",
      "--scroll",
      "--count",
      "1",
      "--store",
      "none",
      "--filter-file",
      cidrs,
    ]);
    deepStrictEqual(run.code, 0, run.stderr);
    ok(!run.stderr.includes("Maximum call stack"), run.stderr);
    match(run.stdout, /conntrail: 1 polls/);
  },
});

Deno.test({
  name:
    "--geo-path skips a broken link and a .csv.gz that expands past 32 MiB with a note each, and uses the good file",
  ignore: !linuxWithSs,
  async fn() {
    await using temp = await tempDir({ prefix: "conntrail-geo-" });
    const dir = temp.path;
    await Deno.writeTextFile(join(dir, "dbip-country-lite.csv"), "8.8.8.0,8.8.8.255,DE\n");
    await Deno.symlink(join(dir, "gone.csv"), join(dir, "broken.csv"));
    // 40 MiB of rows in a few hundred kilobytes.
    const row = new TextEncoder().encode("1.0.0.0,1.0.0.255,US\n".repeat(50_000));
    const gzip = new CompressionStream("gzip");
    const writer = gzip.writable.getWriter();
    const compressed = new Response(gzip.readable).arrayBuffer();
    for (let written = 0; written < 40 * 1024 * 1024; written += row.length) await writer.write(row);
    await writer.close();
    await Deno.writeFile(join(dir, "bomb.csv.gz"), new Uint8Array(await compressed));
    const run = await conntrail(dir, [
      "monitor",
      "--scroll",
      "--count",
      "1",
      "--store",
      "none",
      "--geo-path",
      dir,
    ]);
    deepStrictEqual(run.code, 0, run.stderr);
    match(
      run.stderr,
      /note: ".*bomb\.csv\.gz" is not used: it expands to more than the 32 MiB a CSV database may be/,
    );
    match(run.stderr, /note: ".*broken\.csv" is not used: it is a link to a file that does not exist/);
    match(run.stderr, /GeoIP: .*dbip-country-lite\.csv \(country\)/);
  },
});

Deno.test("a database with PRAGMA user_version=-5, --port '' and ' ', and history --limit 99999999999999999999 are one sentence each", async () => {
  await using temp = await tempDir({ prefix: "conntrail-hostile-" });
  const dir = temp.path;
  const path = join(dir, "history.db");
  const db = new DatabaseSync(path);
  db.exec("CREATE TABLE addresses (ip TEXT); PRAGMA user_version = -5");
  db.close();
  const before = await Deno.readFile(path);
  const run = await conntrail(dir, ["history", "--db", path]);
  deepStrictEqual(run.code, 1);
  match(
    oneLine(run.stderr),
    /^error: ".*history\.db" has schema version -5, which no conntrail writes; it is not conntrail's history \(or it was damaged\), so it was left as it is$/,
  );
  deepStrictEqual(await Deno.readFile(path), before);
  const prune = await conntrail(dir, ["history", "prune", "--older-than", "1d", "--db", path]);
  deepStrictEqual(prune.code, 1);
  match(oneLine(prune.stderr), /schema version -5/);
  for (const port of ["", " "]) {
    const serve = await conntrail(dir, ["serve", "--port", port], true);
    deepStrictEqual(serve.code, 2);
    deepStrictEqual(oneLine(serve.stderr), `error: "${port}" is not a port number (0 to 65535)`);
  }
  const limit = await conntrail(dir, ["history", "--limit", "99999999999999999999", "--db", path], true);
  deepStrictEqual(limit.code, 2);
  deepStrictEqual(
    oneLine(limit.stderr),
    'error: "99999999999999999999" is not a positive integer (at most 9007199254740991)',
  );
});
