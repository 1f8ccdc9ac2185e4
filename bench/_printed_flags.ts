/**
 * The flags a conntrail program prints for a command line (`permissions --flags ARGS`), asked as its
 * commands run: under the V8 flags the program prints for `permissions` itself, its code-generation flags
 * (lib/cli/permissions.ts's CODE_V8_FLAGS; none in a checkout from before them). Deno's code cache keeps one
 * entry a module, written under one V8 flag hash: asked under other code-generation flags, this run would
 * rewrite the entries of the program's modules, and the first measured run would compile them again.
 */

/** Where and how a program is asked. */
export interface AskOptions {
  /** Flags before the program: `--no-config` for the bundle, `--allow-env` for scoped data directories. */
  runFlags?: readonly string[];
  cwd?: string;
  env?: Record<string, string>;
}

async function ask(program: string, flags: readonly string[], args: readonly string[], options: AskOptions) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...(options.runFlags ?? []),
      ...flags,
      program,
      "permissions",
      "--flags",
      ...args,
    ],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    stderr: "inherit",
  }).output();
  return new TextDecoder().decode(output.stdout).trim().split(/\s+/).filter((flag) => flag !== "");
}

/** `program permissions --flags ARGS`, run under the V8 flags `program permissions --flags permissions` prints. */
export async function printedFlags(
  program: string,
  args: readonly string[],
  options: AskOptions = {},
): Promise<string[]> {
  const own = (await ask(program, [], ["permissions"], options)).filter((flag) =>
    flag.startsWith("--v8-flags=")
  );
  return await ask(program, own, args, options);
}
