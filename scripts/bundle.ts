/**
 * `deno task bundle`: main.ts and everything it imports, the npm packages included, as one JavaScript
 * file, `dist/js/conntrail.js`, with its source map beside it (`deno bundle`, esbuild, minified with the
 * functions' names kept). `deno task start`, `deno task compile` and the install the README shows run
 * this file, not main.ts.
 *
 * Why: Deno keeps what it loads. Under `deno run main.ts` it holds the text of all ~250 modules of the
 * graph (every command's: each literal `import()` is loaded at start), their TypeScript emit and the
 * emit's inline source maps, in malloc and in V8's heap; the monitor with no socket at all peaked at
 * 62-66 MiB. From this one file it holds ~0.55 MB of JavaScript and no source map: ~7 MiB less
 * (bundle21's note). A stack trace names the functions and the bundle's line and column;
 * `conntrail.js.map` beside it (not linked: Deno would load it at start) maps them to the TypeScript.
 *
 * The file must stay ASCII: V8 keeps a script with any other character as two bytes a character (and a
 * compiled binary can hand V8 an ASCII file without copying it). esbuild escapes strings itself; a
 * regular expression or a template literal with such a character fails the build here, naming it.
 *
 * `data/geo.bin` stays a file of its own (imported as bytes; inlined it would be 14 MB of base64): the
 * bundle imports it by the path lib/enrich/embedded_geo.ts gives, which is why the bundle sits two
 * directories deep, as that module does. The build checks that every import left in the bundle is a
 * Node built-in or a file that exists.
 *
 *   deno task bundle
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the bundle is written, from the repository's root. */
export const BUNDLE_PATH = "dist/js/conntrail.js";

/** The arguments of `deno bundle` for main.ts in `root`, written to `output`. */
export function bundleArgs(output: string): string[] {
  return [
    "bundle",
    "--quiet",
    "--platform",
    "deno",
    "--minify",
    "--keep-names",
    // Not linked: Deno loads a linked map at start once any node: module is imported (all of them:
    // +5.5 MiB at the monitor's peak, 64.3 vs 58.8 MiB; bundle21's note). Stack traces keep the
    // functions' names (--keep-names) and give the bundle's positions; the map beside it turns those into
    // TypeScript lines for whoever reads a trace, and `deno run main.ts` prints them directly.
    "--sourcemap=external",
    // Imported as bytes by lib/enrich/embedded_geo.ts: it stays a file (the binary embeds it with --include).
    "--external",
    "*.bin",
    "--output",
    output,
    "main.ts",
  ];
}

/** A character outside ASCII in `text`, with its line and column (1-based), or null. */
export function firstNonAscii(text: string): { line: number; column: number; char: string } | null {
  // deno-lint-ignore no-control-regex
  const found = /[^\x00-\x7f]/.exec(text);
  if (found === null) return null;
  const before = text.slice(0, found.index);
  const line = before.split("\n").length;
  return { line, column: found.index - before.lastIndexOf("\n"), char: found[0] };
}

/** One import of a module, as `deno info --json` gives it: where it resolved, or why it did not. */
export interface BundleImport {
  /** As written in the bundle. */
  written: string;
  /** The resolved specifier (`node:sqlite`, `file:///.../data/geo.bin`), when it resolved. */
  resolved?: string;
  error?: string;
}

/**
 * The imports of a bundle (`deno info`, which reads the graph as Deno loads it at start): a good bundle
 * imports Node built-ins and data/geo.bin only.
 */
export async function bundleImports(path: string): Promise<BundleImport[]> {
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: ["info", "--json", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`deno info ${path} failed: ${new TextDecoder().decode(stderr).trim()}`);
  const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { specifier: string; code?: { specifier?: string; error?: string } }[];
    }[];
  };
  const root = graph.modules.find((module) => module.specifier === graph.roots[0]);
  return (root?.dependencies ?? []).map((dependency) => ({
    written: dependency.specifier,
    ...(dependency.code?.specifier === undefined ? {} : { resolved: dependency.code.specifier }),
    ...(dependency.code?.error === undefined ? {} : { error: dependency.code.error }),
  }));
}

/**
 * Check a built bundle: ASCII only, and every import a Node built-in or a file that exists.
 * Returns the problems (none: it is good).
 */
export async function checkBundle(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path);
  const problems: string[] = [];
  const other = firstNonAscii(text);
  if (other !== null) {
    const code = other.char.codePointAt(0)!.toString(16).padStart(4, "0");
    problems.push(
      `${path}:${other.line}:${other.column} holds U+${code} (${other.char}): write it as \\u${code} in ` +
        "the source (a regular expression or template literal; esbuild escapes strings itself)",
    );
  }
  for (const { written, resolved, error } of await bundleImports(path)) {
    if (resolved?.startsWith("node:")) continue;
    if (resolved === undefined || !resolved.startsWith("file:")) {
      problems.push(
        `${path} imports "${written}", which is neither node: nor a file of the repository` +
          (error === undefined ? "" : ` (${error})`),
      );
      continue;
    }
    const file = fileURLToPath(resolved);
    try {
      await Deno.stat(file);
    } catch {
      problems.push(`${path} imports "${written}", and ${file} does not exist`);
    }
  }
  return problems;
}

/**
 * Build the bundle of the repository at `root` into `root/output` (a file two directories deep, such as
 * BUNDLE_PATH: tests build their own beside it); returns its path, or throws with what went wrong.
 */
export async function buildBundle(root: string, output = BUNDLE_PATH): Promise<string> {
  if (output.split(/[\\/]/).length !== 3) {
    throw new Error(
      `the bundle must be two directories deep, as lib/enrich/embedded_geo.ts is, not ${output}`,
    );
  }
  await Deno.mkdir(join(root, dirname(output)), { recursive: true });
  // "deno" from PATH, as scripts/compile.ts runs it: the task grants --allow-run=deno.
  const { code, stderr } = await new Deno.Command("deno", {
    args: bundleArgs(output),
    cwd: root,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const errors = new TextDecoder().decode(stderr).trim();
  if (code !== 0) throw new Error(`deno bundle failed (exit ${code}): ${errors}`);
  const built = join(root, output);
  const problems = await checkBundle(built);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return built;
}

if (import.meta.main) {
  try {
    const output = await buildBundle(fileURLToPath(new URL("..", import.meta.url)));
    console.error(`bundled main.ts into ${output}`);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
