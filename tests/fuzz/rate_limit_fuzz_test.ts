/**
 * Campaign class "rate limits and timers": an AbuseIPDB that answers at
 * random — 200, 429, 5xx, 401/403, 422, redirects, bodies of junk — with
 * random `Retry-After` (huge, negative, NaN, dates far off), `X-RateLimit-*`
 * headers. On a virtual clock, every wait the client asks for fits a timer
 * and lasts at most a day; a one-shot client (`conntrail check`) never goes
 * past its bound; every answer arrives.
 */
import { ok } from "node:assert/strict";
import { AbuseIpdb } from "../../lib/enrich/abuseipdb.ts";
import { CHECK_REPUTATION_WAITS } from "../../lib/cli/check_command.ts";
import { DEFAULT_THRESHOLDS } from "../../lib/model/risk.ts";
import { MAX_TIMER_MS } from "../../lib/model/timer_delay.ts";
import { campaign, type Fuzz } from "./_fuzz.ts";

const DAY_MS = 24 * 3_600_000;

function retryAfter(fuzz: Fuzz, now: number): string {
  return fuzz.pick([
    fuzz.number(),
    new Date(now + fuzz.int(2 ** 40)).toUTCString(),
    new Date(now - 10_000).toUTCString(),
    "Wed, 21 Oct 2999 07:28:00 GMT",
    "Fri, 31 Dec 275759 23:59:59 GMT",
  ]);
}

function answer(fuzz: Fuzz, now: number): Response {
  const headers = new Headers();
  if (fuzz.chance(0.5)) headers.set("Retry-After", retryAfter(fuzz, now));
  if (fuzz.chance(0.3)) headers.set("X-RateLimit-Reset", fuzz.number());
  if (fuzz.chance(0.2)) headers.set("X-RateLimit-Remaining", fuzz.pick(["0", "1", "-1", ""]));
  const status = fuzz.pick([200, 200, 200, 429, 429, 500, 502, 503, 401, 403, 422, 404, 301, 302]);
  if (status >= 300 && status < 400) {
    headers.set("location", fuzz.pick(["/again", "http://elsewhere.example/"]));
  }
  const body = fuzz.pick([
    JSON.stringify({ data: { abuseConfidenceScore: fuzz.int(101), countryCode: "DE" } }),
    JSON.stringify({ data: { abuseConfidenceScore: fuzz.number() } }),
    JSON.stringify({ errors: [{ detail: fuzz.text(40) }] }),
    fuzz.text(60),
    "",
  ]);
  return new Response(status === 204 ? null : body, { status, headers });
}

Deno.test("fuzz rate limits: every wait fits a timer and a day, check stays within its bound, every answer arrives", async () => {
  let waits = 0;
  await campaign("rate limits", 400, async (fuzz) => {
    const oneShot = fuzz.chance(0.5);
    const start = Date.UTC(2026, 10, 21, 12);
    let now = start;
    const sleeps: number[] = [];
    let requests = 0;
    const client = new AbuseIpdb(
      {
        key: "K".repeat(20),
        url: "http://127.0.0.1:9/api/v2/check",
        thresholds: DEFAULT_THRESHOLDS,
        rescanMs: 1000,
      },
      {
        now: () => now,
        sleep: (ms) => {
          sleeps.push(ms);
          ok(
            Number.isFinite(ms) && ms >= 0 && ms <= Math.min(MAX_TIMER_MS, DAY_MS),
            `asked to wait ${ms} ms`,
          );
          now += ms;
          return Promise.resolve();
        },
        fetch: () => {
          // A server that never stops limiting would keep the monitor asking forever: bound the test.
          if (++requests > 60) return Promise.resolve(new Response('{"data":{"abuseConfidenceScore":1}}'));
          return Promise.resolve(answer(fuzz, now));
        },
        concurrency: 1 + fuzz.int(3),
        ...(oneShot
          ? CHECK_REPUTATION_WAITS
          : { attempts: 1 + fuzz.int(4), backoffMs: fuzz.pick([0, 10, 2000]) }),
      },
    );
    const ips = ["8.8.8.8", "1.1.1.1", "9.9.9.9", "2001:4860:4860::8888"].slice(0, 1 + fuzz.int(4));
    const answers = await Promise.all(ips.map((ip) => client.answer(ip)));
    client.close();
    waits += sleeps.length;
    ok(answers.length === ips.length);
    if (oneShot) {
      ok(now - start <= CHECK_REPUTATION_WAITS.patienceMs, `check waited ${now - start} ms in all`);
      for (const a of answers) {
        ok(
          a.reputation === null || a.reputation.risk_level !== "UNKNOWN" || a.reason !== null,
          JSON.stringify(a),
        );
      }
    }
  });
  ok(waits > 100, `${waits} waits`);
});
