/**
 * Campaign class "serve requests": raw HTTP to `conntrail serve`'s handler
 * on a real loopback server — random Host headers (ports with suffixes,
 * tabs, brackets, userinfo, escapes), Origins, methods, paths, query
 * strings and bodies. Every request gets an answer that is not a server
 * error, Deno.serve never catches an exception from the handler, and every
 * log line is one line.
 */
import { ok } from "node:assert/strict";
import { startWebServer } from "../web/_web_server.ts";
import { campaign, type Fuzz } from "./_fuzz.ts";

/** Percent-encoded, lone surrogates included (encodeURIComponent refuses them). */
function enc(text: string): string {
  return encodeURIComponent(text.toWellFormed());
}

function headerSafe(text: string): string {
  // What a client can put in a header at all: no CR, LF or NUL.
  return text.replace(/[\r\n\0]/g, "");
}

function host(fuzz: Fuzz, port: number): string {
  return headerSafe(fuzz.pick([
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    `[::1]:${port}`,
    `127.0.0.1:${port}.evil.com`,
    `127.0.0.1:${port}\tx`,
    `127.0.0.1:${fuzz.number()}`,
    `${fuzz.text(10)}:${port}`,
    `user@127.0.0.1:${port}`,
    "[::1",
    "",
    fuzz.text(30),
  ]));
}

function request(fuzz: Fuzz, port: number): string {
  const method = fuzz.pick(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "GET"]);
  const path = fuzz.pick([
    "/",
    "/api/connections",
    "/api/history",
    `/api/history?ip=${enc(fuzz.text(10))}&limit=${enc(fuzz.number())}`,
    `/api/history?since=${enc(fuzz.text(6))}&risk=${enc(fuzz.text(6))}`,
    `/api/alerts?limit=${enc(fuzz.number())}`,
    `/api/diff?from=${enc(fuzz.number())}&to=${enc(fuzz.number())}`,
    "/api/filter",
    "/app.js",
    "/../../etc/passwd",
    `/${enc(fuzz.text(20))}`,
    `/?token=${enc(fuzz.text(10))}`,
  ]);
  const headers = [`Host: ${host(fuzz, port)}`];
  if (fuzz.chance(0.4)) {
    headers.push(
      `Origin: ${
        headerSafe(
          fuzz.pick([`http://127.0.0.1:${port}`, `https://127.0.0.1:${port}`, "null", fuzz.text(20)]),
        )
      }`,
    );
  }
  if (fuzz.chance(0.2)) headers.push(`Authorization: Bearer ${headerSafe(fuzz.text(20))}`);
  if (fuzz.chance(0.2)) headers.push(`Cookie: conntrail_token=${headerSafe(fuzz.text(20))}`);
  const body = method === "POST"
    ? fuzz.pick([
      JSON.stringify({ keys: [fuzz.text(20), fuzz.text(20)] }),
      JSON.stringify({ keys: fuzz.text(5) }),
      "{",
      fuzz.text(100),
      JSON.stringify({ keys: Array.from({ length: fuzz.int(200) }, () => fuzz.text(30)) }),
    ])
    : "";
  if (method === "POST") headers.push(`Content-Type: ${fuzz.pick(["application/json", "text/plain", ""])}`);
  const bytes = new TextEncoder().encode(body);
  headers.push(`Content-Length: ${bytes.length}`, "Connection: close");
  return `${method} ${path} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n${body}`;
}

Deno.test("fuzz serve: hostile requests are answered below 500, nothing escapes the handler, logs stay one line", async () => {
  const server = startWebServer();
  try {
    const statuses = new Map<number, number>();
    await campaign("serve requests", 300, async (fuzz) => {
      const answer = await server.raw(request(fuzz, server.port));
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      ok(
        answer.status >= 200 && answer.status < 500,
        `status ${answer.status}: ${answer.text.slice(0, 300)}`,
      );
      ok(!/\n\s+at /.test(answer.text), `a stack trace in the answer: ${answer.text.slice(0, 300)}`);
    });
    ok(server.uncaught.length === 0, String(server.uncaught[0]));
    ok(server.log.every((line) => !line.includes("\n")), server.log.join("\n"));
    ok(
      (statuses.get(400) ?? 0) > 0 && (statuses.get(403) ?? 0) > 0 && (statuses.get(200) ?? 0) > 0,
      JSON.stringify([...statuses]),
    );
  } finally {
    await server.close();
  }
});
