// @ts-check
/// <reference lib="dom" />
// Loaded before the page's modules, as a classic script: when one of them fails to load, the page
// reloads instead of staying at "connecting…" for good. A module whose fetch failed (the network
// changed under it: net::ERR_NETWORK_CHANGED, a proxy or a server restarting) leaves its whole
// graph unrun, and a browser does not fetch it again by itself. A few reloads in a row at most, so
// that a page whose code cannot load says so instead of reloading forever.

(() => {
  const KEY = "conntrail-reloads";
  const MAX_RELOADS = 5;
  const DELAY_MS = 1000;
  let failed = false;

  /** @param {string} text */
  const say = (text) => {
    const status = document.getElementById("status");
    if (status === null) return;
    status.textContent = text;
    status.dataset.kind = "down";
  };

  globalThis.addEventListener("error", (event) => {
    const script = event.target;
    // Load failures reach the window only while it captures, and only as events of the element.
    if (!(script instanceof HTMLScriptElement) || script.type !== "module" || failed) return;
    failed = true;
    const reloads = Number(sessionStorage.getItem(KEY) ?? 0);
    const name = new URL(script.src).pathname;
    if (reloads >= MAX_RELOADS) {
      say(`the page's code (${name}) did not load ${reloads + 1} times in a row; reload to try again`);
      sessionStorage.removeItem(KEY);
      return;
    }
    sessionStorage.setItem(KEY, String(reloads + 1));
    say(`the page's code (${name}) did not load; reloading…`);
    setTimeout(() => location.reload(), DELAY_MS);
  }, true);

  // Module scripts have run (or failed) by now.
  document.addEventListener("DOMContentLoaded", () => {
    if (!failed) sessionStorage.removeItem(KEY);
  });
})();
