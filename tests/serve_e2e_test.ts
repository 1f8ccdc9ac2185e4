/**
 * `conntrail serve` end to end, over real HTTP on loopback: the JSON API, the
 * event stream and its cap, the Host, Origin and method checks, the token in
 * each of its three forms, and history and diff read back from the store.
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { freshLoopback, hasTool, withTempDirAndSockets } from "./open_sockets.ts";
import { runConntrail, type ServeProcess, startServe } from "./conntrail_process.ts";
import { waitFor } from "./waiting.ts";

const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");

async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

/** A request sent byte for byte (fetch will not set Host): the status code of the answer. */
async function rawStatus(port: string, request: string): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  try {
    await conn.write(new TextEncoder().encode(request.replaceAll("\n", "\r\n") + "\r\n"));
    const buffer = new Uint8Array(1024);
    const n = await conn.read(buffer);
    const head = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    return Number(head.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
  } finally {
    conn.close();
  }
}

/** Ask `/api/connections` until `found` holds for its connections. */
function waitForState(
  serve: ServeProcess,
  found: (connections: Record<string, unknown>[]) => boolean,
  init?: RequestInit,
): Promise<Record<string, unknown>[]> {
  return waitFor(async () => {
    const { body } = await getJson(`${serve.origin}/api/connections`, init);
    const connections = body.connections as Record<string, unknown>[];
    return found(connections) ? connections : null;
  }, `a live state that passes ${found}`);
}

/** Read an event stream until `count` events arrived; returns their names and data. */
async function readEvents(response: Response, count: number): Promise<{ event: string; data: unknown }[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const events: { event: string; data: unknown }[] = [];
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    let end;
    while ((end = text.indexOf("\n\n")) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const event = block.match(/^event: (.*)$/m)?.[1];
      const data = block.match(/^data: (.*)$/m)?.[1];
      if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

Deno.test({
  name: "serve: the API shows a loopback connection, builds its filters, and answers with strict headers",
  ignore: !linuxWithSs,
  async fn() {
    await withTempDirAndSockets(async (dir, control) => {
      const serve = await startServe(dir, ["--store", "none"]);
      try {
        deepStrictEqual(serve.token, null);
        const ip = freshLoopback();
        const conn = await control.open(ip);
        const connections = await waitForState(
          serve,
          // Both ends and the listener, each with its process (a socket can be new to ss before its owner is).
          (list) =>
            list.filter((c) => (c.remote_ip === ip || c.local_ip === ip) && c.pid === control.pid).length ===
              3,
        );
        const mine = connections.filter((c) => c.remote_ip === ip || c.local_ip === ip);
        ok(mine.every((c) => c.process_name === "python3" && c.pid === control.pid), JSON.stringify(mine));

        const filter = await getJson(`${serve.origin}/api/filter`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ keys: mine.map((c) => c.key) }),
        });
        deepStrictEqual(filter.status, 200);
        deepStrictEqual(filter.body.selected, mine.length);
        deepStrictEqual(filter.body.bpf, `(host ${ip} and tcp port ${conn.port})`, JSON.stringify(mine));
        deepStrictEqual(filter.body.wireshark, `(ip.addr == ${ip} && tcp.port == ${conn.port})`);

        const page = await fetch(`${serve.origin}/`);
        match(await page.text(), /<script type="module" src="\/app.js"><\/script>/);
        match(page.headers.get("content-security-policy") ?? "", /default-src 'none'; script-src 'self'/);
        deepStrictEqual(page.headers.get("x-content-type-options"), "nosniff");
        deepStrictEqual(page.headers.get("access-control-allow-origin"), null);
        const script = await fetch(`${serve.origin}/app.js`);
        match(script.headers.get("content-type") ?? "", /^text\/javascript/);
        ok(!(await script.text()).includes("innerHTML"), "the page's script writes markup from strings");

        await control.close(conn.id);
        await waitForState(
          serve,
          (list) => !list.some((c) => c.remote_ip === ip && c.status === "ESTABLISHED"),
        );
      } finally {
        const end = await serve.stop();
        deepStrictEqual(end.code, 0, end.stderr);
        match(end.stdout, /conntrail: served \d+ polls/);
      }
    });
  },
});

