/**
 * `serve` with byte counters (`--traffic`, the default) in headless Chromium
 * (tests/chromium.ts): bytes a loopback connection moves show up in the page's
 * top talkers (process, destination, country, network) and its throughput
 * chart; with `--no-traffic` the panel stays hidden. Where it can (root), the
 * page, the server and the sockets run in a network namespace of their own.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { CHROMIUM, launchChromium, type OpenBrowser } from "./chromium.ts";
import { canMakeNetns, makeNetns, type Netns } from "./netns.ts";
import { freshLoopback, hasTool, type SocketControl, socketControl } from "./open_sockets.ts";
import { type ServeProcess, startServe } from "./conntrail_process.ts";
import { HANG_GUARD_MS, waitFor } from "./waiting.ts";

const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");

async function withPage(
  serveArgs: string[],
  work: (setup: { control: SocketControl; browser: OpenBrowser }) => Promise<void>,
): Promise<void> {
  const netns: Netns | null = canMakeNetns ? await makeNetns("cttraffic") : null;
  const prefix = netns?.prefix ?? [];
  const dir = await Deno.makeTempDir();
  const control = socketControl(prefix);
  let serve: ServeProcess | null = null;
  let browser: OpenBrowser | null = null;
  try {
    serve = await startServe(dir, serveArgs, { prefix });
    browser = await launchChromium({
      width: 1400,
      height: 1000,
      ...(netns === null ? {} : { netnsPrefix: prefix }),
    });
    await browser.page.goto(serve.url.href);
    await browser.page.locator("#status", { hasText: "live" }).waitFor({ timeout: HANG_GUARD_MS });
    await work({ control, browser });
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

Deno.test({
  name: "serve page: a loopback download shows in the top talkers and the throughput chart",
  ignore: !linuxWithSs || CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withPage(["--store", "none", "-t", "0.5"], async ({ control, browser }) => {
      const { page } = browser;
      await page.locator("#traffic").waitFor({ state: "visible", timeout: HANG_GUARD_MS });
      const ip = freshLoopback();
      const connection = await control.open(ip);
      await control.send(connection.id, 3 * 1024 * 1024, 8 * 1024 * 1024);

      // The process (its pid inside a namespace is not the one the test knows: its name is). A poll taken
      // during the transfer lists the talkers with part of the bytes (a few KiB, nothing back yet): wait for
      // the totals of the whole transfer, not for the first listing.
      const process = page.locator("#top-processes .talker", { hasText: "python3" }).filter({
        hasText: /MiB sent/,
      });
      await process.first().waitFor({ timeout: HANG_GUARD_MS });
      ok(/MiB sent/.test(await process.first().locator(".talker-total").textContent() ?? ""));
      // Loopback is its own destination (both ends are on this machine): the address is listed.
      const destination = page.locator("#top-destinations .talker", { hasText: ip }).filter({
        hasText: /MiB sent.*MiB received/,
      });
      await destination.waitFor({ timeout: HANG_GUARD_MS });
      const total = await destination.locator(".talker-total").textContent() ?? "";
      ok(/MiB sent/.test(total) && /MiB received/.test(total), total);
      // A talker is a button that filters the connection list to it.
      await destination.locator("button.pick-count").click();
      deepStrictEqual(await page.locator("#live-search").inputValue(), ip);
      // A loopback address has no country nor AS: counted as "local network", as the count panels do.
      await page.locator("#top-countries .talker", { hasText: "local network" }).first().waitFor({
        timeout: HANG_GUARD_MS,
      });
      await page.locator("#top-networks .talker", { hasText: "local network" }).first().waitFor({
        timeout: HANG_GUARD_MS,
      });
      // The chart draws a line per direction once two polls gave rates.
      await waitFor(
        async () => Number(await page.locator("#throughput").getAttribute("data-points")) >= 2,
        "two points in the throughput chart",
      );
      deepStrictEqual(await page.locator("#throughput path.line-sent").count(), 1);
      deepStrictEqual(await page.locator("#throughput path.line-received").count(), 1);
      ok(/sent/.test(await page.locator("#traffic-machine").textContent() ?? ""));
    });
  },
});

Deno.test({
  name: "serve --no-traffic page: the traffic panel stays hidden",
  ignore: !linuxWithSs || CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withPage(["--store", "none", "--no-traffic"], async ({ browser }) => {
      // The page marks the panel once it has read /api/traffic (hidden in the HTML is not proof).
      await browser.page.locator('#traffic[data-counters="off"]').waitFor({ state: "attached" });
      const view = await browser.page.evaluate('fetch("/api/traffic").then((r) => r.json())');
      deepStrictEqual((view as { enabled: boolean }).enabled, false);
      deepStrictEqual(await browser.page.locator("#traffic").isHidden(), true);
    });
  },
});
