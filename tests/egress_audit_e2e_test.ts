/**
 * The CI egress audit end to end, as a GitHub Actions job would run it: the
 * real monitor under the permission flags `conntrail permissions --flags`
 * prints (with GITHUB_ACTIONS and GITHUB_STEP_SUMMARY set), ~1,000 loopback
 * sockets open at the start, and python3 holding connections to addresses in
 * a network namespace the test creates (198.51.100.0/24, a veth pair).
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { hasTool } from "./open_sockets.ts";
import { connectionHolder, firstLine, peersInNamespace } from "./namespace_peers.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const isRoot = Deno.build.os === "linux" && Deno.uid() === 0;
const ready = isRoot && hasTool("ss") && hasTool("python3") && hasTool("ip");
const decoder = new TextDecoder();

/** `socket_farm.py` holding this many loopback connections (twice as many sockets). */
async function socketFarm(connections: number): Promise<AsyncDisposable> {
  const child = new Deno.Command("python3", {
    args: [fixture("socket_farm.py"), String(connections)],
    stdout: "piped",
  }).spawn();
  match(await firstLine(child.stdout), /^ready/);
  return {
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}

/** Run the monitor as a GitHub Actions step would, under the flags `permissions --flags` prints there. */
async function monitorInJob(
  dir: string,
  summary: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary, XDG_DATA_HOME: dir, NO_COLOR: "1" };
  const printed = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--allow-env=XDG_DATA_HOME,HOME,GITHUB_ACTIONS,GITHUB_STEP_SUMMARY",
      MAIN,
      "permissions",
      "--flags",
      "monitor",
      ...args,
    ],
    env,
  }).output();
  const flags = decoder.decode(printed.stdout).trim().split(" ");
  ok(
    flags.some((flag) => flag.startsWith("--allow-write=") && flag.split(/[=,]/).includes(summary)),
    `the printed flags do not let the monitor write the job summary: ${flags.join(" ")}`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...flags, MAIN, ...args],
    env,
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test({
  name: "egress audit under GITHUB_ACTIONS: ~1,000 sockets at start folded, a summary row for python3's " +
    "namespace peer, and --write-expect then --expect --fail-on unexpected passes, then names a new address",
  ignore: !ready,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await using peers = await peersInNamespace();
      await using holder = connectionHolder();
      await using _farm = await socketFarm(500);
      const [first, second] = peers.addresses;
      await holder.connect(first, peers.port);

      // The learning run watches the whole machine.
      const summary = join(dir, "summary.md");
      await Deno.writeTextFile(summary, "");
      const expect = join(dir, "allowed.txt");
      const learn = await monitorInJob(dir, summary, [
        "--scroll",
        "--count",
        "2",
        "-t",
        "0.5",
        "--store",
        "none",
        "--write-expect",
        expect,
      ]);
      deepStrictEqual(learn.code, 0, learn.stderr);
      const lines = learn.stdout.split("\n");
      const opened = Number(
        /^::group::conntrail: ([\d,]+) connections open at start$/.exec(lines[0] ?? "")?.[1]
          ?.replaceAll(",", ""),
      );
      ok(opened >= 1000, `the first line is not a group of >= 1,000 connections: ${lines[0]}`);
      const end = lines.indexOf("::endgroup::");
      deepStrictEqual(end, opened + 1, "the group does not hold exactly the connections open at start");
      const peerText = new RegExp(
        `NEW → ${first.replaceAll(".", "\\.")} (\\[[^\\]]*\\] )?ESTABLISHED:${peers.port} python3 \\(`,
      );
      const peerLine = lines.findIndex((l) => peerText.test(l));
      ok(
        peerLine > 0 && peerLine < end,
        `the namespace connection is not inside the group: ${
          lines.filter((l) => l.includes(first)).join("\n")
        }`,
      );
      deepStrictEqual(lines.filter((l) => l.startsWith("::group::")).length, 1);
      const table = (await Deno.readTextFile(summary)).split("\n");
      const row = table.find((l) => l.startsWith(`| \`${first}\` |`));
      ok(row !== undefined, `no summary row for ${first}:\n${table.join("\n")}`);
      // The learning run watches the whole machine: another test's connection to the same documentation
      // address may share the row (another port, another process); ours must be in it.
      match(
        row,
        new RegExp(`\\| ([^|]*, )?${peers.port}/tcp(, [^|]*)? \\| ([^|]*, )?\`python3\`(, [^|]*)? \\| `),
      );
      match(
        await Deno.readTextFile(expect),
        new RegExp(`^${first.replaceAll(".", "\\.")}  # python3 \\(`, "m"),
      );

      // Later runs look at the namespace's port only: other tests on this machine come and go.
      const audit = [
        "--scroll",
        "--count",
        "2",
        "-t",
        "0.5",
        "--store",
        "none",
        "--port",
        String(peers.port),
      ];
      const judged = [...audit, "--expect", expect, "--fail-on", "unexpected"];
      const same = await monitorInJob(dir, summary, judged);
      deepStrictEqual(same.code, 0, same.stdout + same.stderr);
      ok(!same.stdout.includes("UNEXPECTED"), same.stdout);

      await holder.connect(second, peers.port);
      await Deno.writeTextFile(summary, "");
      const changed = await monitorInJob(dir, summary, judged);
      deepStrictEqual(changed.code, 3, changed.stdout + changed.stderr);
      match(changed.stderr, /--fail-on unexpected: 1 alert; exit code 3/);
      const annotation = changed.stdout.split("\n").filter((l) => l.startsWith("::warning "));
      deepStrictEqual(annotation.length, 1, changed.stdout);
      match(
        annotation[0] ?? "",
        new RegExp(
          `^::warning title=conntrail%3A UNEXPECTED::python3 \\(pid \\d+\\) connected to ${
            second.replaceAll(".", "\\.")
          } port ${peers.port}/tcp: UNEXPECTED destination \\(not in .*allowed\\.txt\\)$`,
        ),
      );
      const report = await Deno.readTextFile(summary);
      match(
        report,
        new RegExp(`\\| \\*\\*UNEXPECTED\\*\\* \\| \`python3\` \\(\\d+\\) \\| \`${second}\` \\|`),
      );
      match(report, new RegExp(`\\| \`${first}\` \\| .* \\| expected \\| 1 \\|`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
