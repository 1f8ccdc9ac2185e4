/**
 * The web page in headless Chromium (tests/chromium.ts): a loopback
 * connection the test opens appears within 2 s and leaves when it closes;
 * selecting it fills in the capture filters; the History tab asks for what
 * its form holds and answers; and a hostile PTR answer, from a real DNS server
 * for a peer in a second network namespace the test creates, shows as text.
 * Where it can (root), the page, the server and the sockets run in a network
 * namespace of the test's own, so other tests' sockets neither slow `ss` nor
 * crowd the list (the hostile-PTR test needs root, and always does).
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import type { Page } from "playwright-core";
import { CHROMIUM, launchChromium, type OpenBrowser } from "./chromium.ts";
import { startDnsServer } from "./dns_server.ts";
import { freeBlock } from "./namespace_peers.ts";
import { canMakeNetns, makeNetns, type Netns } from "./netns.ts";
import { freshLoopback, hasTool, type SocketControl, socketControl } from "./open_sockets.ts";
import { type ServeProcess, startServe } from "./conntrail_process.ts";
import { HANG_GUARD_MS, waitFor } from "./waiting.ts";

const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");
const isRoot = Deno.build.os === "linux" && Deno.uid() === 0 && hasTool("ip");
/** Where the screenshot goes (CI keeps it as an artifact). */
const SCREENSHOT_DIR = new URL("../test-output/", import.meta.url);

/** Everything a page test runs against, in a namespace of its own where one can be made. */
interface PageSetup {
  dir: string;
  control: SocketControl;
  serve: ServeProcess;
  browser: OpenBrowser;
  page: Page;
}

async function withPage(
  serveArgs: string[],
  work: (setup: PageSetup) => Promise<void>,
  options: { beforeLoad?: (page: Page) => Promise<void> } = {},
): Promise<void> {
  const netns: Netns | null = canMakeNetns ? await makeNetns("ctpage") : null;
  const prefix = netns?.prefix ?? [];
  const dir = await Deno.makeTempDir();
  const control = socketControl(prefix);
  let serve: ServeProcess | null = null;
  let browser: OpenBrowser | null = null;
  try {
    serve = await startServe(dir, serveArgs, { prefix });
    browser = await launchChromium({
      width: 1400,
      height: 900,
      ...(netns === null ? {} : { netnsPrefix: prefix }),
    });
    await options.beforeLoad?.(browser.page);
    await browser.page.goto(serve.url.href);
    await waitLive(browser);
    await work({ dir, control, serve, browser, page: browser.page });
    deepStrictEqual(browser.dialogs, []);
    deepStrictEqual(browser.errors, []);
  } finally {
    await browser?.close();
    const end = await serve?.stop();
    await control.stop();
    await netns?.close();
    await Deno.remove(dir, { recursive: true });
    if (end !== undefined) deepStrictEqual(end.code, 0, end.stderr);
  }
}

/** The page's resource timings, as a function run in the page sees them. */
type PageTimings = {
  performance: {
    getEntriesByType(type: "resource"): { name: string; duration: number; responseStatus?: number }[];
  };
};

/**
 * Wait for the page's status to say "live" (its first state applied). A page that never gets there fails
 * with what its status said last and the page's own errors, not only the timeout.
 */
async function waitLive(browser: OpenBrowser): Promise<void> {
  const status = browser.page.locator("#status");
  try {
    await status.filter({ hasText: "live" }).waitFor({ timeout: HANG_GUARD_MS });
  } catch (error) {
    const said = await status.textContent({ timeout: 5_000 }).catch((e) => `(unread: ${e})`);
    // What the page asked of the server, and what came back (0: no answer, or none yet).
    const asked = await browser.page.evaluate(() =>
      (globalThis as unknown as PageTimings).performance.getEntriesByType("resource").map((entry) =>
        `${new URL(entry.name).pathname} ${entry.responseStatus ?? "?"} ${Math.round(entry.duration)} ms`
      )
    ).catch((e) => [`(unread: ${e})`]);
    throw new Error(
      `the page never went live: its status says ${JSON.stringify(said)}; page errors: ${
        JSON.stringify(browser.errors)
      }; requests: ${JSON.stringify(asked)}`,
      { cause: error },
    );
  }
}

