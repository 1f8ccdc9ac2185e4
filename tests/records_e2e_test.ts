/**
 * ECS and OCSF output end to end, under narrow permissions: a snapshot with
 * only `--allow-run=ss`, a syslog receiver the run may not reach, and
 * `serve --format ecs` printing its event log while it serves the page.
 */
import { fileURLToPath } from "node:url";
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { ecsProblems } from "./render/_ecs_schema.ts";
import { ocsfProblems } from "./render/_ocsf_schema.ts";
import { permissionFlags } from "./conntrail_process.ts";
import { startConntrail } from "./live_process.ts";
import { freshLoopback, hasTool, socketControl } from "./open_sockets.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");

async function conntrail(flags: string[], args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...flags, MAIN, ...args],
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test({
  name:
    "snapshot --format ecs|ocsf runs with only --allow-run=ss, leaves the host name out and says which flag adds it",
  ignore: !linuxWithSs,
  async fn() {
    const control = socketControl();
    try {
      await control.open(freshLoopback());
      for (const format of ["ecs", "ocsf"]) {
        const run = await conntrail(["--allow-run=ss"], [
          "snapshot",
          "--format",
          format,
          "--pid",
          String(control.pid),
        ]);
        deepStrictEqual(run.code, 0, run.stderr);
        match(run.stderr, /note: records leave out the host name; run with --allow-sys=hostname/);
        const records = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
        ok(records.length >= 3, run.stdout);
        for (const record of records) {
          deepStrictEqual(format === "ecs" ? ecsProblems(record) : ocsfProblems(record), []);
          deepStrictEqual(format === "ecs" ? record.host.name : record.device, undefined);
        }
      }
      const named = await conntrail(["--allow-run=ss", "--allow-sys=hostname"], [
        "snapshot",
        "--format",
        "ecs",
      ]);
      deepStrictEqual(JSON.parse(named.stdout.split("\n")[0] ?? "").host.name, Deno.hostname());
    } finally {
      await control.stop();
    }
  },
});

Deno.test({
  name: "monitor --syslog without the receiver's --allow-net ends in one sentence naming the flag",
  ignore: !linuxWithSs,
  async fn() {
    const run = await conntrail(["--allow-run=ss"], ["--count", "1", "--syslog", "tcp://127.0.0.1:6514"]);
    deepStrictEqual(run.code, 1);
    match(
      run.stderr,
      /^error: cannot send to syslog tcp:\/\/127\.0\.0\.1:6514: permission denied; run with --allow-net=127\.0\.0\.1:6514$/m,
    );
    ok(!run.stderr.includes("    at "), run.stderr);
    const udp = await conntrail(["--allow-run=ss", "--allow-net=127.0.0.1:514"], [
      "--count",
      "1",
      "--syslog",
      "udp://127.0.0.1",
    ]);
    match(udp.stderr, /run with --allow-net=127\.0\.0\.1:514,0\.0\.0\.0:0$/m);
  },
});

Deno.test({
  name: "serve --format ecs prints its event log on stdout and its own lines on stderr",
  ignore: !linuxWithSs,
  sanitizeResources: false,
  async fn() {
    const dataHome = await Deno.makeTempDir();
    const control = socketControl();
    try {
      const connection = await control.open(freshLoopback());
      const args = ["serve", "--port", "0", "--store", "none", "-t", "0.5", "--format", "ecs"];
      const serve = startConntrail(await permissionFlags(dataHome, args), args);
      await serve.waitForStderr(/^conntrail: serving on http:\/\/127\.0\.0\.1:\d+\//);
      const line = await serve.waitForStdout(
        (text) => JSON.parse(text).source?.port === connection.client_port,
        "the ECS event of the connection",
        // serve has no filter: on a machine with tens of thousands of sockets its first poll is long.
        120_000,
      );
      deepStrictEqual(ecsProblems(JSON.parse(line)), []);
      deepStrictEqual(await serve.stop(), 0);
      ok(serve.stdout.every((text) => text === "" || text.startsWith("{")), serve.stdout.join("\n"));
      match(serve.stderr.join("\n"), /conntrail: served \d+ polls/);
    } finally {
      await control.stop();
      await Deno.remove(dataHome, { recursive: true });
    }
  },
});
