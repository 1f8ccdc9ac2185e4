// @ts-check
/// <reference lib="dom" />
// conntrail's web page: live connections grouped by process (Server-Sent Events from /api/events),
// the chart and count panels, alerts that lead to their rows, capture filters for the selected
// rows, and the History, Diff and Alerts tabs.
//
// Events are queued and applied one per task, so a large first state (sent in parts) never holds
// the page for long; the list and panels are drawn at the next animation frame.
import { alertOfLink, drawAlerts } from "./alert_list.js";
import { drawChart } from "./chart.js";
import { ConnectionList } from "./connection_list.js";
import { drawCountList } from "./count_panels.js";
import { byId, el, setText } from "./dom.js";
import { clock, count, paceStatus } from "./format.js";
import { LiveStore } from "./live_store.js";
import { api, formQuery, showDiff, showHistory, showStoredAlerts, wireTabs } from "./tabs.js";

/** Entries per count panel. */
const TOP = 6;
/** Alerts in the live panel (the Alerts tab shows the stored ones). */
const RECENT_ALERTS = 50;

const store = new LiveStore();
const list = new ConnectionList(byId("connections"), store, {
  onSelect: () => refreshFilters(),
  onRows: (shown) => drawCountsLine(shown),
});
const chart = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (byId("chart")));
/** The chart's size, kept by a ResizeObserver. */
const chartSize = { width: 0, height: 0 };

/** @param {string} text @param {string} kind */
function setStatus(text, kind) {
  const status = byId("status");
  setText(status, text);
  status.dataset.kind = kind;
}

/** @param {string} text */
function liveNote(text) {
  setText(byId("live-note"), text);
}

// ---- events: queued, applied one per task ----

/** @type {{ kind: string, data: string }[]} */
const inbox = [];
const channel = new MessageChannel();
let pumping = false;
let firstRowsMarked = false;
let updates = 0;
let loadedMarked = false;

channel.port1.onmessage = () => {
  const item = inbox.shift();
  if (item !== undefined) apply(item.kind, item.data);
  if (inbox.length > 0) channel.port2.postMessage(0);
  else pumping = false;
};

/** @param {string} kind @param {string} data */
function receive(kind, data) {
  inbox.push({ kind, data });
  if (pumping) return;
  pumping = true;
  channel.port2.postMessage(0);
}

/** @param {string} kind @param {string} data */
function apply(kind, data) {
  const parsed = JSON.parse(data);
  if (kind === "state") {
    store.applyState(parsed);
    loadedMarked = false;
    refreshFilters();
  } else if (kind === "rows") {
    store.applyRows(parsed.connections);
  } else if (kind === "update") {
    const before = store.selected.size;
    store.applyUpdate(parsed);
    notePace(store.pace);
    if (store.selected.size !== before) refreshFilters();
    // How many updates the page has applied: tests wait for the next one instead of sleeping.
    document.documentElement.dataset.updates = String(++updates);
  }
  queueDraw();
}

let drawQueued = false;
let alertsDrawn = -1;

function queueDraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    drawLive();
  });
}

function drawLive() {
  list.draw();
  if (!firstRowsMarked && list.body.querySelector(".row.conn") !== null) {
    firstRowsMarked = true;
    performance.mark("conntrail:first-rows");
  }
  if (!loadedMarked && store.loaded >= store.total) {
    loadedMarked = true;
    performance.mark("conntrail:loaded");
  }
  drawStatus();
  drawPanels();
  if (alertsDrawn !== store.alertsVersion) {
    alertsDrawn = store.alertsVersion;
    const recent = byId("recent-alerts");
    drawAlerts(recent, store.alerts.slice(-RECENT_ALERTS).reverse());
    if (store.alerts.length === 0) {
      recent.append(
        el(
          "li",
          "alerts-empty",
          "No alerts in this run. They come from block lists (--blocklist) and AbuseIPDB (ABUSEAPI).",
        ),
      );
    }
    setText(byId("alert-count"), store.alerts.length === 0 ? "none yet" : count(store.alerts.length));
  }
}