/** Narrow the list to rows matching `text` (the list only holds the rows in view). */
async function search(page: Page, text: string): Promise<void> {
  await page.locator("#live-search").fill(text);
}

/** The number of updates the page has applied. */
async function updatesApplied(page: Page): Promise<number> {
  return Number(await page.evaluate("document.documentElement.dataset.updates ?? 0"));
}

/** The page's own globals, as a function run in the page sees them. */
type PageGlobals = { document: { documentElement: { dataset: { updates?: string } } } };

/** Wait until the page has applied an update after the `seen`-th. */
async function waitForUpdateAfter(page: Page, seen: number): Promise<void> {
  // A function, not a string: the page's Content-Security-Policy forbids evaluating strings.
  await page.waitForFunction(
    (n) => Number((globalThis as unknown as PageGlobals).document.documentElement.dataset.updates ?? 0) > n,
    seen,
    { timeout: HANG_GUARD_MS },
  );
}

Deno.test({
  name:
    "serve page: a loopback connection appears under its process, builds capture filters, and leaves when closed",
  ignore: !linuxWithSs || CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withPage(["--store", "none"], async ({ control, page }) => {
      const ip = freshLoopback();
      await search(page, ip);
      const conn = await control.open(ip);
      const rows = page.locator(".row.conn", { hasText: `${ip}:${conn.port}` });
      await rows.first().waitFor({ timeout: HANG_GUARD_MS });
      // Under its process, even if the first poll caught the socket before its owner.
      const owned = page.locator(`.row.conn[data-process-key="${control.pid} python3"]`, {
        hasText: `${ip}:${conn.port}`,
      });
      await owned.first().waitFor({ timeout: HANG_GUARD_MS });
      const group = page.locator(`.list-body .row.group[data-process-key="${control.pid} python3"]`);
      deepStrictEqual(await group.locator(".label").textContent(), `python3 (${control.pid})`);
      ok(((await group.locator(".timeline").textContent()) ?? "").length > 0, "no timeline");
      // The listener, the client's socket and the accepted one each have a row, under the process. A poll can
      // list the connection before its listener (ss lists listeners first, and serve holds a socket back
      // until a walk of the processes names its owner): wait for the three.
      await waitFor(async () => (await owned.count()) === 3, "three rows under python3");
      deepStrictEqual(await rows.count(), 3);

      await rows.first().locator("input.pick").check();
      // The page's policy allows no eval: the field is read through the locator, as a user would.
      await waitFor(
        async () => (await page.locator("#capture-bpf").inputValue()) !== "",
        "the BPF filter of the selection",
      );
      deepStrictEqual(
        await page.locator("#capture-bpf").inputValue(),
        `(host ${ip} and tcp port ${conn.port})`,
      );
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
      match(await page.locator(".list-empty").textContent() ?? "", /Nothing matches/);
    });
  },
});

Deno.test({
  name: "serve page: the History tab asks only for the fields filled in, and lists what history recorded",
  ignore: !linuxWithSs || CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withPage([], async ({ control, page }) => {
      const ip = freshLoopback();
      await control.open(ip);
      // History is written a second after each poll: wait until the server has it (asked from the page,
      // which shares the server's network namespace).
      await waitFor(async () => {
        const answer = await page.evaluate(`fetch("/api/history?ip=${ip}").then((r) => r.json())`) as {
          total: number;
        };
        return answer.total === 1;
      }, `${ip} in history`);
      const asked: { url: string; status: number }[] = [];
      page.on("response", (response) => {
        if (response.url().includes("/api/history")) {
          asked.push({ url: response.url(), status: response.status() });
        }
      });
      await page.locator(".tab[data-view=history]").click();
      const note = page.locator("#history-note");
      await note.filter({ hasText: /addresses/ }).waitFor();
      match((await note.textContent()) ?? "", /^\d+ addresses/);
      deepStrictEqual(asked.map((a) => [new URL(a.url).search, a.status]), [["", 200]]);

      await page.locator("#history-form input[name=ip]").fill(ip);
      await page.locator("#history-form select[name=risk]").selectOption("");
      await page.locator("#history-form button[type=submit]").click();
      // The unfiltered list already shows a row for this address, so wait for the filtered answer itself.
      await waitFor(() => asked.length > 1, "the filtered history request");
      deepStrictEqual(asked.map((a) => [new URL(a.url).search, a.status]).at(-1), [`?ip=${ip}`, 200]);
      await page.locator(".history-row", { hasText: ip }).waitFor({ timeout: HANG_GUARD_MS });
      await page.locator("#history-detail h2", { hasText: ip }).waitFor();
    });
  },
});

