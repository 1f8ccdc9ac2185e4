import { deepStrictEqual, match, ok } from "node:assert/strict";
import { startWebServer } from "./_web_server.ts";

Deno.test("serve answers a Host that is no host with 400 and one log line, never a stack trace", async () => {
  const server = startWebServer();
  try {
    for (const host of [`127.0.0.1:${server.port}.evil.com`, `127.0.0.1:${server.port}\tx`, "[::1", "a b"]) {
      const answer = await server.raw(
        `GET /api/connections HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      deepStrictEqual(answer.status, 400, `${JSON.stringify(host)}: ${answer.text}`);
      match(answer.text, /"error":"the Host header is not a host name or address with a port"/);
    }
    deepStrictEqual(server.uncaught, []);
    deepStrictEqual(server.log.length, 4);
    ok(server.log.every((line) => !line.includes("\n") && !line.includes("\t")), server.log.join("\n"));
    match(
      server.log[0] ?? "",
      /^serve: refused a request whose Host header is not a host: "127\.0\.0\.1:\d+\.evil\.com"$/,
    );
    const fine = await server.raw(
      `GET /api/connections HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
    );
    deepStrictEqual(fine.status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("serve compares Origin by scheme, host and port", async () => {
  const server = startWebServer();
  try {
    const ask = (origin: string) =>
      server.raw(
        `GET /api/connections HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nOrigin: ${origin}\r\nConnection: close\r\n\r\n`,
      );
    deepStrictEqual((await ask(`http://127.0.0.1:${server.port}`)).status, 200);
    for (
      const origin of [
        `https://127.0.0.1:${server.port}`,
        `http://127.0.0.1:${server.port + 1}`,
        "http://127.0.0.1",
        "null",
        `ws://127.0.0.1:${server.port}`,
      ]
    ) {
      deepStrictEqual((await ask(origin)).status, 403, origin);
    }
    deepStrictEqual(server.uncaught, []);
  } finally {
    await server.close();
  }
});

Deno.test("serve stops reading an /api/filter body at its 4 MiB limit, chunked or with a Content-Length", async () => {
  const server = startWebServer();
  try {
    // Declared too large: refused before a byte of the body is read.
    const declared = await server.raw(
      `POST /api/filter HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\n` +
        `Content-Length: 419430400\r\n\r\n{"keys": [`,
    );
    deepStrictEqual(declared.status, 413, declared.text);
    // Chunked, with no length: the client offers 400 MB and the server pulls little more than 4 MiB.
    let offered = 0;
    const chunk = new TextEncoder().encode(`"${"k".repeat(65_530)}",`);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offered >= 400 * 1024 * 1024) return controller.close();
        offered += chunk.length;
        controller.enqueue(chunk);
      },
    }, { highWaterMark: 0 });
    const response = await fetch(`http://127.0.0.1:${server.port}/api/filter`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    deepStrictEqual(response.status, 413);
    match(await response.text(), /larger than 4 MiB/);
    ok(offered < 64 * 1024 * 1024, `the client was made to send ${offered} bytes`);
    deepStrictEqual(server.uncaught, []);
  } finally {
    await server.close();
  }
});
