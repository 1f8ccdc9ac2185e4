// @ts-check
/// <reference lib="dom" />
// Loaded before the page's modules, as a classic script: when one of them fails to load, the page
// reloads instead of staying at "connecting…" for good. A module whose fetch failed (the network
// changed under it: net::ERR_NETWORK_CHANGED, a proxy or a server restarting) leaves its whole
// graph unrun, and a browser does not fetch it again by itself. Reloads in a row wait longer each
// time (1 s, 2 s, 4 s … 30 s): a network that keeps changing is not hammered, and a page left open
// comes back once it settles.

(() => {
  const KEY = "conntrail-reloads";
  const FIRST_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30_000;
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
    const delay = Math.min(FIRST_DELAY_MS * 2 ** Math.min(reloads, 5), MAX_DELAY_MS);
    sessionStorage.setItem(KEY, String(reloads + 1));
    const times = reloads === 0 ? "" : ` ${reloads + 1} times in a row`;
    say(`the page's code (${name}) did not load${times}; reloading in ${delay / 1000} s…`);
    setTimeout(() => location.reload(), delay);
  }, true);

  // Module scripts have run (or failed) by now.
  document.addEventListener("DOMContentLoaded", () => {
    if (!failed) sessionStorage.removeItem(KEY);
  });
})();
