/**
 * Campaign class "history databases": real SQLite files made hostile — any
 * `PRAGMA user_version` (negative, far ahead), tables dropped, renamed or
 * added, columns holding text where numbers belong, huge numbers and blobs,
 * escapes in every text column, files cut short or of random bytes — read by
 * `conntrail history`, `history IP` and `diff`. Each either prints (nothing
 * raw reaches the terminal) or ends with one sentence and leaves the file
 * byte for byte as it was.
 */
import { ok } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { runDiff } from "../../lib/cli/diff_command.ts";
import { runHistory } from "../../lib/cli/history_command.ts";
import { parseArgs } from "../../lib/cli/parse_args.ts";
import { MIGRATIONS } from "../../lib/store/_sqlite_schema.ts";
import { UnusableFileError } from "../../lib/model/errors.ts";
import { CLEAN_IP, RAW_CONTROL, writeHostileSqlite } from "../_hostile_history.ts";
import { campaign, CONTROLS, type Fuzz } from "./_fuzz.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const TABLES = ["addresses", "address_lists", "address_processes", "connections", "alerts", "snapshots"];

function damage(fuzz: Fuzz, db: DatabaseSync): void {
  const statements = [
    () => `DROP TABLE ${fuzz.pick(TABLES)}`,
    () => `ALTER TABLE ${fuzz.pick(TABLES)} RENAME TO junk_${fuzz.int(9)}`,
    () => `ALTER TABLE connections RENAME COLUMN ${fuzz.pick(["status", "remote_ip", "opened_at"])} TO x`,
    () => "CREATE TABLE IF NOT EXISTS extra (a, b)",
    () => `UPDATE addresses SET first_seen = '${fuzz.pick(["abc", "1e999", "-1", "9223372036854775807"])}'`,
    () =>
      `UPDATE connections SET local_port = ${
        fuzz.pick(["-1", "70000", "'x'", "9223372036854775807", "x'00ff'"])
      }`,
    () => `UPDATE addresses SET risk_level = x'1b5b324a', abuse_score = 'high'`,
    () => `UPDATE alerts SET at = ${fuzz.pick(["NULL", "'soon'", "1e300"])}`,
    () => `INSERT INTO snapshots (taken_at, connection_count) VALUES (${fuzz.number() || 0}, -5)`,
    () =>
      `INSERT INTO snapshot_connections (snapshot_id, timestamp, protocol, local_ip, local_port, status, family, direction) VALUES (1, 'x', '${
        fuzz.pick(CONTROLS)
      }', 'y', -1, 'z', 9, 'w')`,
  ];
  for (let i = 0; i < fuzz.int(4); i++) {
    try {
      db.exec(fuzz.pick(statements)());
    } catch {
      // Some damage does not apply to this file: the next one may.
    }
  }
  const version = fuzz.pick([-5, -1, 0, 1, 2, 3, 99, 2147483647, -2147483648]);
  db.exec(`PRAGMA user_version = ${version}`);
}

async function makeDatabase(fuzz: Fuzz, path: string): Promise<void> {
  const shape = fuzz.int(6);
  if (shape === 0) {
    await Deno.writeFile(path, Uint8Array.from({ length: fuzz.int(8192) }, () => fuzz.int(256)));
    return;
  }
  if (shape === 1) {
    await Deno.writeFile(path, new Uint8Array());
    return;
  }
  if (shape === 2) {
    const db = new DatabaseSync(path);
    db.exec(MIGRATIONS[0] ?? "");
    db.exec("PRAGMA user_version = 1");
    damage(fuzz, db);
    db.close();
    return;
  }
  writeHostileSqlite(path, Array.from({ length: 1 + fuzz.int(4) }, () => fuzz.text(10)));
  if (shape >= 4) {
    const db = new DatabaseSync(path);
    damage(fuzz, db);
    db.close();
  }
  if (fuzz.chance(0.15)) {
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, fuzz.int(bytes.length)));
  }
}

Deno.test("fuzz history databases: any damage or version prints safely or ends in one sentence, the file untouched", async () => {
  const dir = await Deno.makeTempDir({ prefix: "conntrail-fuzz-db-" });
  let refused = 0;
  let printed = 0;
  try {
    await campaign("history databases", 150, async (fuzz, index) => {
      const path = join(dir, `h${index}.db`);
      await makeDatabase(fuzz, path);
      const before = await Deno.readFile(path);
      const argv = fuzz.pick([
        ["history", "--db", path],
        ["history", CLEAN_IP, "--db", path],
        ["history", "--db", path, "--format", "csv"],
        ["history", "--db", path, "--since", "1d", "--risk", "SAFE"],
        ["diff", "--db", path],
        ["diff", "--list", "--db", path],
      ]);
      const command = parseArgs(argv);
      let out = "";
      let err = "";
      const io = {
        ...platform,
        stdout: (text: string) => Promise.resolve(void (out += text)),
        stderr: (text: string) => void (err += text),
        readEnv: () => ({ values: new Map<string, string>(), denied: [] }),
      };
      try {
        if (command.kind === "history") await runHistory(command.options, io);
        else if (command.kind === "diff") await runDiff(command.options, io);
        else throw new Error(`not parsed: ${JSON.stringify(command)}`);
        ok(
          !RAW_CONTROL.test(out.replaceAll("\n", "")),
          `raw control in ${JSON.stringify(out.slice(0, 300))}`,
        );
        printed++;
      } catch (error) {
        ok(error instanceof Error, String(error));
        ok(!error.message.includes("\n") && error.message.length < 500, `not one sentence: ${error.message}`);
        refused++;
        // A refused file is untouched: a damaged file is never "repaired" by being read. (Another
        // failure, such as a diff without two snapshots, may follow a genuine upgrade of an old file.)
        if (error instanceof UnusableFileError) {
          const after = await Deno.readFile(path);
          ok(
            after.length === before.length && after.every((b, i) => b === before[i]),
            `${path} changed: ${error.message}`,
          );
        }
      }
      ok(!RAW_CONTROL.test(err.replaceAll("\n", "")), `raw control in ${JSON.stringify(err)}`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  ok(refused > 20 && printed > 20, `${refused} refused, ${printed} printed`);
});