/** The pace as it was over about the last minute of updates: where "ticks without a poll" are counted from. */
/** @type {{ at: number, missed: number, pollMs: number }[]} */
const recentPace = [];

/** @param {import("./live_store.js").Pace | null} pace */
function notePace(pace) {
  if (pace === null) return;
  const now = Date.now();
  recentPace.push({ at: now, missed: pace.missed_ticks, pollMs: pace.poll_ms });
  while (recentPace.length > 2 && /** @type {{ at: number }} */ (recentPace[1]).at < now - 60_000) {
    recentPace.shift();
  }
}

function drawStatus() {
  if (store.loaded < store.total) {
    setStatus(`loading ${count(store.loaded)} of ${count(store.total)} connections…`, "loading");
    return;
  }
  const pace = store.pace;
  const updated = store.at ? ` · updated ${clock(store.at)}` : "";
  if (pace === null) {
    setStatus(`live${updated}`, "live");
    return;
  }
  const missed = pace.missed_ticks - (recentPace[0]?.missed ?? pace.missed_ticks);
  // The first entry only marks where the window starts: its poll came before it.
  const slowestMs = Math.max(pace.poll_ms, ...recentPace.slice(1).map((p) => p.pollMs));
  const { text, kind } = paceStatus(pace, { missed, slowestMs });
  setStatus(`live${updated} · ${text}`, kind);
}

/** @param {number} shown */
function drawCountsLine(shown) {
  const total = store.connections.size;
  setText(
    byId("live-counts"),
    `${count(total)} connections` + (shown === total ? "" : `, ${count(shown)} shown`) +
      (store.selected.size === 0 ? "" : ` · ${count(store.selected.size)} selected`),
  );
}

let panelsVersion = -1;

function drawPanels() {
  if (panelsVersion === store.version) return;
  panelsVersion = store.version;
  const counts = store.counts(TOP);
  const total = store.connections.size;
  drawCountList(byId("count-processes"), counts.processes, total);
  drawCountList(byId("count-addresses"), counts.addresses, total);
  drawCountList(byId("count-countries"), counts.countries, total);
  drawCountList(byId("count-networks"), counts.networks, total);
  setText(
    byId("count-note"),
    counts.withoutRemote === 0
      ? ""
      : `${count(counts.withoutRemote)} listening or unconnected sockets have no remote end`,
  );
  drawChart(chart, store.series, chartSize);
}

// ---- alerts lead to their rows ----

/** @param {import("./live_store.js").Alert} alert */
function revealAlert(alert) {
  showView("live");
  const open = store.connectionFor(alert);
  const searchBox = /** @type {HTMLInputElement} */ (byId("live-search"));
  const searched = store.search;
  const found = list.reveal(open === undefined ? { process_key: alert.process_key } : { key: open.key });
  if (store.search !== searched) searchBox.value = store.search;
  if (found === "row") {
    liveNote(searched !== store.search ? "the search was cleared to show the alerted row" : "");
  } else if (found === "process") liveNote("that connection has closed; its process is shown");
  else liveNote("that connection has closed, and its process has no open connections");
  drawLive();
}

// ---- capture filters ----

let filterRequest = 0;
async function refreshFilters() {
  const request = ++filterRequest;
  const note = byId("capture-selected");
  const bpf = /** @type {HTMLTextAreaElement} */ (byId("capture-bpf"));
  const wireshark = /** @type {HTMLTextAreaElement} */ (byId("capture-wireshark"));
  if (store.selected.size === 0) {
    bpf.value = "";
    wireshark.value = "";
    note.textContent = "Select connections (or a whole process) in the list to build filters.";
    return;
  }
  try {
    const answer = await api("/api/filter", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ keys: [...store.selected] }),
    });
    if (request !== filterRequest) return;
    bpf.value = answer.bpf;
    wireshark.value = answer.wireshark;
    note.textContent = `${answer.selected} connections selected, ${answer.clauses} filter clauses` +
      (answer.skipped > 0 ? ` (${answer.skipped} left out: no address a filter can name)` : "");
  } catch (error) {
    if (request === filterRequest) {
      note.textContent = `cannot build filters: ${error instanceof Error ? error.message : error}`;
    }
  }
}

