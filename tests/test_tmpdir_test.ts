/**
 * scripts/test_tmpdir.ts, as `deno task test` runs it (its flags are read from deno.json): the command gets
 * a fresh TMPDIR, and what it leaves there fails the run, by name; the folder goes either way.
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import denoJson from "../deno.json" with { type: "json" };
import { pathExists as exists } from "./temp_dir.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCRIPT = "scripts/test_tmpdir.ts";
const decoder = new TextDecoder();

/** `deno eval CODE` through the script, with the task's permissions; stdout is the TMPDIR it was given. */
async function guarded(code: string) {
  const [before] = denoJson.tasks.test.split(` ${SCRIPT} `);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...(before ?? "").split(" ").slice(1), SCRIPT, "deno", "eval", code],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  return { code: out.code, folder: decoder.decode(out.stdout).trim(), stderr: decoder.decode(out.stderr) };
}

const PRINT_TMPDIR = `console.log(Deno.env.get("TMPDIR"));`;

Deno.test("deno task test runs deno test --doc --parallel through scripts/test_tmpdir.ts", () => {
  match(
    denoJson.tasks.test,
    /^deno run [^]* scripts\/test_tmpdir\.ts deno test --allow-all --doc --parallel$/,
  );
});

Deno.test("test_tmpdir: a command that leaves a folder and a file fails, naming them, and the folder goes", async () => {
  const run = await guarded(
    `const dir = Deno.makeTempDirSync(); Deno.writeTextFileSync(dir + "/history.db", "");
     Deno.makeTempFileSync({ prefix: "stray-" }); ${PRINT_TMPDIR}`,
  );
  deepStrictEqual(run.code, 1, run.stderr);
  match(run.stderr, /^error: the tests left 2 entries in TMPDIR \(.*conntrail-tests-\w+\), removed now/);
  match(run.stderr, /\n {2}\w+\/ \(history\.db\)\n/);
  match(run.stderr, /\n {2}stray-\w+\n$/);
  ok(run.folder.includes("conntrail-tests-"), run.folder);
  ok(run.folder !== Deno.env.get("TMPDIR"), "the command ran in the caller's TMPDIR");
  ok(!await exists(run.folder), `${run.folder} is still there`);
});

Deno.test("test_tmpdir: a command that cleans up keeps its exit code and its TMPDIR goes; one that fails and leaks keeps its own", async () => {
  const clean = await guarded(
    `Deno.removeSync(Deno.makeTempDirSync());
     if (Deno.env.get("TMP") !== Deno.env.get("TMPDIR") || Deno.env.get("TEMP") !== Deno.env.get("TMPDIR")) {
       Deno.exit(9);
     }
     ${PRINT_TMPDIR} Deno.exit(3);`,
  );
  deepStrictEqual([clean.code, clean.stderr], [3, ""]);
  ok(clean.folder.includes("conntrail-tests-"), clean.folder);
  ok(!await exists(clean.folder), `${clean.folder} is still there`);

  const failed = await guarded(`Deno.makeTempDirSync({ prefix: "left-" }); ${PRINT_TMPDIR} Deno.exit(5);`);
  deepStrictEqual(failed.code, 5, failed.stderr);
  match(failed.stderr, /left 1 entry in TMPDIR .*\n {2}left-\w+\/ \(empty\)\n$/);
  ok(!await exists(failed.folder), `${failed.folder} is still there`);
});
