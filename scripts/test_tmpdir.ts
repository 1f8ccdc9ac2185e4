/**
 * `deno task test`: run a command (the tests) with a fresh, empty temporary folder as `TMPDIR` (`TMP` and
 * `TEMP` too, which Windows reads), and fail when the folder is not empty once the command has ended,
 * naming what was left; the folder is removed either way. Tests clean up what they make
 * (tests/temp_dir.ts), and so must the programs they start: a leak shows here, not as hundreds of folders
 * in /tmp months later.
 *
 *   deno run --allow-run=deno --allow-read --allow-write scripts/test_tmpdir.ts deno test --allow-all …
 *
 * The command's output is its own (inherited: colours, and the `ok | N passed | N failed` line .ci/run
 * reads); its exit code is this script's, or 1 when it passed and left something behind. Ctrl+C reaches
 * the command (the terminal sends it to both): this script waits for it to end and still cleans up.
 *
 * @module
 */

/** At most this many paths are named for each thing left behind. */
const NAMED = 5;

/** Up to `limit` paths under `dir`, relative to it, files before the folders they are in. */
async function somePaths(dir: string, limit: number, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (found.length >= limit) break;
      const path = `${prefix}${entry.name}`;
      if (entry.isDirectory) {
        found.push(...await somePaths(`${dir}/${entry.name}`, limit - found.length, `${path}/`));
      } else {
        found.push(path);
      }
    }
  } catch {
    // Unreadable: the entry itself is still named.
  }
  return found;
}

/** One line for each entry of `folder`: its name and, for a folder, some of what it holds. */
export async function leftovers(folder: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (!entry.isDirectory) {
      lines.push(entry.name);
      continue;
    }
    const inside = await somePaths(`${folder}/${entry.name}`, NAMED + 1);
    const shown = inside.slice(0, NAMED).join(", ") + (inside.length > NAMED ? ", …" : "");
    lines.push(`${entry.name}/ (${inside.length === 0 ? "empty" : shown})`);
  }
  return lines.sort();
}

/** Run `command` with a fresh temporary folder and return the exit code this script ends with. */
export async function runWithOwnTmpdir(command: string[]): Promise<number> {
  const [program, ...args] = command;
  if (program === undefined) {
    console.error("error: no command to run; usage: scripts/test_tmpdir.ts COMMAND [ARGS…]");
    return 2;
  }
  const folder = await Deno.makeTempDir({ prefix: "conntrail-tests-" });
  const ignore = () => {};
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  let child: Deno.ChildProcess | null = null;
  const forward = (signal: Deno.Signal) => () => {
    try {
      child?.kill(signal);
    } catch { /* already ended */ }
  };
  // SIGINT from a terminal reaches the command too: only wait for it. SIGTERM is sent to this process alone.
  const handlers = signals.map((signal) => [signal, signal === "SIGINT" ? ignore : forward(signal)] as const);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  let code = 1;
  try {
    child = new Deno.Command(program, {
      args,
      env: { TMPDIR: folder, TMP: folder, TEMP: folder },
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    code = (await child.status).code;
    const left = await leftovers(folder);
    if (left.length > 0) {
      console.error(
        `error: the tests left ${left.length} ${
          left.length === 1 ? "entry" : "entries"
        } in TMPDIR (${folder}), ` +
          `removed now; remove what a test makes (tests/temp_dir.ts):\n${
            left.map((l) => `  ${l}`).join("\n")
          }`,
      );
      if (code === 0) code = 1;
    }
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    try {
      await Deno.remove(folder, { recursive: true });
    } catch (error) {
      console.error(`error: cannot remove the tests' TMPDIR "${folder}": ${(error as Error).message}`);
      if (code === 0) code = 1;
    }
  }
  return code;
}

if (import.meta.main) Deno.exit(await runWithOwnTmpdir(Deno.args));