Deno.test({
  name:
    "serve page: a module that fails to load (the network changed under it) reloads the page, which goes live",
  ignore: !linuxWithSs || CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Chromium fails requests in flight with net::ERR_NETWORK_CHANGED when an address of its namespace
    // changes; one of app.js's imports failing that way left the page at "connecting…" for good.
    let asked = 0;
    const failFirst = async (page: Page) => {
      await page.route("**/tabs.js", async (route) => {
        if (++asked === 1) await route.abort("internetdisconnected");
        else await route.continue();
      });
    };
    await withPage(["--store", "none"], async ({ browser, page }) => {
      // Live, after a reload that fetched tabs.js again.
      deepStrictEqual(asked, 2);
      ok(
        browser.errors.length > 0 && browser.errors.every((e) => e.includes("ERR_INTERNET_DISCONNECTED")),
        JSON.stringify(browser.errors),
      );
      browser.errors.length = 0;
      // The count of reloads in a row starts again once the page's code has loaded.
      deepStrictEqual(
        await page.evaluate(() =>
          (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } })
            .sessionStorage
            .getItem("conntrail-reloads")
        ),
        null,
      );
    }, { beforeLoad: failFirst });
  },
});

/**
 * Run in every document the page opens, before its scripts: boot.js's wait before a reload (its one
 * setTimeout; the page's other timers are left alone) is noted in sessionStorage, with what the status said
 * and the count of failed loads boot.js kept at that moment, and is not waited: the reload comes at once. The
 * test reads the delays boot.js asked for; it never waits them.
 */
const NOTE_BOOT_WAITS = `(() => {
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = function (handler, delay, ...rest) {
    if (!String(new Error().stack).includes("/boot.js:")) return realSetTimeout.call(this, handler, delay, ...rest);
    const status = document.getElementById("status");
    const noted = JSON.parse(sessionStorage.getItem("test-boot-waits") ?? "[]");
    noted.push({
      delay,
      status: status.textContent,
      kind: status.dataset.kind,
      count: sessionStorage.getItem("conntrail-reloads"),
    });
    sessionStorage.setItem("test-boot-waits", JSON.stringify(noted));
    return realSetTimeout.call(this, handler, 0, ...rest);
  };
})();`;

/** What NOTE_BOOT_WAITS noted of one wait. */
interface BootWait {
  delay: number;
  status: string;
  kind: string;
  count: string | null;
}

