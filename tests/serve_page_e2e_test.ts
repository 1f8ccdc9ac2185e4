/**
 * The web page in headless Chromium (Debian's `chromium`, driven by
 * playwright-core): a loopback connection the test opens appears, under its
 * process, and leaves when it closes; selecting it fills in the capture filters; and
 * a hostile PTR answer, from a real DNS server on loopback for a peer in a
 * network namespace the test creates, shows as text.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { type Browser, chromium, type Page } from "playwright-core";
import { startDnsServer } from "./dns_server.ts";
import { freshLoopback, hasTool, withTempDirAndSockets } from "./open_sockets.ts";
import { type ServeProcess, startServe } from "./conntrail_process.ts";
import { HANG_GUARD_MS, waitFor } from "./waiting.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});
const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");
const isRoot = Deno.build.os === "linux" && Deno.uid() === 0 && hasTool("ip");
/** Where the screenshot goes (CI keeps it as an artifact). */
const SCREENSHOT_DIR = new URL("../test-output/", import.meta.url);

async function openPage(serve: ServeProcess): Promise<{ browser: Browser; page: Page; dialogs: string[] }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox"],
    timeout: HANG_GUARD_MS,
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // Playwright's own 30 s default is a speed claim on a busy machine; waits here are for events.
  page.setDefaultTimeout(HANG_GUARD_MS);
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  await page.goto(serve.url.href);
  await page.locator("#status", { hasText: "live" }).waitFor({ timeout: HANG_GUARD_MS });
  return { browser, page, dialogs };
}

Deno.test({
  name:
    "serve page: a loopback connection appears under its process, builds capture filters, and leaves when closed",
  ignore: !linuxWithSs || CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDirAndSockets(async (dir, control) => {
      const serve = await startServe(dir, ["--store", "none"]);
      const { browser, page, dialogs } = await openPage(serve);
      try {
        const ip = freshLoopback();
        const conn = await control.open(ip);
        const rows = page.locator("tr.conn", { hasText: `${ip}:${conn.port}` });
        await rows.first().waitFor({ timeout: HANG_GUARD_MS });
        // Under its process, even if the first poll caught the socket before its owner.
        const group = page.locator("section.process", { hasText: `python3 (${control.pid})` });
        await group.locator("tr.conn", { hasText: `${ip}:${conn.port}` }).first().waitFor({
          timeout: HANG_GUARD_MS,
        });
        ok(
          (await group.locator(".label").textContent())?.startsWith("python3"),
          "not grouped under its process",
        );
        ok(((await group.locator(".timeline").textContent()) ?? "").length > 0, "no timeline");

        await rows.first().locator("input[type=checkbox]").check();
        const bpf = page.locator("#capture-bpf");
        // The page's policy allows no eval: the field is read through the locator, as a user would.
        await waitFor(async () => (await bpf.inputValue()) !== "", "the BPF filter of the selection");
        deepStrictEqual(await bpf.inputValue(), `(host ${ip} and tcp port ${conn.port})`);
        deepStrictEqual(
          await page.locator("#capture-wireshark").inputValue(),
          `(ip.addr == ${ip} && tcp.port == ${conn.port})`,
        );
        await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
        const shot = new URL("serve_page.png", SCREENSHOT_DIR);
        await page.screenshot({ path: shot.pathname, fullPage: true });
        const png = await Deno.readFile(shot);
        deepStrictEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"

        await control.close(conn.id);
        await rows.first().waitFor({ state: "detached", timeout: HANG_GUARD_MS });
        deepStrictEqual(await rows.count(), 0);
        deepStrictEqual(dialogs, []);
      } finally {
        await browser.close();
        deepStrictEqual((await serve.stop()).code, 0);
      }
    });
  },
});

/** A peer outside loopback: a network namespace joined by a veth pair, with a listener in it. */
async function peerInNamespace(): Promise<{ peer: string; port: number; close(): Promise<void> }> {
  const id = Math.floor(Math.random() * 60_000).toString(36);
  const ns = `ctns${id}`;
  const block = 4 * Math.floor(Math.random() * 60);
  const [host, peer] = [`198.51.100.${block + 1}`, `198.51.100.${block + 2}`];
  const ip = async (...args: string[]) => {
    const out = await new Deno.Command("ip", { args, stderr: "piped" }).output();
    if (!out.success) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  };
  await ip("netns", "add", ns);
  await ip("link", "add", `ctv${id}a`, "type", "veth", "peer", "name", `ctv${id}b`);
  await ip("link", "set", `ctv${id}b`, "netns", ns);
  await ip("addr", "add", `${host}/30`, "dev", `ctv${id}a`);
  await ip("link", "set", `ctv${id}a`, "up");
  await ip("netns", "exec", ns, "ip", "addr", "add", `${peer}/30`, "dev", `ctv${id}b`);
  await ip("netns", "exec", ns, "ip", "link", "set", `ctv${id}b`, "up");
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const listener = new Deno.Command("ip", {
    args: ["netns", "exec", ns, "python3", "-m", "http.server", "--bind", peer, String(port)],
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    peer,
    port,
    async close() {
      listener.kill();
      await listener.status;
      await ip("netns", "del", ns).catch(() => {});
      await ip("link", "del", `ctv${id}a`).catch(() => {});
    },
  };
}

Deno.test({
  name:
    "serve page: a PTR answer `<img src=x onerror=alert(1)>` shows as text, and no element or script comes of it",
  ignore: !linuxWithSs || CHROMIUM === undefined || !isRoot,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const hostile = "<img src=x onerror=alert(1)>";
    const namespace = await peerInNamespace();
    const dns = await startDnsServer({ [namespace.peer]: hostile });
    const dir = await Deno.makeTempDir();
    const serve = await startServe(dir, [
      "--store",
      "none",
      "--resolve-names",
      "--dns-server",
      `127.0.0.1:${dns.port}`,
    ]);
    const { browser, page, dialogs } = await openPage(serve);
    const client = new Deno.Command("python3", {
      args: [
        "-c",
        `import socket,sys,time\nfor i in range(1200):\n  try:\n    s=socket.create_connection(('${namespace.peer}',${namespace.port}));break\n  except OSError: time.sleep(0.1)\nprint('ok',flush=True)\nsys.stdin.read()`,
      ],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    try {
      const row = page.locator("tr.conn", { hasText: `${namespace.peer}:${namespace.port}` });
      await row.first().waitFor({ timeout: HANG_GUARD_MS });
      const name = row.first().locator(".hostname");
      await name.waitFor({ timeout: HANG_GUARD_MS });
      deepStrictEqual(await name.textContent(), hostile);
      deepStrictEqual(await page.locator("img").count(), 0);
      deepStrictEqual(await page.evaluate('document.querySelectorAll("[onerror]").length'), 0);
      // A dialog opened while the name was drawn would block the page: a script run after it proves there
      // was none, and any dialog would have been reported before its answer.
      deepStrictEqual(await page.evaluate("1 + 1"), 2);
      deepStrictEqual(dialogs, []);
      ok(dns.queries.length > 0, "the DNS server was never asked");
    } finally {
      await client.stdin.close();
      await client.stdout.cancel();
      await client.status;
      await browser.close();
      deepStrictEqual((await serve.stop()).code, 0);
      await dns.close();
      await namespace.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
