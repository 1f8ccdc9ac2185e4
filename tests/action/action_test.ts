/**
 * The GitHub Action's scripts, run by the real `node` as the runner would,
 * with the runner's variables simulated (RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP,
 * and a GITHUB_STEP_SUMMARY and GITHUB_OUTPUT file per step). A local
 * directory (or a loopback HTTP server) stands in for the release: it holds a
 * "binary" that runs main.ts under exactly the permission flags `deno task
 * compile` embeds for Linux, and its SHA256SUMS.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { compileFlags } from "../../lib/cli/permissions.ts";
import { hasTool } from "../open_sockets.ts";
import { connectionHolder, peersInNamespace } from "../namespace_peers.ts";
import { waitFor } from "../waiting.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const script = (name: string) => join(ROOT, "action", name);
const decoder = new TextDecoder();
const hasNode = hasTool("node");
const canAudit = Deno.build.os === "linux" && Deno.uid() === 0 && hasNode && hasTool("ss") &&
  hasTool("python3") && hasTool("ip");
const TARGET = "conntrail-x86_64-unknown-linux-gnu";

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A release directory: the stand-in binary and SHA256SUMS (with the right digest unless told otherwise). */
async function release(dir: string, sums?: (digest: string) => string): Promise<string> {
  const releaseDir = join(dir, "release");
  await Deno.mkdir(releaseDir);
  const binary = [
    "#!/bin/sh",
    "# Stands in for the compiled binary: main.ts under the flags deno compile embeds for Linux.",
    `exec '${Deno.execPath()}' run --quiet --no-prompt --config '${join(ROOT, "deno.json")}' ` +
    `${compileFlags("linux").join(" ")} '${join(ROOT, "main.ts")}' "$@"`,
    "",
  ].join("\n");
  await Deno.writeTextFile(join(releaseDir, TARGET), binary);
  const digest = await sha256(binary);
  await Deno.writeTextFile(
    join(releaseDir, "SHA256SUMS"),
    sums?.(digest) ?? `${"0".repeat(64)}  conntrail-aarch64-apple-darwin\n${digest}  ${TARGET}\n`,
  );
  return releaseDir;
}

interface Runner {
  dir: string;
  temp: string;
  /** Run one of the action's steps with its own summary and output files. */
  step(
    name: "pre" | "main" | "post",
    inputs?: Record<string, string>,
  ): Promise<{ code: number; stdout: string; summary: string; outputs: string }>;
}

async function runner(dir: string, base: string, env: Record<string, string> = {}): Promise<Runner> {
  const temp = join(dir, "runner_temp");
  await Deno.mkdir(temp);
  let inputsOfJob: Record<string, string> = {};
  return {
    dir,
    temp,
    async step(name, inputs) {
      if (inputs !== undefined) inputsOfJob = inputs;
      const summary = join(dir, `summary_${name}.md`);
      const outputs = join(dir, `output_${name}`);
      await Deno.writeTextFile(summary, "");
      await Deno.writeTextFile(outputs, "");
      const out = await new Deno.Command("node", {
        args: [script(`${name}.mjs`)],
        cwd: dir,
        env: {
          GITHUB_ACTIONS: "true",
          RUNNER_OS: "Linux",
          RUNNER_ARCH: "X64",
          RUNNER_TEMP: temp,
          GITHUB_WORKSPACE: dir,
          GITHUB_STEP_SUMMARY: summary,
          GITHUB_OUTPUT: outputs,
          "INPUT_RELEASE-URL": base,
          ...Object.fromEntries(Object.entries(inputsOfJob).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
          ...env,
        },
        stdout: "piped",
        stderr: "inherit",
      }).output();
      return {
        code: out.code,
        stdout: decoder.decode(out.stdout),
        summary: await Deno.readTextFile(summary),
        outputs: await Deno.readTextFile(outputs),
      };
    },
  };
}

/**
 * Wait until the events file mentions an address. The monitor watches the whole machine: with other tests'
 * sockets its first poll can take tens of seconds on a loaded machine, so only the hang guard bounds this.
 */
async function eventAbout(temp: string, address: string): Promise<void> {
  const events = join(temp, "conntrail", "events.ndjson");
  await waitFor(
    async () => (await Deno.readTextFile(events).catch(() => "")).includes(`"remote_ip":"${address}"`),
    `an event about ${address} in ${events}`,
  );
}

/** Wait until a process has ended (a zombie waiting for its reaper has ended too). */
async function processEnds(pid: number, what: string): Promise<void> {
  await waitFor(async () => {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => null);
    return stat === null || /^\d+ \(.*\) Z /.test(stat);
  }, `${what} (pid ${pid}) to end`);
}

