/**
 * AbuseIPDB end to end: `conntrail check` under the flags `permissions
 * --flags` prints, in a working directory holding a real `.env`, with
 * loopback servers playing the attacker, a redirecting API, a rate-limited
 * API and the real API. Where the key may go, and how long check may wait.
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GOOD_KEY, startAbuseIpdbServer } from "./abuseipdb_server.ts";
import { tempDir } from "./temp_dir.ts";
import { COMMAND_V8_FLAGS } from "../lib/cli/permissions.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const decoder = new TextDecoder();

/** A server that records every request it gets, and the key it carried. */
function startRecorder(answer: (request: Request) => Response) {
  const seen: { url: string; key: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    seen.push({ url: request.url, key: request.headers.get("Key") });
    return answer(request);
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    seen,
    close: () => server.shutdown(),
  };
}

/** `conntrail check ARGS` in `cwd` with this environment, under its printed permission flags. */
async function check(cwd: string, env: Record<string, string>, args: string[]) {
  const full = ["check", ...args, "--no-resolve-names", "--no-lookup-country", "--no-lookup-asn"];
  const flags = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", COMMAND_V8_FLAGS, MAIN, "permissions", "--flags", ...full],
    cwd,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "" },
  }).output();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...decoder.decode(flags.stdout).trim().split(" "), MAIN, ...full],
    cwd,
    // Not a time limit on the behaviour: only so that a regression (check waiting out an hour) fails the
    // test instead of hanging the suite.
    signal: AbortSignal.timeout(300_000),
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", ...env },
  }).output();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

Deno.test("a .env in the working directory that would send the environment's key elsewhere is refused, and the attacker gets nothing", async () => {
  const attacker = startRecorder(() => new Response("{}"));
  await using cwdTemp = await tempDir({ prefix: "conntrail-key-" });
  const cwd = cwdTemp.path;
  await Deno.writeTextFile(join(cwd, ".env"), `ABUSE_URL=${attacker.url}/api/v2/check\n`);
  try {
    const run = await check(cwd, { ABUSEAPI: GOOD_KEY }, ["8.8.8.8"]);
    deepStrictEqual(run.code, 2, run.stderr);
    deepStrictEqual(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
    match(
      run.stderr,
      /^error: \.env sets ABUSE_URL to "http:\/\/127\.0\.0\.1:\d+\/api\/v2\/check", which would send the AbuseIPDB key from the environment there; refused/,
    );
    deepStrictEqual(attacker.seen, []);
    ok(!run.stdout.includes(GOOD_KEY) && !run.stderr.includes(GOOD_KEY));
  } finally {
    await attacker.close();
  }
});

Deno.test("a redirect from the API to another origin is not followed with the Key header; reputation goes off, said once", async () => {
  const attacker = startRecorder(() => new Response('{"data":{"abuseConfidenceScore":0}}'));
  const api = startRecorder((request) =>
    Response.redirect(`${attacker.url}/collect${new URL(request.url).search}`, 302)
  );
  await using cwdTemp = await tempDir({ prefix: "conntrail-key-" });
  const cwd = cwdTemp.path;
  try {
    const run = await check(cwd, { ABUSEAPI: GOOD_KEY, ABUSE_URL: `${api.url}/api/v2/check` }, [
      "8.8.8.8",
      "1.1.1.1",
    ]);
    deepStrictEqual(run.code, 0, run.stderr);
    deepStrictEqual(attacker.seen, []);
    deepStrictEqual(api.seen.length, 1);
    deepStrictEqual(api.seen[0]?.key, GOOD_KEY);
    match(
      run.stderr,
      new RegExp(
        `note: AbuseIPDB at ${api.url} redirected to another host \\(${attacker.url}\\); the key is not sent there, and reputation is off for this run`,
      ),
    );
  } finally {
    await attacker.close();
    await api.close();
  }
});

Deno.test("a .env holding a key of its own sends that key to its own ABUSE_URL (the control: the servers do see requests)", async () => {
  const abuse = startAbuseIpdbServer(() => ({ score: 80 }));
  await using cwdTemp = await tempDir({ prefix: "conntrail-key-" });
  const cwd = cwdTemp.path;
  await Deno.writeTextFile(join(cwd, ".env"), `ABUSEAPI=${GOOD_KEY}\nABUSE_URL=${abuse.url}\n`);
  try {
    const run = await check(cwd, {}, ["8.8.8.8", "--format", "json"]);
    deepStrictEqual(run.code, 0, run.stderr);
    deepStrictEqual(JSON.parse(run.stdout)[0].risk_level, "MALICIOUS");
    deepStrictEqual(abuse.requests.map((r) => [r.ip, r.key]), [["8.8.8.8", GOOD_KEY]]);
  } finally {
    await abuse.close();
  }
});

Deno.test("check against `429 Retry-After: 99999999999` does not wait it out: no timer overflow, the addresses UNKNOWN with the date", async () => {
  const abuse = startAbuseIpdbServer(() => ({ status: 429, retryAfter: 99999999999 }));
  await using cwdTemp = await tempDir({ prefix: "conntrail-key-" });
  const cwd = cwdTemp.path;
  try {
    const run = await check(cwd, { ABUSEAPI: GOOD_KEY, ABUSE_URL: abuse.url }, [
      "8.8.8.8",
      "--format",
      "json",
    ]);
    deepStrictEqual(run.code, 0, run.stderr);
    ok(!run.stderr.includes("TimeoutOverflowWarning"), run.stderr);
    deepStrictEqual(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
    const [result] = JSON.parse(run.stdout);
    deepStrictEqual(result.risk_level, "UNKNOWN");
    // Past today: the pause is cut to a day, and the reason names the day.
    match(result.note, /^rate limited until \d{4}-\d\d-\d\d \d\d:\d\d$/);
    deepStrictEqual(abuse.requests.length, 1);
  } finally {
    await abuse.close();
  }
});

Deno.test({
  name: "a .env in the working directory that is a FIFO is left out with a note, not waited on",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const abuse = startAbuseIpdbServer(() => ({ score: 0 }));
    await using cwdTemp = await tempDir({ prefix: "conntrail-key-" });
    const cwd = cwdTemp.path;
    await new Deno.Command("mkfifo", { args: [join(cwd, ".env")] }).output();
    try {
      const run = await check(cwd, { ABUSEAPI: GOOD_KEY, ABUSE_URL: abuse.url }, [
        "8.8.8.8",
        "--format",
        "json",
      ]);
      deepStrictEqual(run.code, 0, run.stderr);
      match(
        run.stderr,
        /^note: \.env not read: cannot read "\.env": it is a FIFO \(named pipe\), not a regular file$/m,
      );
      deepStrictEqual(JSON.parse(run.stdout)[0].risk_level, "SAFE");
    } finally {
      await abuse.close();
    }
  },
});
