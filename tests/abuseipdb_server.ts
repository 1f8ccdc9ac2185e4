/**
 * A stand-in for AbuseIPDB's v2 `check` endpoint on 127.0.0.1, answering as
 * the documented API does: `{"data": {...}}` on 200, `{"errors": [...]}` on
 * 401/422/429, `Retry-After` and `X-RateLimit-*` headers. What each address
 * gets is scripted per test; every request is recorded.
 */

/** One scripted answer. */
export type Answer =
  | { score: number; country?: string; remaining?: number }
  | { status: number; retryAfter?: number; detail?: string }
  | { malformed: string }
  | { delayMs: number; score: number };

/** A request as the server saw it. */
export interface SeenRequest {
  ip: string | null;
  maxAgeInDays: string | null;
  key: string | null;
  accept: string | null;
}

/** The running server: its URL (for ABUSE_URL), what it saw, and how to stop it. */
export interface AbuseIpdbServer {
  url: string;
  requests: SeenRequest[];
  /** The most slow answers that were being served at once. */
  mostInFlight: () => number;
  close: () => Promise<void>;
}

const KEY = "test-key-0123456789abcdef";

/** The key the server accepts; any other gets 401. */
export const GOOD_KEY = KEY;

/** Start the server; `answers(ip, n)` scripts the n-th answer (from 1) for an address. */
export function startAbuseIpdbServer(answers: (ip: string, n: number) => Answer): AbuseIpdbServer {
  const requests: SeenRequest[] = [];
  const counts = new Map<string, number>();
  // Slow answers in progress: close() ends their waits so that shutdown does not hang.
  const waits = new Map<ReturnType<typeof setTimeout>, () => void>();
  const state = { inFlight: 0, mostInFlight: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const url = new URL(request.url);
    const ip = url.searchParams.get("ipAddress");
    requests.push({
      ip,
      maxAgeInDays: url.searchParams.get("maxAgeInDays"),
      key: request.headers.get("Key"),
      accept: request.headers.get("Accept"),
    });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json", ...headers },
      });
    if (request.headers.get("Key") !== KEY) {
      return json(401, {
        errors: [{ detail: "Authentication failed. Your API key is either missing or invalid." }],
      });
    }
    const n = (counts.get(ip ?? "") ?? 0) + 1;
    counts.set(ip ?? "", n);
    const answer = answers(ip ?? "", n);
    if ("malformed" in answer) return new Response(answer.malformed, { status: 200 });
    if ("status" in answer) {
      const headers: Record<string, string> = answer.retryAfter === undefined
        ? {}
        : { "Retry-After": String(answer.retryAfter), "X-RateLimit-Remaining": "0" };
      return json(
        answer.status,
        { errors: [{ detail: answer.detail ?? "error", status: answer.status }] },
        headers,
      );
    }
    if ("delayMs" in answer) {
      state.inFlight++;
      state.mostInFlight = Math.max(state.mostInFlight, state.inFlight);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          waits.delete(timer);
          resolve();
        }, answer.delayMs);
        waits.set(timer, resolve);
      });
      state.inFlight--;
    }
    const remaining = "remaining" in answer ? answer.remaining : 999;
    return json(200, {
      data: {
        ipAddress: ip,
        isPublic: true,
        ipVersion: ip?.includes(":") ? 6 : 4,
        abuseConfidenceScore: answer.score,
        countryCode: "country" in answer ? answer.country : "US",
        totalReports: answer.score,
        lastReportedAt: "2026-11-20T10:00:00+00:00",
      },
    }, { "X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": String(remaining) });
  });
  const address = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${address.port}/api/v2/check`,
    requests,
    mostInFlight: () => state.mostInFlight,
    close: async () => {
      for (const [timer, resolve] of waits) {
        clearTimeout(timer);
        resolve();
      }
      await server.shutdown();
    },
  };
}
