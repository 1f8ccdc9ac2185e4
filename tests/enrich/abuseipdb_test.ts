import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { AbuseIpdb, type AbuseIpdbOptions } from "../../lib/enrich/abuseipdb.ts";
import { DEFAULT_THRESHOLDS } from "../../lib/model/risk.ts";
import { type Answer, GOOD_KEY, startAbuseIpdbServer } from "../abuseipdb_server.ts";

async function withClient(
  answers: (ip: string, n: number) => Answer,
  options: AbuseIpdbOptions & { key?: string },
  test: (
    client: AbuseIpdb,
    server: ReturnType<typeof startAbuseIpdbServer>,
    notes: string[],
  ) => Promise<void>,
): Promise<void> {
  const server = startAbuseIpdbServer(answers);
  const notes: string[] = [];
  const client = new AbuseIpdb(
    { key: options.key ?? GOOD_KEY, url: server.url, thresholds: DEFAULT_THRESHOLDS, rescanMs: 172_800_000 },
    // A request's timeout is the client's, not a speed claim: long enough for a loaded machine.
    { backoffMs: 20, timeoutMs: 60_000, onNote: (line) => notes.push(line), ...options },
  );
  try {
    await test(client, server, notes);
  } finally {
    client.close();
    await server.close();
  }
}

const SCORES: Record<string, number> = {
  "8.8.8.8": 0,
  "1.1.1.1": 30,
  "9.9.9.9": 90,
  "2001:4860:4860::8888": 16,
};

Deno.test("AbuseIpdb levels answers by the SPEC thresholds and sends the documented request", async () => {
  await withClient((ip) => ({ score: SCORES[ip] ?? 0, country: "AU" }), {}, async (client, server, notes) => {
    const results = await Promise.all(Object.keys(SCORES).map((ip) => client.check(ip)));
    deepStrictEqual(results.map((r) => [r?.risk_level, r?.abuse_score]), [
      ["SAFE", 0],
      ["SUSPICIOUS", 30],
      ["MALICIOUS", 90],
      ["SUSPICIOUS", 16],
    ]);
    strictEqual(results[0]?.country, "AU");
    deepStrictEqual(server.requests[0], {
      ip: "8.8.8.8",
      maxAgeInDays: "90",
      key: GOOD_KEY,
      accept: "application/json",
    });
    deepStrictEqual(notes, []);
  });
});

Deno.test("AbuseIpdb never sends private, loopback or special addresses", async () => {
  await withClient(() => ({ score: 100 }), {}, async (client, server) => {
    const local = ["10.1.2.3", "192.168.1.1", "127.0.0.1", "::1", "fe80::1", "100.64.0.1", "203.0.113.7"];
    deepStrictEqual(await Promise.all(local.map((ip) => client.check(ip))), local.map(() => null));
    await client.idle();
    deepStrictEqual(server.requests, []);
  });
});

Deno.test("AbuseIpdb answers from its cache until RESCAN_INTERVAL has passed", async () => {
  let now = 1_000_000;
  await withClient((_ip, n) => ({ score: n === 1 ? 10 : 80 }), { now: () => now }, async (client, server) => {
    strictEqual(client.lookup("8.8.8.8"), null);
    await client.idle();
    strictEqual(client.lookup("8.8.8.8")?.risk_level, "SAFE");
    strictEqual(server.requests.length, 1);
    now += 172_800_000;
    strictEqual(client.lookup("8.8.8.8")?.risk_level, "SAFE");
    await client.idle();
    strictEqual(client.lookup("8.8.8.8")?.risk_level, "MALICIOUS");
    strictEqual(server.requests.length, 2);
  });
});

Deno.test("AbuseIpdb keeps at most `concurrency` requests in flight", async () => {
  await withClient(() => ({ delayMs: 300, score: 0 }), { concurrency: 2 }, async (client, server) => {
    const ips = ["8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9"];
    const results = await Promise.all(ips.map((ip) => client.check(ip)));
    deepStrictEqual(results.map((r) => r?.risk_level), ips.map(() => "SAFE"));
    deepStrictEqual(server.requests.map((r) => r.ip).sort(), [...ips].sort());
    strictEqual(server.mostInFlight(), 2);
  });
});