// ---- wiring ----

/** @param {string} name */
function showView(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.setAttribute("aria-pressed", String(/** @type {HTMLElement} */ (tab).dataset.view === name));
  }
  for (const view of document.querySelectorAll(".view")) {
    /** @type {HTMLElement} */ (view).hidden = view.id !== `view-${name}`;
  }
  if (name === "history") showHistory(formQuery(/** @type {HTMLFormElement} */ (byId("history-form"))));
  if (name === "diff") showDiff();
  if (name === "alerts") showStoredAlerts();
  if (name === "live") list.schedule();
}

/** @param {string} text */
function search(text) {
  store.setSearch(text);
  list.flashKey = null;
  liveNote("");
  list.draw();
}

function wire() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => showView(/** @type {HTMLElement} */ (tab).dataset.view ?? "live"));
  }
  const searchBox = /** @type {HTMLInputElement} */ (byId("live-search"));
  searchBox.addEventListener("input", () => search(searchBox.value));
  for (const id of ["count-processes", "count-addresses", "count-countries", "count-networks"]) {
    byId(id).addEventListener("click", (event) => {
      const pick = /** @type {HTMLElement} */ (event.target).closest("button.pick-count");
      if (!(pick instanceof HTMLElement) || pick.dataset.pick === undefined) return;
      const value = ["local", "unknown"].includes(pick.dataset.pick) ? "" : pick.dataset.pick;
      searchBox.value = value;
      search(value);
      byId("connections").scrollIntoView({ block: "start" });
    });
  }
  byId("collapse-all").addEventListener("click", () => {
    store.setAllCollapsed(true);
    list.draw();
  });
  byId("expand-all").addEventListener("click", () => {
    store.setAllCollapsed(false);
    list.draw();
  });
  const sortSelect = /** @type {HTMLSelectElement} */ (byId("sort-select"));
  sortSelect.addEventListener("change", () => {
    store.setSort(sortSelect.value);
    list.draw();
  });
  document.addEventListener("click", (event) => {
    const link = /** @type {HTMLElement} */ (event.target).closest("a.alert-link");
    if (!(link instanceof HTMLElement)) return;
    event.preventDefault();
    revealAlert(alertOfLink(link));
  });
  for (const button of document.querySelectorAll("button.copy")) {
    const copy = /** @type {HTMLButtonElement} */ (button);
    copy.addEventListener("click", async () => {
      const source = /** @type {HTMLTextAreaElement} */ (byId(copy.dataset.copy ?? ""));
      try {
        await navigator.clipboard.writeText(source.value);
        copy.textContent = "Copied";
      } catch {
        source.select();
        copy.textContent = "Press Ctrl+C";
      }
      setTimeout(() => (copy.textContent = "Copy"), 1500);
    });
  }
  byId("capture-clear").addEventListener("click", () => {
    store.selected.clear();
    refreshFilters();
    list.draw();
  });
  new ResizeObserver((entries) => {
    const box = entries[0]?.contentRect;
    if (box === undefined) return;
    chartSize.width = box.width;
    chartSize.height = box.height;
    drawChart(chart, store.series, chartSize);
  }).observe(chart);
  wireTabs();

  const source = new EventSource("/api/events");
  for (const kind of ["state", "rows", "update"]) {
    source.addEventListener(kind, (event) => receive(kind, /** @type {MessageEvent} */ (event).data));
  }
  source.addEventListener("open", () => setStatus("connected; waiting for the state…", "live"));
  source.addEventListener("error", () => setStatus("disconnected; retrying…", "down"));
}

wire();
