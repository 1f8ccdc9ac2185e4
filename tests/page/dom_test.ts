/**
 * web/dom.js in headless Chromium: untrusted text enters the page as text
 * that cannot reorder what is shown. The two modules are served as they are,
 * from a server on 127.0.0.1 of the test's own.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { CHROMIUM, launchChromium } from "../chromium.ts";

const FILES: Record<string, string> = {
  "/dom.js": new URL("../../web/dom.js", import.meta.url).pathname,
  "/format.js": new URL("../../web/format.js", import.meta.url).pathname,
};

const PAGE = `<!doctype html><meta charset=utf-8><body><div id=out></div><script type=module>
import { el, setText } from "/dom.js";
const out = document.getElementById("out");
const names = ["invoice\\u202egpj.exe", "curl\\u2066\\u202e lacol\\u2069", "tab\\there", "ok-name"];
for (const name of names) out.append(el("div", null, "process: ", el("b", null, name), " (pid 42)"));
const later = el("b", null, "");
out.append(el("div", null, later));
setText(later, "x\\u202ey\\x1b[2J");
document.body.dataset.done = "1";
</script>`;

Deno.test({
  name: "el() and setText() show controls and bidi overrides of untrusted text as visible escapes",
  ignore: CHROMIUM === undefined,
  async fn() {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
      const file = FILES[new URL(request.url).pathname];
      if (file === undefined) return new Response(PAGE, { headers: { "content-type": "text/html" } });
      return new Response(await Deno.readTextFile(file), { headers: { "content-type": "text/javascript" } });
    });
    const browser = await launchChromium({ width: 600, height: 200 });
    try {
      await browser.page.goto(`http://127.0.0.1:${server.addr.port}/`);
      await browser.page.waitForSelector("body[data-done]");
      const texts = await browser.page.evaluate(
        `[...document.querySelectorAll("#out > div")].map((div) => div.textContent)`,
      );
      deepStrictEqual(texts, [
        "process: invoice\\u202egpj.exe (pid 42)",
        "process: curl\\u2066\\u202e lacol\\u2069 (pid 42)",
        "process: tab\\x09here (pid 42)",
        "process: ok-name (pid 42)",
        "x\\u202ey\\x1b[2J",
      ]);
      deepStrictEqual(browser.errors, []);
      ok(browser.dialogs.length === 0);
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
