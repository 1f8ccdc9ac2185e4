/**
 * scripts/bundle.ts: the one JavaScript file `deno task start`, the install and `deno task compile` run.
 * It is built here from the sources as they are (so it cannot fall behind them), in a directory of this
 * test's own, and must answer as main.ts does; the monitor itself runs from it in smoke_binary_test
 * (`--from-source`) and below through `deno task start`.
 */
import { deepStrictEqual, match, ok, rejects } from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle, BUNDLE_PATH, bundleArgs, checkBundle, firstNonAscii } from "../scripts/bundle.ts";
import { hasTool } from "./open_sockets.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const decoder = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `deno run FLAGS ENTRY ARGS` from the repository's root, as a user runs it. */
async function run(entry: string, flags: string[], args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...flags, entry, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) } as Run;
}

/** A bundle of the sources as they are, in `dist/<name>/`, removed after `use`. */
async function withBundle(name: string, use: (bundle: string) => Promise<void>): Promise<void> {
  const bundle = await buildBundle(ROOT, `dist/${name}-${Deno.pid}/conntrail.js`);
  try {
    await use(bundle);
  } finally {
    await Deno.remove(dirname(bundle), { recursive: true });
  }
}

Deno.test("bundle: one ASCII file with its source map, importing only Node built-ins and data/geo.bin", async () => {
  await withBundle("test-shape", async (bundle) => {
    deepStrictEqual(await checkBundle(bundle), []);
    const text = await Deno.readTextFile(bundle);
    deepStrictEqual(firstNonAscii(text), null);
    // The map is beside it, not linked: Deno would load a linked one at start (any node: import does it).
    ok(!text.includes("sourceMappingURL"), text.slice(-200));
    const map = JSON.parse(await Deno.readTextFile(`${bundle}.map`)) as { sources: string[] };
    ok(map.sources.some((source) => source.endsWith("lib/cli/monitor_command.ts")), map.sources.join(" "));
    ok(map.sources.includes("../../main.ts"), map.sources.join(" "));
    // Minified: a tenth of the bundle's size would be the comments and indentation of the sources alone.
    ok(text.length < 0.6 * (await sourceBytes()), `${text.length} bytes`);
    // The bundle hoists every static import of a built-in to its top, so each command would load it at start:
    // node:buffer (4.5 MiB of peak RSS) is imported only with an mmdb file (lib/enrich/geo_mmdb.ts).
    ok(!/from\s*"node:buffer"/.test(text), "node:buffer is imported at start");
  });
});

/** The bytes of the TypeScript the bundle is made of (the repository's own modules). */
async function sourceBytes(): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json", "main.ts"], cwd: ROOT })
    .output();
  const graph = JSON.parse(decoder.decode(out.stdout)) as {
    modules: { specifier: string; size?: number; mediaType?: string }[];
  };
  return graph.modules.filter((m) => m.mediaType === "TypeScript").reduce((sum, m) => sum + (m.size ?? 0), 0);
}

Deno.test("bundle: answers as main.ts does (version, help, permissions, a parsed capture, the embedded GeoIP data)", async () => {
  await withBundle("test-same", async (bundle) => {
    const capture = `${FIXTURES}ss-tunapeH_iproute2-6.1_debian12.txt`;
    const cases: [string[], string[], Record<string, string>][] = [
      [[], ["--version"], {}],
      [[], ["--help"], {}],
      [["--allow-env=XDG_DATA_HOME,HOME"], ["permissions", "--flags", "monitor"], { XDG_DATA_HOME: "/x" }],
      [[], ["permissions", "snapshot", "--format", "ecs"], {}],
      [[`--allow-read=${capture}`], ["snapshot", "--input", capture, "--format", "json"], {}],
      [[`--allow-read=${capture}`], ["snapshot", "--input", capture, "-w", "120"], {}],
      [[], [
        "check",
        "8.8.8.8",
        "2001:4860:4860::8888",
        "--lookup-country",
        "--lookup-asn",
        "--no-resolve-names",
      ], {}],
      [[], ["filter", "--help"], {}],
      [[], ["monitor", "-t", "0"], {}],
    ];
    // A snapshot is stamped with the time it is taken.
    const unstamped = (r: Run): Run => ({
      ...r,
      stdout: r.stdout.replaceAll(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-]\d\d:\d\d/g, "<time>"),
    });
    for (const [flags, args, env] of cases) {
      const fromSource = unstamped(await run("main.ts", flags, args, env));
      const fromBundle = unstamped(await run(bundle, flags, args, env));
      deepStrictEqual(fromBundle, fromSource, args.join(" "));
    }
    // The GeoIP answer is there (so the bytes import of data/geo.bin reached the bundle), also without
    // deno.json, as `deno task start` and the install run it.
    const geo = await run(bundle, ["--no-config", "--unstable-raw-imports"], [
      "check",
      "8.8.8.8",
      "--lookup-asn",
      "--no-resolve-names",
    ]);
    match(geo.stdout, /AS15169/);
  });
});