Deno.test("AbuseIpdb turns itself off for the run on 401, saying so once, never printing the key", async () => {
  const key = "wrong-key-SECRET-42";
  await withClient(() => ({ score: 0 }), { key }, async (client, server, notes) => {
    deepStrictEqual(await Promise.all([client.check("8.8.8.8"), client.check("1.1.1.1")]), [null, null]);
    await client.idle();
    strictEqual(client.enabled, false);
    strictEqual(client.lookup("9.9.9.9"), null);
    await client.idle();
    ok(server.requests.length <= 2, `${server.requests.length} requests`);
    deepStrictEqual(notes, [
      "note: AbuseIPDB rejected the API key (HTTP 401); reputation is off for this run",
    ]);
    ok(!notes.join("\n").includes(key));
  });
});

Deno.test("AbuseIpdb marks an address UNKNOWN on 422 and on a malformed body, each said once", async () => {
  const answers = (ip: string): Answer =>
    ip.startsWith("4.")
      ? { status: 422, detail: "The ip address must be a valid IPv4 or IPv6 address." }
      : { malformed: ip === "7.7.7.7" ? "<html>oops</html>" : '{"data": {"abuseConfidenceScore": "high"}}' };
  await withClient(answers, {}, async (client, _server, notes) => {
    const results = await Promise.all(
      ["4.4.4.4", "4.4.2.2", "7.7.7.7", "7.7.7.8"].map((ip) => client.check(ip)),
    );
    deepStrictEqual(results.map((r) => r?.risk_level), ["UNKNOWN", "UNKNOWN", "UNKNOWN", "UNKNOWN"]);
    deepStrictEqual(notes.sort(), [
      "note: AbuseIPDB refused to check 4.4.4.4 (HTTP 422: The ip address must be a valid IPv4 or IPv6 address.); marked UNKNOWN",
      "note: AbuseIPDB sent an answer conntrail cannot read; those addresses are UNKNOWN",
    ]);
  });
});

Deno.test("AbuseIpdb never shows part of the key when an error's detail echoes it past the length kept", async () => {
  for (const before of [0, 60, 100, 119]) {
    const detail = `${"x".repeat(before)} ${GOOD_KEY} is not allowed to check this address`;
    await withClient(() => ({ status: 422, detail }), {}, async (client, _server, notes) => {
      strictEqual((await client.check("4.4.4.4"))?.risk_level, "UNKNOWN");
      strictEqual(notes.length, 1);
      ok(!notes[0]!.includes(GOOD_KEY.slice(0, 8)), `${before}: ${notes[0]}`);
    });
  }
});

Deno.test("AbuseIpdb retries 5xx answers with backoff and takes the answer that follows", async () => {
  await withClient(
    (_ip, n) => (n < 3 ? { status: 500 + n } : { score: 60 }),
    {},
    async (client, server, notes) => {
      strictEqual((await client.check("9.9.9.9"))?.risk_level, "MALICIOUS");
      strictEqual(server.requests.length, 3);
      deepStrictEqual(notes, ["note: AbuseIPDB is not answering (HTTP 501); retrying with backoff"]);
    },
  );
});

Deno.test("AbuseIpdb gives up on a slow server after its tries and marks the address UNKNOWN", async () => {
  await withClient(
    () => ({ delayMs: 1000, score: 0 }),
    { timeoutMs: 100, attempts: 2 },
    async (client, _s, notes) => {
      strictEqual((await client.check("8.8.8.8"))?.risk_level, "UNKNOWN");
      deepStrictEqual(notes, [
        "note: AbuseIPDB is not answering (no answer within 0.1s); retrying with backoff",
        "note: AbuseIPDB did not answer for 8.8.8.8 (no answer within 0.1s); marked UNKNOWN",
      ]);
    },
  );
});

Deno.test("AbuseIpdb honours 429 Retry-After: nothing is asked until then, and it says so once", async () => {
  const askedAt: number[] = [];
  await withClient(
    () => {
      askedAt.push(Date.now());
      return askedAt.length === 1
        ? { status: 429, retryAfter: 1, detail: "Daily rate limit of 1000 requests exceeded" }
        : {
          score: 20,
        };
    },
    { concurrency: 1 },
    async (client, server, notes) => {
      const [first, second] = await Promise.all([client.check("1.1.1.1"), client.check("8.8.8.8")]);
      deepStrictEqual([first?.risk_level, second?.risk_level], ["SUSPICIOUS", "SUSPICIOUS"]);
      deepStrictEqual(server.requests.map((r) => r.ip), ["1.1.1.1", "1.1.1.1", "8.8.8.8"]);
      ok(
        (askedAt[1] ?? 0) - (askedAt[0] ?? 0) >= 900,
        `asked again after ${(askedAt[1] ?? 0) - (askedAt[0] ?? 0)} ms`,
      );
      strictEqual(notes.length, 1);
      ok(notes[0]?.startsWith("note: AbuseIPDB's rate limit is reached; no more checks until "), notes[0]);
    },
  );
});