Deno.test({
  name: "serve: the exit summary lists the run's alerts, as the monitor's does",
  ignore: !linuxWithSs,
  async fn() {
    await withTempDirAndSockets(async (dir, control) => {
      const ip = freshLoopback();
      await Deno.writeTextFile(`${dir}/blocked.txt`, `${ip}\n`);
      const serve = await startServe(dir, [
        "--store",
        "none",
        "--blocklist",
        `${dir}/blocked.txt`,
        "--include-private",
      ]);
      let port = 0;
      try {
        port = (await control.open(ip)).port;
        await waitForState(
          serve,
          (list) => list.some((c) => c.remote_ip === ip && c.remote_port === port && c.pid === control.pid),
        );
      } finally {
        const end = await serve.stop();
        deepStrictEqual(end.code, 0, end.stderr);
        match(
          end.stdout,
          new RegExp(
            `conntrail: served \\d+ polls.*\\nalerts \\(1\\):\\n  ALERT TCP ${
              ip.replaceAll(".", "\\.")
            }:\\d+ python3 \\(PID ${control.pid}, [^)]*\\) blocklist ${dir}/blocked\\.txt:1 `,
          ),
        );
      }
    });
  },
});

Deno.test({
  name: "serve: other Host names, cross-origin requests, other methods and unknown paths are refused",
  ignore: !linuxWithSs,
  async fn() {
    const dir = await Deno.makeTempDir();
    const serve = await startServe(dir, ["--store", "none"]);
    try {
      const get = (host: string) =>
        rawStatus(serve.url.port, `GET /api/connections HTTP/1.1\nHost: ${host}\nConnection: close\n`);
      // A name rebound to 127.0.0.1 by another site's DNS is refused; this server's own names pass.
      deepStrictEqual(await get(`attacker.example:${serve.url.port}`), 403);
      deepStrictEqual(await get("127.0.0.1:1"), 403);
      deepStrictEqual(await get(`localhost:${serve.url.port}`), 200);
      deepStrictEqual(await get(`127.0.0.1:${serve.url.port}`), 200);
      const crossOrigin = await getJson(`${serve.origin}/api/connections`, {
        headers: { origin: "https://attacker.example" },
      });
      deepStrictEqual(crossOrigin.status, 403);
      const preflight = await fetch(`${serve.origin}/api/filter`, {
        method: "OPTIONS",
        headers: { origin: serve.origin, "access-control-request-method": "POST" },
      });
      deepStrictEqual([preflight.status, preflight.headers.get("access-control-allow-origin")], [405, null]);
      await preflight.body?.cancel();
      deepStrictEqual((await getJson(`${serve.origin}/api/connections`, { method: "POST" })).status, 405);
      const form = await getJson(`${serve.origin}/api/filter`, { method: "POST", body: "keys=x" });
      deepStrictEqual(form.status, 415);
      deepStrictEqual((await getJson(`${serve.origin}/api/nothing`)).status, 404);
      const bad = await getJson(`${serve.origin}/api/history?ip=not-an-ip`);
      deepStrictEqual([bad.status, bad.body.note], [200, "history is off (--store none)"]);
    } finally {
      deepStrictEqual((await serve.stop()).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "serve: on a non-loopback address a token is generated and every request, the event stream too, needs it",
  ignore: !linuxWithSs,
  async fn() {
    const dir = await Deno.makeTempDir();
    const serve = await startServe(dir, ["--host", "0.0.0.0", "--store", "none"]);
    try {
      const token = serve.token;
      ok(token !== null && token.length >= 40, `no token in ${serve.url}`);
      const api = `${serve.origin}/api/connections`;
      deepStrictEqual((await getJson(api)).status, 401);
      deepStrictEqual(
        (await getJson(api, { headers: { authorization: "Bearer wrong-token-0000000000" } })).status,
        401,
      );
      deepStrictEqual((await getJson(api, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      deepStrictEqual((await getJson(`${api}?token=${token}`)).status, 200);
      deepStrictEqual((await getJson(`${serve.origin}/api/events`)).status, 401);
      deepStrictEqual(
        await fetch(`${serve.origin}/app.js`).then((r) => r.body?.cancel().then(() => r.status)),
        401,
      );

      // Opening the printed address trades the token for a cookie scripts cannot read.
      const opened = await fetch(`${serve.origin}/?token=${token}`, { redirect: "manual" });
      await opened.body?.cancel();
      deepStrictEqual([opened.status, opened.headers.get("location")], [303, "/"]);
      const cookie = opened.headers.get("set-cookie") ?? "";
      match(cookie, /^conntrail_token=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
      const withCookie = { headers: { cookie: cookie.split(";")[0]! } };
      deepStrictEqual((await getJson(api, withCookie)).status, 200);
      const events = await fetch(`${serve.origin}/api/events`, withCookie);
      deepStrictEqual(events.status, 200);
      deepStrictEqual((await readEvents(events, 1)).map((e) => e.event), ["state"]);
    } finally {
      deepStrictEqual((await serve.stop()).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "serve: --token on loopback is required too, and --max-clients caps the event streams",
  ignore: !linuxWithSs,
  async fn() {
    const dir = await Deno.makeTempDir();
    const token = "a-token-of-my-own-1234";
    const serve = await startServe(dir, ["--token", token, "--max-clients", "2", "--store", "none"]);
    const auth = { headers: { authorization: `Bearer ${token}` } };
    try {
      deepStrictEqual(serve.token, token);
      deepStrictEqual((await getJson(`${serve.origin}/api/connections`)).status, 401);
      const first = await fetch(`${serve.origin}/api/events`, auth);
      const second = await fetch(`${serve.origin}/api/events`, auth);
      deepStrictEqual([first.status, second.status], [200, 200]);
      const third = await fetch(`${serve.origin}/api/events`, auth);
      deepStrictEqual([third.status, third.headers.get("retry-after")], [503, "10"]);
      await third.body?.cancel();
      const events = await readEvents(first, 2);
      deepStrictEqual(events.map((e) => e.event), ["state", "update"]);
      // readEvents cancelled the first stream: its place is free again once the server has seen it go.
      const fourth = await waitFor(async () => {
        const response = await fetch(`${serve.origin}/api/events`, auth);
        if (response.status === 200) return response;
        await response.body?.cancel();
        return null;
      }, "a free event stream place after one stream was cancelled");
      await fourth.body?.cancel();
      await second.body?.cancel();
    } finally {
      deepStrictEqual((await serve.stop()).code, 0);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "serve: history, alerts and diff come from the store the monitor writes",
  ignore: !linuxWithSs,
  async fn() {
    await withTempDirAndSockets(async (dir, control) => {
      const ip = freshLoopback();
      const conn = await control.open(ip);
      deepStrictEqual((await runConntrail(dir, ["snapshot", "--save", "--format", "json"])).code, 0);
      await control.close(conn.id);
      deepStrictEqual((await runConntrail(dir, ["snapshot", "--save", "--format", "json"])).code, 0);
      const serve = await startServe(dir, []);
      try {
        const other = freshLoopback();
        const second = await control.open(other);
        await waitForState(serve, (list) => list.some((c) => c.remote_ip === other));
        // History is written a second after each poll; ss can list a socket before its owner, and the
        // owner learned at a later poll reaches history too.
        type Found = {
          processes: string[];
          connections: { local_port: number; process_name: string | null }[];
        };
        const history = await waitFor(async () => {
          const body = (await getJson(`${serve.origin}/api/history?ip=${other}`)).body;
          const found = (body.addresses as Found[] | undefined)?.[0];
          const record = found?.connections.find((c) => c.local_port === second.client_port);
          return body.total === 1 && found?.processes.includes("python3") &&
              record?.process_name === "python3"
            ? body
            : null;
        }, `${other} in history with its process`);
        const address = (history.addresses as Record<string, unknown>[])[0]!;
        deepStrictEqual([address.ip, address.processes], [other, ["python3"]]);
        ok((address.connections as unknown[]).length >= 1);
        const list = (await getJson(`${serve.origin}/api/history?since=1h`)).body;
        ok((list.addresses as { ip: string }[]).some((a) => a.ip === other));
        deepStrictEqual((await getJson(`${serve.origin}/api/history?risk=EVIL`)).status, 400);
        // An empty field is no filter: what the page's form sends for "any risk".
        const blank = await getJson(`${serve.origin}/api/history?ip=&since=&risk=&process=&limit=`);
        deepStrictEqual(blank.status, 200, JSON.stringify(blank.body));
        ok((blank.body.addresses as { ip: string }[]).some((a) => a.ip === other));

        const diff = (await getJson(`${serve.origin}/api/diff`)).body;
        deepStrictEqual((diff.snapshots as unknown[]).length, 2);
        const changes = diff.diff as {
          removed: { remote_ip: string }[];
          changed: { after: { remote_ip: string } }[];
        };
        ok(
          [...changes.removed.map((c) => c.remote_ip), ...changes.changed.map((c) => c.after.remote_ip)]
            .includes(ip),
          JSON.stringify(changes),
        );
        deepStrictEqual((await getJson(`${serve.origin}/api/diff?from=99`)).status, 400);
        deepStrictEqual(Array.isArray((await getJson(`${serve.origin}/api/alerts`)).body.alerts), true);
        await control.close(second.id);
      } finally {
        const end = await serve.stop();
        deepStrictEqual(end.code, 0, end.stderr);
        match(end.stdout, /history: sqlite .*history\.db/);
      }
    });
  },
});
