/**
 * `serve --traffic` in headless Chromium (Debian's `chromium`, driven by
 * playwright-core): bytes a loopback connection moves show up in the page's
 * top talkers (process, destination, country) and its throughput chart.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { chromium } from "playwright-core";
import { freshLoopback, hasTool, withTempDirAndSockets } from "./open_sockets.ts";
import { startServe } from "./conntrail_process.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});
const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");

Deno.test({
  name: "serve --traffic page: a loopback download shows in the top talkers and the throughput chart",
  ignore: !linuxWithSs || CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDirAndSockets(async (dir, control) => {
      const serve = await startServe(dir, ["--store", "none", "--traffic", "-t", "0.5"]);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      let finished = false;
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        const dialogs: string[] = [];
        page.on("dialog", (dialog) => {
          dialogs.push(dialog.message());
          dialog.dismiss().catch(() => {});
        });
        await page.goto(serve.url.href);
        await page.locator("#traffic").waitFor({ state: "visible", timeout: 20_000 });

        const ip = freshLoopback();
        const connection = await control.open(ip);
        // Open first, then move the bytes: the monitor sees the connection, then its counters grow.
        await page.locator("tr.conn", { hasText: `${ip}:${connection.port}` }).first().waitFor({
          timeout: 20_000,
        });
        await control.send(connection.id, 3 * 1024 * 1024, 8 * 1024 * 1024);

        const process = page.locator("#top-processes .talker", { hasText: `python3 (${control.pid})` });
        await process.waitFor({ timeout: 20_000 });
        ok(/received/.test(await process.locator(".talker-total").textContent() ?? ""));
        // Loopback is its own destination (both ends are on this machine): the address is listed.
        const destination = page.locator("#top-destinations .talker", { hasText: ip });
        await destination.waitFor({ timeout: 20_000 });
        const total = await destination.locator(".talker-total").textContent() ?? "";
        ok(/MiB sent/.test(total) && /MiB received/.test(total), total);
        // A loopback address has no country: it is counted as unknown.
        await page.locator("#top-countries .talker", { hasText: "unknown" }).first().waitFor({
          timeout: 20_000,
        });
        // The chart draws a line per direction once there are two polls with rates.
        await page.waitForFunction(
          'Number(document.getElementById("throughput").dataset.points) >= 2',
          undefined,
          { timeout: 20_000 },
        );
        deepStrictEqual(await page.locator("#throughput polyline").count(), 2);
        ok(/sent/.test(await page.locator("#traffic-machine").textContent() ?? ""));
        deepStrictEqual(dialogs, []);
        finished = true;
      } finally {
        await browser.close();
        const stopped = await serve.stop();
        // A failure above is the one to report; the exit code matters when everything else passed.
        if (finished) deepStrictEqual(stopped.code, 0, stopped.stderr);
      }
    });
  },
});

Deno.test({
  name: "serve --no-traffic page: the traffic panel stays hidden",
  ignore: !linuxWithSs || CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const serve = await startServe(dir, ["--store", "none", "--no-traffic"]);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    let finished = false;
    try {
      const page = await browser.newPage();
      const answered = page.waitForResponse((response) => response.url().endsWith("/api/traffic"));
      await page.goto(serve.url.href);
      deepStrictEqual((await (await answered).json()).enabled, false);
      deepStrictEqual(await page.locator("#traffic").isHidden(), true);
      finished = true;
    } finally {
      await browser.close();
      const stopped = await serve.stop();
      if (finished) deepStrictEqual(stopped.code, 0, stopped.stderr);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