Deno.test("AbuseIpdb pauses when a 200 says X-RateLimit-Remaining is 0", async () => {
  // Requests are counted as the client makes them: a client that did not pause would ask at once.
  let asked = 0;
  const counting: typeof fetch = (input, init) => {
    asked++;
    return fetch(input, init);
  };
  await withClient(
    () => ({ score: 0, remaining: 0 }),
    { concurrency: 1, fetch: counting },
    async (client, _server, notes) => {
      await client.check("8.8.8.8");
      ok(notes[0]?.startsWith("note: AbuseIPDB's daily checks are used up"), notes[0]);
      const waiting = client.check("1.1.1.1");
      // No Retry-After and no reset time: the client waits a minute; the second address is still queued.
      strictEqual(asked, 1);
      client.close();
      strictEqual(await waiting, null);
      strictEqual(asked, 1);
    },
  );
});

/** A clock that only moves when the client sleeps: waits are recorded, never waited. */
function virtualClock(start = Date.UTC(2026, 10, 21, 12, 0, 0)) {
  const clock = {
    at: start,
    sleeps: [] as number[],
    now: () => clock.at,
    sleep: (ms: number) => {
      clock.sleeps.push(ms);
      clock.at += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

Deno.test("AbuseIpdb pauses when a 200 says X-RateLimit-Remaining is 0, a minute without a reset time", async () => {
  const clock = virtualClock();
  await withClient(
    () => ({ score: 0, remaining: 0 }),
    { concurrency: 1, now: clock.now, sleep: clock.sleep },
    async (client, server, notes) => {
      await client.check("8.8.8.8");
      await client.check("1.1.1.1");
      // No Retry-After and no reset time: the client waited a minute before asking about the second address.
      deepStrictEqual(clock.sleeps, [60_000]);
      deepStrictEqual(server.requests.map((r) => r.ip), ["8.8.8.8", "1.1.1.1"]);
      ok(notes[0]?.startsWith("note: AbuseIPDB's daily checks are used up"), notes[0]);
    },
  );
});

Deno.test("AbuseIpdb: Retry-After 99999999999 pauses the monitor for a day at most", async () => {
  const clock = virtualClock();
  await withClient(
    (_ip, n) => (n === 1 ? { status: 429, retryAfter: 99999999999 } : { score: 0 }),
    { concurrency: 1, now: clock.now, sleep: clock.sleep },
    async (client, _server, notes) => {
      strictEqual((await client.check("8.8.8.8"))?.risk_level, "SAFE");
      deepStrictEqual(clock.sleeps, [24 * 3_600_000]);
      match(notes[0] ?? "", /no more checks until 2026-11-22 \d\d:\d\d$/);
    },
  );
});

Deno.test("AbuseIpdb with patience (conntrail check): a long rate limit makes the addresses UNKNOWN with the reason at once", async () => {
  const clock = virtualClock();
  await withClient(
    () => ({ status: 429, retryAfter: 3600 }),
    { concurrency: 1, now: clock.now, sleep: clock.sleep, patienceMs: 20_000 },
    async (client, server) => {
      const answers = await Promise.all(["8.8.8.8", "1.1.1.1", "9.9.9.9"].map((ip) => client.answer(ip)));
      deepStrictEqual(answers.map((a) => a.reputation?.risk_level), ["UNKNOWN", "UNKNOWN", "UNKNOWN"]);
      const until = new Date(clock.now() + 3_600_000);
      const hhmm = `${String(until.getHours()).padStart(2, "0")}:${
        String(until.getMinutes()).padStart(2, "0")
      }`;
      deepStrictEqual(answers.map((a) => a.reason), [1, 2, 3].map(() => `rate limited until ${hhmm}`));
      deepStrictEqual(clock.sleeps, []);
      deepStrictEqual(server.requests.length, 1);
      // Asked again later in the same run: still no wait.
      deepStrictEqual((await client.answer("4.4.4.4")).reason, `rate limited until ${hhmm}`);
      deepStrictEqual(clock.sleeps, []);
    },
  );
});

Deno.test("AbuseIpdb with patience: a short rate limit is waited out; 5xx retries stop before the bound", async () => {
  const clock = virtualClock();
  await withClient(
    (_ip, n) => (n === 1 ? { status: 429, retryAfter: 5 } : { score: 0 }),
    { concurrency: 1, now: clock.now, sleep: clock.sleep, patienceMs: 20_000 },
    async (client) => {
      strictEqual((await client.check("8.8.8.8"))?.risk_level, "SAFE");
      deepStrictEqual(clock.sleeps, [5_000]);
    },
  );
  const retrying = virtualClock();
  await withClient(
    () => ({ status: 503 }),
    { now: retrying.now, sleep: retrying.sleep, patienceMs: 20_000, attempts: 10, backoffMs: 4_000 },
    async (client, server) => {
      const answer = await client.answer("8.8.8.8");
      deepStrictEqual(answer.reputation?.risk_level, "UNKNOWN");
      deepStrictEqual(answer.reason, "AbuseIPDB did not answer (HTTP 503)");
      // 4 s + 8 s waited; a 16 s wait would end past the 20 s bound, so it was not made.
      deepStrictEqual(retrying.sleeps, [4_000, 8_000]);
      deepStrictEqual(server.requests.length, 3);
    },
  );
});

Deno.test("AbuseIpdb never follows a redirect to another origin with the key; same-origin redirects are followed", async () => {
  const attacker: (string | null)[] = [];
  const thief = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    attacker.push(request.headers.get("Key"));
    return new Response(JSON.stringify({ data: { abuseConfidenceScore: 0 } }));
  });
  const thiefUrl = `http://127.0.0.1:${(thief.addr as Deno.NetAddr).port}/steal`;
  const seen: { path: string; key: string | null }[] = [];
  const api = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    seen.push({ path: url.pathname, key: request.headers.get("Key") });
    if (url.pathname === "/moved") return Response.redirect(new URL(`/api/v2/check${url.search}`, url), 308);
    if (url.searchParams.get("ipAddress") === "9.9.9.9") return Response.redirect(thiefUrl, 302);
    return new Response(JSON.stringify({ data: { abuseConfidenceScore: 70, countryCode: "NL" } }));
  });
  const apiOrigin = `http://127.0.0.1:${(api.addr as Deno.NetAddr).port}`;
  const notes: string[] = [];
  const settings = { key: GOOD_KEY, thresholds: DEFAULT_THRESHOLDS, rescanMs: 172_800_000 };
  try {
    const same = new AbuseIpdb({ ...settings, url: `${apiOrigin}/moved` }, { onNote: (l) => notes.push(l) });
    strictEqual((await same.check("8.8.8.8"))?.risk_level, "MALICIOUS");
    deepStrictEqual(seen.map((s) => [s.path, s.key]), [["/moved", GOOD_KEY], ["/api/v2/check", GOOD_KEY]]);
    same.close();

    const away = new AbuseIpdb({ ...settings, url: `${apiOrigin}/api/v2/check` }, {
      onNote: (l) => notes.push(l),
    });
    strictEqual(await away.check("9.9.9.9"), null);
    strictEqual(away.enabled, false);
    strictEqual(await away.check("8.8.4.4"), null);
    away.close();
    deepStrictEqual(attacker, []);
    deepStrictEqual(notes, [
      `note: AbuseIPDB at ${apiOrigin} redirected to another host (${new URL(thiefUrl).origin}); ` +
      "the key is not sent there, and reputation is off for this run",
    ]);
  } finally {
    await thief.shutdown();
    await api.shutdown();
  }
});

Deno.test("AbuseIpdb answers an address rate limited while another request got 401 (found by the fuzz campaign: it waited forever)", async () => {
  const clock = virtualClock();
  await withClient(
    (ip) => (ip === "8.8.8.8" ? { status: 429, retryAfter: 60 } : { status: 401 }),
    { concurrency: 2, now: clock.now, sleep: clock.sleep },
    async (client) => {
      deepStrictEqual(await Promise.all([client.check("8.8.8.8"), client.check("1.1.1.1")]), [null, null]);
      strictEqual(client.enabled, false);
    },
  );
});