async function withDir(work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "conntrail_action_" });
  try {
    await work(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "action pre, main and post: the checked binary watches the job; a namespace connection opened " +
    "during it is in the post step's summary with python3; outputs name the files",
  ignore: !canAudit,
  async fn() {
    await withDir(async (dir) => {
      await using peers = await peersInNamespace();
      await using holder = connectionHolder();
      const job = await runner(dir, `file://${await release(dir)}/`);
      const pre = await job.step("pre", {});
      deepStrictEqual(pre.code, 0, pre.stdout);
      match(pre.stdout, new RegExp(`${TARGET} from file://.*, SHA-256 [0-9a-f]{64} matches SHA256SUMS`));
      match(pre.stdout, /conntrail is watching this job: .*--stop-file/);
      deepStrictEqual(pre.summary, "", "conntrail wrote to the pre step's summary");

      const [first] = peers.addresses;
      await holder.connect(first, peers.port);
      await eventAbout(job.temp, first);

      const main = await job.step("main");
      deepStrictEqual(main.code, 0, main.stdout);
      const work = join(job.temp, "conntrail");
      deepStrictEqual(
        main.outputs,
        `ndjson=${work}/events.ndjson\nreport=${work}/report.md\nexpect-file=${work}/expect-learned.txt\n`,
      );

      const post = await job.step("post");
      deepStrictEqual(post.code, 0, post.stdout);
      match(post.stdout, /^::group::conntrail log\n(.*\n)*conntrail: \d+ polls .*\n(.*\n)*::endgroup::$/m);
      const row = post.summary.split("\n").find((l) => l.startsWith(`| \`${first}\` |`));
      ok(row !== undefined, post.summary);
      match(row, new RegExp(`\\| ${peers.port}/tcp \\| \`python3\` \\| `));
      match(post.summary, new RegExp(`<details>(.*\n)+${first.replaceAll(".", "\\.")}  # python3 `));
      match(post.outputs, /^ndjson=.*events\.ndjson$/m);
      const state = JSON.parse(await Deno.readTextFile(join(work, "state.json")));
      await processEnds(state.supervisor, "the supervisor");
      await processEnds(Number(await Deno.readTextFile(join(work, "conntrail.pid"))), "conntrail");
    });
  },
});

Deno.test({
  name: "action with an inline expect list and fail-on unexpected: post fails the job and annotates " +
    "the new address, not the expected one",
  ignore: !canAudit,
  async fn() {
    await withDir(async (dir) => {
      await using peers = await peersInNamespace();
      await using holder = connectionHolder();
      const [first, second] = peers.addresses;
      await holder.connect(first, peers.port);
      const job = await runner(dir, `file://${await release(dir)}/`);
      const pre = await job.step("pre", {
        expect: `# allowed\n${first}  # python3\n`,
        "fail-on": "unexpected",
      });
      deepStrictEqual(pre.code, 0, pre.stdout);
      await holder.connect(second, peers.port);
      await eventAbout(job.temp, second);
      const post = await job.step("post");
      deepStrictEqual(post.code, 1, post.stdout);
      match(
        post.stdout,
        new RegExp(
          `^::warning title=conntrail%3A UNEXPECTED::python3 \\(pid \\d+\\) connected to ${
            second.replaceAll(".", "\\.")
          } port ${peers.port}/tcp: UNEXPECTED destination`,
          "m",
        ),
      );
      ok(!new RegExp(`UNEXPECTED::.* ${first.replaceAll(".", "\\.")} port`).test(post.stdout), post.stdout);
      match(post.stdout, /^::error title=conntrail::--fail-on unexpected was met/m);
      match(
        post.summary,
        new RegExp(`\\| \\*\\*UNEXPECTED\\*\\* \\| \`python3\` \\(\\d+\\) \\| \`${second}\` \\|`),
      );
      match(post.summary, new RegExp(`\\| \`${first}\` \\| .* \\| expected \\| 1 \\|`));
    });
  },
});