Deno.test("bundle: a --debug stack trace names the functions as main.ts's does, at the bundle's lines", async () => {
  await withBundle("test-trace", async (bundle) => {
    const missing = `${ROOT}no-such-capture.txt`;
    const args = ["snapshot", "--input", missing, "--debug"];
    // The error's own frames (its cause's, inside Deno's readTextFile, vary from run to run: an async frame
    // or not).
    const frames = (stderr: string) =>
      (stderr.split("Caused by:")[0] ?? "").split("\n").filter((line) => line.startsWith("    at "))
        .map((line) => line.replace(/ \(.*|file:.*/, ""));
    const fromBundle = await run(bundle, [`--allow-read=${missing}`], args);
    const fromSource = await run("main.ts", [`--allow-read=${missing}`], args);
    deepStrictEqual(fromBundle.code, 1);
    match(fromBundle.stderr, /at async runSnapshot \(file:\/\/\/.*\/conntrail\.js:\d+:\d+\)/);
    deepStrictEqual(frames(fromBundle.stderr), frames(fromSource.stderr));
    ok(frames(fromBundle.stderr).includes("    at async runCommand"), fromBundle.stderr);
  });
});

Deno.test("bundle: the check names a character outside ASCII, a missing import and a foreign one", async () => {
  deepStrictEqual(firstNonAscii("a\nbc→d"), { line: 2, column: 3, char: "→" });
  deepStrictEqual(firstNonAscii("plain\n"), null);
  const dir = await Deno.makeTempDir({ prefix: "bundle_test_" });
  try {
    await Deno.writeTextFile(`${dir}/geo.bin`, "x");
    const good = `${dir}/good.js`;
    await Deno.writeTextFile(
      good,
      'import { createServer } from "node:http";\nexport const f = () => import("./geo.bin", { with: { type: "bytes" } });\n' +
        "export { createServer };\n",
    );
    deepStrictEqual(await checkBundle(good), []);
    const bad = `${dir}/bad.js`;
    await Deno.writeTextFile(
      bad,
      'export const label = /[←→]/u;\nexport const f = () => import("./gone.bin", { with: { type: "bytes" } });\n',
    );
    const problems = await checkBundle(bad);
    deepStrictEqual(problems.length, 2, problems.join("\n"));
    match(problems[0]!, /bad\.js:1:24 holds U\+2190 \(←\): write it as \\u2190/);
    match(problems[1]!, /imports "\.\/gone\.bin", and .*gone\.bin does not exist/);
    // A bare name the bundler left unresolved (an npm package marked external, say).
    const foreign = `${dir}/foreign.js`;
    await Deno.writeTextFile(foreign, 'export const f = () => import("left-pad");\n');
    match((await checkBundle(foreign)).join("\n"), /imports "left-pad", which is neither node: nor a file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await rejects(buildBundle(ROOT, "dist/conntrail.js"), /two directories/);
  ok(bundleArgs(BUNDLE_PATH).includes("--minify") && bundleArgs(BUNDLE_PATH).includes("--keep-names"));
});

Deno.test({
  name: "deno task start builds the bundle and runs the monitor from it under the printed flags",
  ignore: !(Deno.build.os === "linux" && hasTool("ss")),
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "bundle_start_" });
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["task", "start", "--scroll", "-t", "0.2", "--count", "2"],
        cwd: ROOT,
        env: { NO_COLOR: "1", XDG_DATA_HOME: data },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = decoder.decode(out.stdout);
      const stderr = decoder.decode(out.stderr);
      deepStrictEqual(out.code, 0, stderr);
      match(stdout, /^conntrail: 2 polls over /m);
      // The monitor ran from the bundle it built, with history in the data directory its flags were printed for.
      ok(stderr.includes(`bundled main.ts into ${ROOT}${BUNDLE_PATH}`), stderr);
      ok(stderr.includes(`--flags monitor) ${BUNDLE_PATH} '--scroll'`), stderr);
      ok(stdout.includes(`history: sqlite ${data}/conntrail/history.db`), stdout);
    } finally {
      await Deno.remove(data, { recursive: true });
    }
  },
});
