/**
 * Campaign class "key routing": random places for the AbuseIPDB settings —
 * the environment, a settings file, `--abuse-url` — holding keys and URLs
 * (the official API, the environment's server, an attacker, look-alikes,
 * userinfo tricks, escapes), and an API that answers with random redirect
 * chains. The key only ever reaches the origin configured beside it (or the
 * flag's, or the official API's), or that origin moved from http to https; a
 * file that would move the environment's key is refused in one sentence.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { reputationConfig } from "../../lib/cli/reputation_config.ts";
import { AbuseIpdb, DEFAULT_ABUSE_URL } from "../../lib/enrich/abuseipdb.ts";
import { UsageError } from "../../lib/cli/usage_error.ts";
import { campaign } from "./_fuzz.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { tempDir } from "../temp_dir.ts";

const platform = denoPlatform();

const URLS = [
  DEFAULT_ABUSE_URL,
  "http://127.0.0.1:1001/api/v2/check",
  "http://127.0.0.1:1001/other",
  "https://127.0.0.1:1001/api/v2/check",
  "http://127.0.0.1:1002/steal",
  "http://attacker.example/steal",
  "http://api.abuseipdb.com.attacker.example/api/v2/check",
  "http://api.abuseipdb.com@attacker.example/check",
  "HTTPS://API.ABUSEIPDB.COM/api/v2/check",
  "http://api.abuseipdb.com/api/v2/check",
  "http://[::1]:1003/check",
  "ftp://attacker.example/",
  "not a url",
  "http://127.0.0.1:1001/api/v2/check\x1b[2J",
];

function allowedOrigins(url: string): Set<string> {
  const parsed = new URL(url);
  const origins = new Set([parsed.origin]);
  if (parsed.protocol === "http:" && parsed.port === "") origins.add(`https://${parsed.hostname}`);
  return origins;
}

Deno.test("fuzz key routing: the key reaches only the origin configured beside it, whatever the files and redirects say", async () => {
  await using temp = await tempDir({ prefix: "conntrail-fuzz-key-" });
  const dir = temp.path;
  const envFile = join(dir, "settings.env");
  let refused = 0;
  let requests = 0;
  const tried = await campaign("key routing", 400, async (fuzz) => {
    const env = new Map<string, string>();
    if (fuzz.chance(0.6)) env.set("ABUSEAPI", "ENV-KEY-0123456789");
    if (fuzz.chance(0.5)) env.set("ABUSE_URL", fuzz.pick(URLS));
    const lines: string[] = [];
    if (fuzz.chance(0.6)) lines.push("ABUSEAPI=FILE-KEY-9876543210");
    if (fuzz.chance(0.6)) lines.push(`ABUSE_URL=${fuzz.pick(URLS)}`);
    if (fuzz.chance(0.3)) lines.push(`SAFE_THRESHOLD=${fuzz.pick(["5", "20", "x"])}`);
    if (fuzz.chance(0.2)) lines.push(fuzz.text(20));
    await Deno.writeTextFile(envFile, lines.join(fuzz.pick(["\n", "\r\n"])) + "\n");
    const flagUrl = fuzz.chance(0.2) ? fuzz.pick(URLS) : undefined;

    let settings;
    try {
      ({ settings } = await reputationConfig(
        { reputation: true, envFile, ...(flagUrl === undefined ? {} : { abuseUrl: flagUrl }) },
        { env: env, machine: platform },
      ));
    } catch (error) {
      ok(error instanceof UsageError, String(error));
      ok(!error.message.includes("\n") && !error.message.includes("KEY-"), error.message);
      refused++;
      return;
    }
    const fileValues = new Map(
      lines.map((l) => l.split("=")).filter((p) => p.length === 2) as [string, string][],
    );
    const keyFromEnv = env.has("ABUSEAPI");
    const keyFromFile = !keyFromEnv && fileValues.has("ABUSEAPI");
    if (!keyFromEnv && !keyFromFile) {
      deepStrictEqual(settings, null);
      return;
    }
    ok(settings !== null);
    deepStrictEqual(settings.key, keyFromEnv ? "ENV-KEY-0123456789" : "FILE-KEY-9876543210");
    const expected = flagUrl ?? (keyFromEnv ? env.get("ABUSE_URL") : fileValues.get("ABUSE_URL")) ??
      DEFAULT_ABUSE_URL;
    deepStrictEqual(settings.url, expected.trim());
    // The environment's key is never sent where a file (and not the user) said.
    if (keyFromEnv && flagUrl === undefined && fileValues.has("ABUSE_URL")) {
      deepStrictEqual(new URL(fileValues.get("ABUSE_URL") ?? "").origin, new URL(settings.url).origin);
    }

    const allowed = allowedOrigins(settings.url);
    const seen: { origin: string; key: string | null }[] = [];
    const client = new AbuseIpdb({ ...settings, rescanMs: 1 }, {
      fetch: (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        const key = new Headers(init?.headers).get("Key");
        seen.push({ origin: url.origin, key });
        if (fuzz.chance(0.5)) {
          const target = fuzz.pick([
            ...URLS.filter((u) => URL.canParse(u)),
            "/relative",
            "//attacker.example/x",
          ]);
          return Promise.resolve(
            new Response(null, {
              status: fuzz.pick([301, 302, 303, 307, 308]),
              headers: { location: target },
            }),
          );
        }
        return Promise.resolve(
          new Response(JSON.stringify({ data: { abuseConfidenceScore: fuzz.int(101) } })),
        );
      },
      attempts: 1,
      sleep: () => Promise.resolve(),
    });
    await Promise.all(["8.8.8.8", "1.1.1.1"].map((ip) => client.check(ip)));
    client.close();
    requests += seen.length;
    for (const request of seen) {
      if (request.key !== null) {
        ok(allowed.has(request.origin), `key sent to ${request.origin}, allowed ${[...allowed]}`);
      }
    }
  });
  ok(refused > 20 && requests > 200, `${tried} inputs: ${refused} refused, ${requests} requests`);
});