/** sessionStorage.getItem in the page. */
async function sessionItem(page: Page, key: string): Promise<string | null> {
  return await page.evaluate(
    (key) =>
      (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage
        .getItem(key),
    key,
  );
}

/**
 * The wait boot.js asks for after `failures` failed loads in a row, and what the status says meanwhile: the
 * module script whose graph failed (app.js, which imports tabs.js) is what it can name.
 */
function bootWait(failures: number, delay: number): BootWait {
  const times = failures === 1 ? "" : ` ${failures} times in a row`;
  return {
    delay,
    status: `the page's code (/app.js) did not load${times}; reloading in ${delay / 1000} s…`,
    kind: "down",
    count: String(failures),
  };
}

Deno.test({
  name:
    "serve page: loads that fail in a row reload after 1, 2, 4 … 30 s, saying so, and the count starts again once the page's code has loaded",
  ignore: !linuxWithSs || CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // tabs.js fails this many loads in a row, then loads; then once more after the page was live.
    let failFor = 7;
    let asked = 0;
    const failing = async (page: Page) => {
      await page.addInitScript({ content: NOTE_BOOT_WAITS });
      await page.route("**/tabs.js", async (route) => {
        asked++;
        if (failFor > 0) {
          failFor--;
          await route.abort("internetdisconnected");
        } else {
          await route.continue();
        }
      });
    };
    await withPage(["--store", "none"], async ({ browser, page }) => {
      deepStrictEqual(asked, 8);
      const waits = JSON.parse(await sessionItem(page, "test-boot-waits") ?? "[]");
      deepStrictEqual(waits, [
        bootWait(1, 1_000),
        bootWait(2, 2_000),
        bootWait(3, 4_000),
        bootWait(4, 8_000),
        bootWait(5, 16_000),
        bootWait(6, 30_000),
        bootWait(7, 30_000),
      ]);
      // The page's code has loaded: the count is gone, and a load that fails now is the first in a row.
      deepStrictEqual(await sessionItem(page, "conntrail-reloads"), null);
      failFor = 1;
      await page.reload();
      await waitFor(() => asked === 10, "the reload after one more failed load");
      await waitLive(browser);
      deepStrictEqual(JSON.parse(await sessionItem(page, "test-boot-waits") ?? "[]").slice(7), [
        bootWait(1, 1_000),
      ]);
      deepStrictEqual(await sessionItem(page, "conntrail-reloads"), null);
      ok(
        browser.errors.length === 8 && browser.errors.every((e) => e.includes("ERR_INTERNET_DISCONNECTED")),
        JSON.stringify(browser.errors),
      );
      browser.errors.length = 0;
    }, { beforeLoad: failing });
  },
});

