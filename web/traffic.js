// @ts-check
/// <reference lib="dom" />
// The traffic panel (`serve --traffic`, the default): the machine's throughput over time and the top
// talkers by process, destination, country and network, read from /api/traffic once per time unit.
// Names come from other processes and from DNS: they enter the page as text (see dom.js).
import { niceCeiling, timeTicks } from "./chart.js";
import { byId, el, svg } from "./dom.js";
import { clock, countryName } from "./format.js";

/** @typedef {import("../lib/web/traffic_view.ts").TalkerView} Talker One talker, as the server sends it. */
/** @typedef {import("../lib/web/traffic_view.ts").TrafficView} TrafficView What /api/traffic answers. */
/** @typedef {TrafficView["series"][number]} Sample One poll of the machine's throughput. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
const MARGIN = { left: 72, right: 12, top: 10, bottom: 22 };
/** The chart shows at least this much time, so the first minutes do not fill it edge to edge. */
const MIN_SPAN_MS = 60_000;

/**
 * Bytes in binary units, as the terminal shows them: `512 B`, `1.50 KiB`, `40.0 MiB`; `-` unknown.
 * @param {number | null | undefined} n
 */
export function bytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return "-";
  let value = Math.max(0, n);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${
    UNITS[unit]
  }`;
}

/** @param {number | null | undefined} n */
function rate(n) {
  const text = bytes(n);
  return text === "-" ? text : `${text}/s`;
}

/**
 * What a click on a talker puts in the connection list's search box (nothing for "unknown").
 * @param {string} kind
 * @param {Talker} t
 */
function searchFor(kind, t) {
  if (t.key === "-" || t.key === "local") return "";
  if (kind === "processes") {
    const name = t.key.slice(t.key.indexOf(" ") + 1);
    return name === "" ? "" : name;
  }
  return t.key;
}

/**
 * The label a talker shows: countries by name (the API sends codes).
 * @param {string} kind
 * @param {Talker} t
 */
function labelOf(kind, t) {
  if (kind === "countries" && t.key !== "-" && t.key !== "local") return `${countryName(t.key)} (${t.key})`;
  return t.label;
}

/**
 * One talker as a count-panel line: its name (a button that filters the list) and its rate over the
 * last polls, what it moved so far, and a bar of its share of the busiest.
 * @param {string} kind
 * @param {Talker} t
 * @param {{ byRate: boolean, value: number }} most the list's largest rate (or total, while nothing moves),
 *   for the bar
 */
function talkerItem(kind, t, most) {
  const amount = most.byRate ? (t.rate_sent ?? 0) + (t.rate_received ?? 0) : t.sent + t.received;
  const share = most.value > 0 ? Math.max(1, Math.round((Math.max(amount, 0) / most.value) * 100)) : 0;
  const fill = el("span", "bar-fill");
  fill.style.width = `${share}%`;
  const label = labelOf(kind, t);
  const pick = el("button", "pick-count talker-label", label);
  pick.type = "button";
  pick.dataset.pick = searchFor(kind, t);
  pick.title = pick.dataset.pick === "" ? label : `${label}: show only its connections`;
  const item = el(
    "li",
    "talker",
    pick,
    el(
      "span",
      "talker-numbers",
      el("span", "talker-rate", `↑ ${rate(t.rate_sent)} ↓ ${rate(t.rate_received)}`),
      el("span", "talker-total", `${bytes(t.sent)} sent, ${bytes(t.received)} received`),
    ),
    el("span", "bar", fill),
  );
  item.dataset.key = t.key;
  return item;
}

/**
 * @param {string} kind
 * @param {Talker[]} talkers
 */
function drawTalkers(kind, talkers) {
  const rates = talkers.map((t) => (t.rate_sent ?? 0) + (t.rate_received ?? 0));
  const byRate = rates.some((r) => r > 0);
  const value = Math.max(0, ...(byRate ? rates : talkers.map((t) => t.sent + t.received)));
  const items = talkers.map((t) => talkerItem(kind, t, { byRate, value }));
  byId(`top-${kind}`).replaceChildren(...(items.length > 0 ? items : [el("li", "more", "nothing yet")]));
}

/**
 * The chart's top: a round number in the binary unit the axis shows (4 MiB/s, not 4.77 MiB/s).
 * @param {number} most bytes per second
 */
export function roundRate(most) {
  let unit = 1;
  while (most / unit >= 1024 && unit < 1024 ** 4) unit *= 1024;
  return niceCeiling(most / unit) * unit;
}

/** The chart's size, kept by a ResizeObserver (measuring at each draw would lay the page out again). */
const chartSize = { width: 0, height: 0 };
/** @type {Sample[]} */
let lastSeries = [];

/**
 * The throughput chart: a line for bytes sent and one for bytes received per second, at each poll.
 * @param {Sample[]} series
 */
function drawThroughput(series) {
  lastSeries = series;
  const host = byId("throughput");
  const width = Math.max(200, Math.round(chartSize.width || 720));
  const height = Math.max(80, Math.round(chartSize.height || 150));
  host.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const known = series
    .map((s) => ({ at: Date.parse(s.at), sent: s.sent, received: s.received }))
    .filter((s) => s.sent !== null && s.received !== null && Number.isFinite(s.at));
  host.dataset.points = String(known.length);
  const first = known[0];
  const last = known.at(-1);
  if (first === undefined || last === undefined) {
    host.replaceChildren(
      svg("title", {}, "No rate yet"),
      svg("text", { x: MARGIN.left, y: height / 2, class: "chart-note" }, "waiting for a second poll…"),
    );
    return;
  }
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const base = MARGIN.top + plotH;
  const start = Math.min(first.at, last.at - MIN_SPAN_MS);
  const end = last.at;
  const top = roundRate(Math.max(1, ...known.map((s) => Math.max(s.sent ?? 0, s.received ?? 0))));
  const x = (/** @type {number} */ at) => MARGIN.left + ((at - start) / Math.max(1, end - start)) * plotW;
  const y = (/** @type {number} */ v) => base - (v / top) * plotH;
  const parts = [
    svg("title", {}, `Bytes per second sent and received: ${rate(last.sent)} and ${rate(last.received)} now`),
  ];
  for (const v of [0, top / 2, top]) {
    parts.push(svg("line", { class: "grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(v), y2: y(v) }));
    parts.push(svg("text", { class: "y-label", x: MARGIN.left - 6, y: y(v) + 4 }, rate(v)));
  }
  const { step, ticks } = timeTicks(start, end, plotW, 70);
  for (const t of ticks) {
    parts.push(svg("line", { class: "tick", x1: x(t), x2: x(t), y1: base, y2: base + 4 }));
    parts.push(svg(
      "text",
      { class: "x-label", x: x(t), y: base + 16, "text-anchor": "middle" },
      clock(t, { minutes: step >= 60_000 }),
    ));
  }
  for (const name of /** @type {const} */ (["received", "sent"])) {
    let d = "";
    for (const s of known) d += `${d === "" ? "M" : "L"}${x(s.at).toFixed(1)},${y(s[name] ?? 0).toFixed(1)}`;
    parts.push(svg("path", { class: `line-${name}`, d }));
  }
  host.replaceChildren(...parts);
}

/** @param {TrafficView} view */
function draw(view) {
  const m = view.machine;
  byId("traffic-machine").textContent = `now ↑ ${rate(m.rate_sent)} ↓ ${rate(m.rate_received)} · ` +
    `so far ${bytes(m.sent)} sent, ${bytes(m.received)} received`;
  drawThroughput(view.series);
  drawTalkers("processes", view.processes);
  drawTalkers("destinations", view.destinations);
  drawTalkers("countries", view.countries);
  drawTalkers("networks", view.networks);
}

async function refresh() {
  const panel = byId("traffic");
  let wait = 5000;
  try {
    const response = await fetch("/api/traffic", { credentials: "same-origin" });
    const view = await response.json();
    if (!response.ok) throw new Error(view.error ?? String(response.status));
    if (!view.enabled) {
      panel.hidden = true;
      panel.dataset.counters = "off"; // what the page learnt (tests wait for it)
      return; // counters are off for this server's whole run
    }
    panel.hidden = false;
    panel.dataset.counters = "on";
    draw(/** @type {TrafficView} */ (view));
    wait = Math.max(1000, view.time_unit_seconds * 1000);
  } catch (error) {
    byId("traffic-machine").textContent = `cannot read traffic: ${
      error instanceof Error ? error.message : error
    }`;
  }
  setTimeout(refresh, wait);
}

/** Wire the panel once: clicks on talkers filter the list, the chart follows its box's size. */
function wire() {
  const searchBox = /** @type {HTMLInputElement} */ (byId("live-search"));
  byId("traffic").addEventListener("click", (event) => {
    const pick = /** @type {HTMLElement} */ (event.target).closest("button.pick-count");
    if (!(pick instanceof HTMLElement) || pick.dataset.pick === undefined) return;
    // The list's search listens to input events (app.js): the same path as typing the value.
    searchBox.value = pick.dataset.pick;
    searchBox.dispatchEvent(new Event("input"));
    byId("connections").scrollIntoView({ block: "start" });
  });
  new ResizeObserver((entries) => {
    const box = entries[0]?.contentRect;
    if (box === undefined || box.width === 0) return;
    chartSize.width = box.width;
    chartSize.height = box.height;
    drawThroughput(lastSeries);
  }).observe(byId("throughput"));
  refresh();
}

wire();
