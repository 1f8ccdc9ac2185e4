import { deepStrictEqual, match, rejects } from "node:assert/strict";
import { join } from "node:path";
import { reputationConfig, type ReputationFlags } from "../../lib/cli/reputation_config.ts";
import { DEFAULT_ABUSE_URL } from "../../lib/enrich/abuseipdb.ts";
import { UsageError } from "../../lib/cli/usage_error.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { tempDir, type TempPath } from "../temp_dir.ts";

const platform = denoPlatform();

/** A settings file holding `text`, in a temporary folder that goes when the file is disposed. */
async function envFile(text: string): Promise<TempPath> {
  const dir = await tempDir({ prefix: "conntrail-env-" });
  const path = join(dir.path, "settings.env");
  await Deno.writeTextFile(path, text);
  return { path, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
}

const on = (more: Partial<ReputationFlags> = {}): ReputationFlags => ({ reputation: true, ...more });

Deno.test("reputationConfig(): the environment's key goes to the environment's URL, with the environment's settings", async () => {
  await using file = await envFile("ABUSE_URL=http://127.0.0.1:9/check\nSAFE_THRESHOLD=1\n");
  const config = await reputationConfig(
    on({ envFile: file.path }),
    {
      env: new Map([["ABUSEAPI", "env-key"], ["ABUSE_URL", "http://127.0.0.1:9/check"], [
        "SAFE_THRESHOLD",
        "20",
      ]]),
      machine: platform,
    },
  );
  deepStrictEqual(config.settings?.key, "env-key");
  deepStrictEqual(config.settings?.url, "http://127.0.0.1:9/check");
  deepStrictEqual(config.settings?.thresholds.safe, 20);
  deepStrictEqual(config.notes.length, 1);
  match(
    config.notes[0] ?? "",
    /^note: SAFE_THRESHOLD in .*settings\.env not used: the AbuseIPDB key comes from the environment/,
  );
});

Deno.test("reputationConfig(): a file never moves the environment's key to another server", async () => {
  await using file = await envFile("ABUSE_URL=http://127.0.0.1:6666/steal\n");
  await rejects(
    reputationConfig(on({ envFile: file.path }), {
      env: new Map([["ABUSEAPI", "env-key"]]),
      machine: platform,
    }),
    (error: Error) =>
      error instanceof UsageError &&
      /settings\.env sets ABUSE_URL to "http:\/\/127\.0\.0\.1:6666\/steal", which would send the AbuseIPDB key from the environment there; refused/
        .test(error.message) &&
      !error.message.includes("env-key") && !error.message.includes("\n"),
  );
  // The same server the environment names (or the official API when it names none) is no move.
  await using official = await envFile(`ABUSE_URL=${DEFAULT_ABUSE_URL}?x=1\n`);
  const config = await reputationConfig(on({ envFile: official.path }), {
    env: new Map([["ABUSEAPI", "env-key"]]),
    machine: platform,
  });
  deepStrictEqual(config.settings?.url, DEFAULT_ABUSE_URL);
  // A flag is the user's own choice, whatever the file says.
  const flagged = await reputationConfig(
    on({ envFile: file.path, abuseUrl: "http://127.0.0.1:7/mine" }),
    { env: new Map([["ABUSEAPI", "env-key"]]), machine: platform },
  );
  deepStrictEqual(flagged.settings?.url, "http://127.0.0.1:7/mine");
});

Deno.test("reputationConfig(): a file's own key goes to the file's URL, and the environment's other settings do not apply to it", async () => {
  await using file = await envFile("ABUSEAPI=file-key\nMALICIOUS_THRESHOLD=70\n");
  const config = await reputationConfig(
    on({ envFile: file.path }),
    {
      env: new Map([["ABUSE_URL", "http://127.0.0.1:9/elsewhere"], ["MALICIOUS_THRESHOLD", "90"]]),
      machine: platform,
    },
  );
  deepStrictEqual(config.settings?.key, "file-key");
  deepStrictEqual(config.settings?.url, DEFAULT_ABUSE_URL);
  deepStrictEqual(config.settings?.thresholds.malicious, 70);
  match(
    config.notes[0] ?? "",
    /^note: ABUSE_URL, MALICIOUS_THRESHOLD in the environment not used: the AbuseIPDB key comes from .*settings\.env/,
  );
});

Deno.test("reputationConfig(): a bad value with ESC is quoted safely; no key means off", async () => {
  await using file = await envFile("ABUSEAPI=k\nSAFE_THRESHOLD=\x1b[31mlots\n");
  await rejects(
    reputationConfig(on({ envFile: file.path }), { env: new Map(), machine: platform }),
    (error: Error) => error.message.includes('not "\\x1b[31mlots"') && !error.message.includes("\x1b"),
  );
  deepStrictEqual((await reputationConfig(on(), { env: new Map(), machine: platform })).settings, null);
  deepStrictEqual(
    (await reputationConfig({ reputation: false }, { env: new Map([["ABUSEAPI", "k"]]), machine: platform }))
      .settings,
    null,
  );
});

Deno.test("reputationConfig(): --env-file that is a FIFO is refused in one sentence, not waited on", {
  ignore: Deno.build.os === "windows",
}, async () => {
  await using temp = await tempDir({ prefix: "conntrail-env-" });
  const dir = temp.path;
  const fifo = join(dir, "fifo.env");
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  await rejects(
    reputationConfig(on({ envFile: fifo }), { env: new Map(), machine: platform }),
    /cannot read ".*fifo\.env": it is a FIFO \(named pipe\), not a regular file/,
  );
});
