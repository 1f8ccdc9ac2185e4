/**
 * scripts/smoke_binary.ts is what CI and the release run against each
 * compiled binary on its own runner. `deno compile` cannot fetch its runtime
 * here, so this runs the same checks against the bundle the binaries are
 * compiled from (scripts/bundle.ts, built from the sources as they are) under
 * the flags the compile task embeds for this OS (`--from-source`), and against
 * a program that is not conntrail, which must fail.
 */
import { deepStrictEqual, match } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { hasTool } from "./open_sockets.ts";

const SCRIPT = fileURLToPath(new URL("../scripts/smoke_binary.ts", import.meta.url));
const linuxWithSs = Deno.build.os === "linux" && hasTool("ss");

async function smoke(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run", "--allow-net=127.0.0.1", "--allow-read", "--allow-write", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test({
  name: "smoke_binary --from-source passes every check a released binary must pass on its runner",
  ignore: !linuxWithSs,
  async fn() {
    const run = await smoke("--from-source");
    deepStrictEqual(run.code, 0, run.stdout + run.stderr);
    deepStrictEqual(run.stdout.split("\n").filter((line) => line.startsWith("ok: ")).length, 7, run.stdout);
    match(run.stdout, /ok: snapshot --format json finds this script's connection .* with pid \d+/);
    match(run.stdout, /ok: check 8\.8\.8\.8 answers US and AS15169 from the embedded GeoIP data/);
  },
});

Deno.test("smoke_binary fails, naming the check, on a program that is not conntrail, and on a missing one", async () => {
  const deno = await smoke(Deno.execPath());
  deepStrictEqual(deno.code, 1);
  match(deno.stderr, /^FAILED: --version names conntrail /m);
  const missing = await smoke("dist/no-such-binary");
  deepStrictEqual(missing.code, 1);
  match(missing.stderr, /^FAILED: cannot run .*no-such-binary: /m);
});
