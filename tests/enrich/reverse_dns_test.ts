import { nextTurn } from "../waiting.ts";
import { deepStrictEqual, ok } from "node:assert/strict";
import { ptrResolver, ReverseDns } from "../../lib/enrich/reverse_dns.ts";
import { startDnsServer } from "../dns_server.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();

Deno.test("ReverseDns asks a real DNS server on loopback, caches names and misses", async () => {
  const server = await startDnsServer({ "192.0.2.5": "five.test.", "2001:db8::5": "six.test." });
  try {
    const names = new ReverseDns(ptrResolver(platform.network, { ipAddr: "127.0.0.1", port: server.port }));
    for (const ip of ["192.0.2.5", "2001:db8::5", "192.0.2.8"]) deepStrictEqual(names.lookup(ip), undefined);
    await names.idle();
    deepStrictEqual(["192.0.2.5", "2001:db8::5", "192.0.2.8"].map((ip) => names.lookup(ip)), [
      "five.test",
      "six.test",
      null,
    ]);
    deepStrictEqual(server.queries.length, 3, "a cached answer was asked for again");
    deepStrictEqual(names.failures, 0);
  } finally {
    await server.close();
  }
});

Deno.test("ReverseDns gives up on a server that does not answer, counts it, and asks again only later", async () => {
  const server = await startDnsServer({}, ["192.0.2.7"]);
  let now = 0;
  try {
    const names = new ReverseDns(ptrResolver(platform.network, { ipAddr: "127.0.0.1", port: server.port }), {
      timeoutMs: 200,
      negativeTtlMs: 1000,
      now: () => now,
    });
    names.lookup("192.0.2.7");
    await names.idle();
    deepStrictEqual([names.lookup("192.0.2.7"), names.failures], [null, 1]);
    now = 2000;
    deepStrictEqual(names.lookup("192.0.2.7"), null, "an expired answer is shown until the new one arrives");
    await names.idle();
    deepStrictEqual(server.queries.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("ReverseDns passes on a hostile PTR name as data; rendering makes it safe", async () => {
  const server = await startDnsServer({ "192.0.2.6": "\x1b[31mevil\x1b[2J.test" });
  try {
    const names = new ReverseDns(ptrResolver(platform.network, { ipAddr: "127.0.0.1", port: server.port }));
    names.lookup("192.0.2.6");
    await names.idle();
    const name = names.lookup("192.0.2.6") ?? "";
    ok(name.includes("evil"), `unexpected name ${JSON.stringify(name)}`);
  } finally {
    await server.close();
  }
});

Deno.test("ReverseDns keeps at most `concurrency` queries in flight and never blocks lookup()", async () => {
  // Queries answer only when the test lets them: lookup() must return while they all wait.
  const pending: (() => void)[] = [];
  let inFlight = 0;
  let most = 0;
  const names = new ReverseDns(async (ip) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise<void>((resolve) => pending.push(resolve));
    inFlight--;
    return [`h${ip.split(".").at(-1)}.test.`];
  }, { concurrency: 3 });
  for (let i = 1; i <= 30; i++) deepStrictEqual(names.lookup(`198.51.100.${i}`), undefined);
  deepStrictEqual([inFlight, pending.length], [3, 3], "three asked, the rest queued, none answered");
  const idle = names.idle();
  while (inFlight > 0 || pending.length > 0) {
    pending.shift()?.();
    await nextTurn();
  }
  await idle;
  deepStrictEqual(most, 3);
  deepStrictEqual(names.lookup("198.51.100.30"), "h30.test");
});

Deno.test("ReverseDns reports a missing net permission through onError", async () => {
  const errors: unknown[] = [];
  const names = new ReverseDns(() => Promise.reject(new Deno.errors.NotCapable("Requires net access")), {
    onError: (error) => errors.push(error),
  });
  names.lookup("192.0.2.1");
  await names.idle();
  ok(errors[0] instanceof Deno.errors.NotCapable);
});

Deno.test("ptrResolver(platform.network, ) gives back a hostile PTR name exactly as the server sent it", async () => {
  const hostile = "<img src=x onerror=alert(1)>";
  const server = await startDnsServer({ "192.0.2.7": hostile });
  try {
    const names = await ptrResolver(platform.network, { ipAddr: "127.0.0.1", port: server.port })(
      "192.0.2.7",
      new AbortController().signal,
    );
    deepStrictEqual(names, [`${hostile}.`]);
  } finally {
    await server.close();
  }
});