/** Run a command and return its output; fail with its stderr. */
async function output(command: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  const decoder = new TextDecoder();
  if (!out.success) throw new Error(`${command} ${args.join(" ")}: ${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout);
}

/** Run `ip …` and fail with its stderr. */
async function ip(...args: string[]): Promise<void> {
  await output("ip", ...args);
}

/**
 * Where the hostile-PTR test runs, apart from the machine's own network namespace as the other page tests
 * are: serve and Chromium in a namespace of the test's own (`page`); a peer outside loopback in a second one,
 * joined to it by a veth pair, with a listener; and a link from the machine's namespace to `page`, where this
 * process's DNS server answers serve (on `dnsHost`).
 */
interface HostileNetwork {
  page: Netns;
  peer: string;
  port: number;
  /** The address in this process's namespace that serve reaches it by. */
  dnsHost: string;
  close(): Promise<void>;
}

async function hostileNetwork(): Promise<HostileNetwork> {
  const id = Math.floor(Math.random() * 60_000).toString(36);
  const peerNs = `ctns${id}`;
  // Two /30s: page <-> peer, and this namespace <-> page.
  const { block, release } = await freeBlock(8);
  const [pageSide, peer, dnsHost, pageDnsSide] = [1, 2, 5, 6].map((n) => `198.51.100.${block + n}`) as [
    string,
    string,
    string,
    string,
  ];
  let page: Netns | null = null;
  let listener: Deno.ChildProcess | null = null;
  const close = async () => {
    if (listener !== null) {
      listener.kill();
      await listener.status;
    }
    await ip("netns", "del", peerNs).catch(() => {});
    await page?.close().catch(() => {});
    // Gone with its namespace's end; removed here when that end never got there.
    await ip("link", "del", `ctv${id}a`).catch(() => {});
    await ip("link", "del", `ctv${id}c`).catch(() => {});
    release();
  };
  try {
    page = await makeNetns("ctpage");
    const inPage = (...args: string[]) => ip("netns", "exec", page!.name, "ip", ...args);
    const inPeer = (...args: string[]) => ip("netns", "exec", peerNs, "ip", ...args);
    await ip("netns", "add", peerNs);
    // No IPv6 link-local address on the veths (`addrgenmode none`): it would appear a moment after the link
    // comes up, after duplicate address detection, and Chromium fails every request in flight when an address
    // of its namespace changes (net::ERR_NETWORK_CHANGED): a page whose modules were loading then never runs.
    await ip("link", "add", `ctv${id}a`, "type", "veth", "peer", "name", `ctv${id}b`);
    await ip("link", "set", `ctv${id}a`, "netns", page.name);
    await ip("link", "set", `ctv${id}b`, "netns", peerNs);
    // Set in the namespace: a link's IPv6 settings start afresh in the one it moves to.
    await inPage("link", "set", "dev", `ctv${id}a`, "addrgenmode", "none");
    await inPage("addr", "add", `${pageSide}/30`, "dev", `ctv${id}a`);
    await inPage("link", "set", `ctv${id}a`, "up");
    await inPeer("addr", "add", `${peer}/30`, "dev", `ctv${id}b`);
    await inPeer("link", "set", `ctv${id}b`, "up");
    await ip("link", "add", `ctv${id}c`, "type", "veth", "peer", "name", `ctv${id}d`);
    await ip("link", "set", `ctv${id}d`, "netns", page.name);
    await inPage("link", "set", "dev", `ctv${id}d`, "addrgenmode", "none");
    // Nor on this namespace's end: a browser another test runs here would see its address arrive too.
    await ip("link", "set", "dev", `ctv${id}c`, "addrgenmode", "none");
    await ip("addr", "add", `${dnsHost}/30`, "dev", `ctv${id}c`);
    await ip("link", "set", `ctv${id}c`, "up");
    await inPage("addr", "add", `${pageDnsSide}/30`, "dev", `ctv${id}d`);
    await inPage("link", "set", `ctv${id}d`, "up");
    // Chromium starts once the namespace has stopped changing: both links up (their carrier comes a moment
    // after `up`) and no address of it still tentative.
    await waitFor(async () => {
      const links = await output("ip", "-n", page!.name, "-o", "link", "show", "type", "veth");
      const tentative = await output("ip", "-n", page!.name, "-o", "addr", "show", "tentative");
      return links.split("\n").filter((line) => /state UP/.test(line)).length === 2 &&
        tentative.trim() === "";
    }, `the veths of ${page.name} up, no address tentative`);
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    listener = new Deno.Command("ip", {
      args: ["netns", "exec", peerNs, "python3", "-m", "http.server", "--bind", peer, String(port)],
      stdout: "null",
      stderr: "null",
    }).spawn();
    return { page, peer, port, dnsHost, close };
  } catch (error) {
    await close();
    throw error;
  }
}

Deno.test({
  name:
    "serve page: a PTR answer `<img src=x onerror=alert(1)>` shows as text, and no element or script comes of it",
  ignore: !linuxWithSs || CHROMIUM === undefined || !isRoot,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const hostile = "<img src=x onerror=alert(1)>";
    const network = await hostileNetwork();
    // Whatever fails below, the namespaces, their veths and the DNS server go (a failure used to leave them).
    const dns = await startDnsServer({ [network.peer]: hostile }, [], new Map(), network.dnsHost).catch(
      async (error) => {
        await network.close();
        throw error;
      },
    );
    const dir = await Deno.makeTempDir();
    try {
      await seeHostileName(network, dns, dir, hostile);
    } finally {
      await dns.close();
      await network.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The serve page under Chromium shows the hostile PTR name `hostile` of the namespace's peer as text. */
async function seeHostileName(
  network: HostileNetwork,
  dns: Awaited<ReturnType<typeof startDnsServer>>,
  dir: string,
  hostile: string,
): Promise<void> {
  const prefix = network.page.prefix;
  const serve = await startServe(dir, [
    "--store",
    "none",
    "--resolve-names",
    "--dns-server",
    `${network.dnsHost}:${dns.port}`,
  ], { prefix });
  let served = false;
  try {
    const browser = await launchChromium({ width: 1400, height: 900, netnsPrefix: prefix });
    try {
      await pageShowsAsText(browser, serve.url.href, network, dns, hostile);
    } finally {
      await browser.close();
    }
    served = true;
  } finally {
    const { code, stderr } = await serve.stop();
    // A failure above is the one to report (with what serve said, for a page that never went live); the exit
    // code matters when everything else passed.
    if (served) deepStrictEqual(code, 0, stderr);
    else console.error(`serve exited with ${code}; its stderr:\n${stderr}`);
  }
}

/** Connect to the namespace's peer and check the page names it `hostile`, as text only. */
async function pageShowsAsText(
  browser: OpenBrowser,
  url: string,
  network: HostileNetwork,
  dns: Awaited<ReturnType<typeof startDnsServer>>,
  hostile: string,
): Promise<void> {
  const { page, dialogs } = browser;
  await page.goto(url);
  await waitLive(browser);
  await search(page, network.peer);
  const [command, ...prefixArgs] = [...network.page.prefix, "python3"];
  const client = new Deno.Command(command!, {
    args: [
      ...prefixArgs,
      "-c",
      `import socket,sys,time\nfor i in range(1200):\n  try:\n    s=socket.create_connection(('${network.peer}',${network.port}));break\n  except OSError: time.sleep(0.1)\nprint('ok',flush=True)\nsys.stdin.read()`,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  try {
    const row = page.locator(".row.conn", { hasText: `${network.peer}:${network.port}` });
    await row.first().waitFor({ timeout: HANG_GUARD_MS });
    const name = row.first().locator(".hostname", { hasText: "onerror" });
    await name.waitFor({ timeout: HANG_GUARD_MS });
    deepStrictEqual(await name.textContent(), hostile);
    // The count panel names the address with its PTR name: text there too.
    await page.locator("#count-addresses .pick-count", { hasText: hostile }).waitFor({
      timeout: HANG_GUARD_MS,
    });
    deepStrictEqual(await page.locator("img").count(), 0);
    deepStrictEqual(await page.evaluate('document.querySelectorAll("[onerror]").length'), 0);
    // Give a script that should not exist a whole update to run.
    const seen = await updatesApplied(page);
    await waitForUpdateAfter(page, seen);
    deepStrictEqual(dialogs, []);
    ok(dns.queries.length > 0, "the DNS server was never asked");
  } finally {
    await client.stdin.close();
    await client.stdout.cancel();
    await client.status;
  }
}

Deno.test({
  name: "serve page at 420 px: a blocklisted row shows its whole BLOCKLISTED badge and its country",
  ignore: !linuxWithSs || CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const ip = freshLoopback();
    const lists = await Deno.makeTempDir();
    const list = `${lists}/blocked.txt`;
    await Deno.writeTextFile(list, `${ip}\n`);
    try {
      await withPage(
        ["--store", "none", "--blocklist", list, "--include-private"],
        async ({ control, page }) => {
          await page.setViewportSize({ width: 420, height: 860 });
          await search(page, ip);
          const conn = await control.open(ip);
          const row = page.locator(".row.conn", { hasText: `${ip}:${conn.port}` }).filter({
            has: page.locator(".risk-malicious"),
          });
          await row.first().waitFor({ timeout: HANG_GUARD_MS });
          // A cell cut short shows an ellipsis: its content is wider than the room it has.
          const cut = await row.first().evaluate((r) =>
            [
              ...(r as unknown as {
                children: Iterable<{ className: string; scrollWidth: number; clientWidth: number }>;
              })
                .children,
            ]
              .filter((cell) =>
                /c-(risk|country|state)/.test(cell.className) && cell.scrollWidth > cell.clientWidth
              )
              .map((cell) => `${cell.className}: ${cell.scrollWidth} > ${cell.clientWidth}`)
          );
          deepStrictEqual(cut, []);
          deepStrictEqual(await row.first().locator(".risk").textContent(), "BLOCKLISTED");
        },
      );
    } finally {
      await Deno.remove(lists, { recursive: true });
    }
  },
});

Deno.test("web/*.js builds no markup from text: no innerHTML, outerHTML, insertAdjacentHTML or document.write", async () => {
  const found: string[] = [];
  for await (const entry of Deno.readDir(new URL("../web/", import.meta.url))) {
    if (!entry.name.endsWith(".js")) continue;
    const text = await Deno.readTextFile(new URL(`../web/${entry.name}`, import.meta.url));
    for (const sink of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "srcdoc"]) {
      for (const line of text.split("\n")) {
        if (line.includes(sink) && !line.trimStart().startsWith("//")) {
          found.push(`${entry.name}: ${line.trim()}`);
        }
      }
    }
  }
  deepStrictEqual(found, []);
});