Deno.test({
  name:
    "action pre refuses a binary whose SHA-256 does not match SHA256SUMS (served over HTTP) and starts nothing",
  ignore: !hasNode,
  async fn() {
    await withDir(async (dir) => {
      const releaseDir = await release(
        dir,
        (digest) => `${digest.replace(/^./, (c) => c === "a" ? "b" : "a")}  ${TARGET}\n`,
      );
      const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
        const name = new URL(request.url).pathname.split("/").pop() ?? "";
        const file = await Deno.readFile(join(releaseDir, name)).catch(() => null);
        return new Response(file, { status: file === null ? 404 : 200 });
      });
      try {
        const job = await runner(dir, `http://127.0.0.1:${server.addr.port}/v9.9.9/`);
        const pre = await job.step("pre", {});
        deepStrictEqual(pre.code, 1);
        match(
          pre.stdout,
          new RegExp(
            `^::error title=conntrail::the SHA-256 of ${TARGET} is [0-9a-f]{64}, but SHA256SUMS says [0-9a-f]{64}; refusing to run it$`,
            "m",
          ),
        );
        const work = join(job.temp, "conntrail");
        deepStrictEqual(
          [...Deno.readDirSync(work)].map((e) => e.name),
          [],
          "something was written or started",
        );
        const post = await job.step("post");
        deepStrictEqual(post.code, 0);
        match(post.stdout, /conntrail was not started/);
      } finally {
        await server.shutdown();
      }
    });
  },
});

Deno.test({
  name:
    "action pre says which runners have a binary, names a bad input or a list file not there yet, and refuses " +
    "a release without the file",
  ignore: !hasNode,
  async fn() {
    await withDir(async (dir) => {
      const base = `file://${await release(
        dir,
        () => `${"1".repeat(64)}  conntrail-aarch64-apple-darwin\n`,
      )}/`;
      const arm = await (await runner(dir, base, { RUNNER_OS: "Windows", RUNNER_ARCH: "ARM64" })).step(
        "pre",
        {},
      );
      deepStrictEqual(arm.code, 1);
      match(
        arm.stdout,
        /::error title=conntrail::no conntrail binary is built for Windows ARM64; runners: Linux/,
      );
      await Deno.remove(join(dir, "runner_temp"), { recursive: true });
      const typo = await (await runner(dir, base)).step("pre", { "fail-on": "unexpectd" });
      match(
        typo.stdout,
        /::error title=conntrail::fail-on: "unexpectd" is not one of blocklisted, suspicious/,
      );
      await Deno.remove(join(dir, "runner_temp"), { recursive: true });
      const notYet = await (await runner(dir, base)).step("pre", { expect: "ci/allowed.txt" });
      deepStrictEqual(notYet.code, 1);
      match(notYet.stdout, /::error title=conntrail::"ci\/allowed\.txt" does not exist when the job starts/);
      await Deno.remove(join(dir, "runner_temp"), { recursive: true });
      const missing = await (await runner(dir, base)).step("pre", {});
      deepStrictEqual(missing.code, 1);
      match(
        missing.stdout,
        new RegExp(`::error title=conntrail::file://.*SHA256SUMS lists no ${TARGET}; refusing`),
      );
    });
  },
});
