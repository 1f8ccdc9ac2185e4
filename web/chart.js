// @ts-check
/// <reference lib="dom" />
// The chart of open connections (and alerts) over time, drawn as SVG by hand: an area for the
// connections open at each poll, red bars for the alerts raised in it, and a time axis.
import { svg } from "./dom.js";
import { clock, count, span } from "./format.js";

/** @typedef {import("./live_store.js").Point} Point */

/** Steps the time axis may use, in seconds. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600];
const MARGIN = { left: 46, right: 12, top: 10, bottom: 22 };
/** The chart shows at least this much time, so the first minutes do not fill it edge to edge. */
const MIN_SPAN_MS = 60_000;

/**
 * The smallest round number at or above `n` (1, 2, 2.5 or 5 times a power of ten).
 * @param {number} n
 */
export function niceCeiling(n) {
  if (n <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= n) return m * power;
  return 10 * power;
}

/**
 * Where the time axis puts its ticks: multiples of a round step, at most one per `minGapPx` pixels.
 * @param {number} start epoch ms
 * @param {number} end epoch ms
 * @param {number} widthPx
 * @param {number} minGapPx
 * @returns {{ step: number, ticks: number[] }}
 */
export function timeTicks(start, end, widthPx, minGapPx) {
  const most = Math.max(1, Math.floor(widthPx / minGapPx));
  const stepS = TIME_STEPS.find((s) => (end - start) / (s * 1000) <= most) ?? (TIME_STEPS.at(-1) ?? 3600);
  const step = stepS * 1000;
  const ticks = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
  return { step, ticks };
}

/** @param {number} at @param {number} step */
function tickLabel(at, step) {
  return clock(at, { minutes: step >= 60_000 });
}

/**
 * Draw the chart into `host`, `size` pixels large (measured when it changes, not at each draw: measuring
 * would make the browser lay out the page again).
 * @param {SVGSVGElement} host
 * @param {Point[]} points oldest first
 * @param {{ width: number, height: number }} size
 */
export function drawChart(host, points, size) {
  const width = Math.max(200, Math.round(size.width));
  const height = Math.max(80, Math.round(size.height));
  host.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const base = MARGIN.top + plotH;
  const last = points.at(-1);
  if (last === undefined) {
    host.replaceChildren(
      svg("title", {}, "No polls yet"),
      svg(
        "text",
        { x: MARGIN.left, y: MARGIN.top + plotH / 2, class: "chart-note" },
        "waiting for the first poll…",
      ),
    );
    return;
  }
  const end = last.at;
  const start = Math.min(/** @type {Point} */ (points[0]).at, end - MIN_SPAN_MS);
  const x = (/** @type {number} */ at) => MARGIN.left + ((at - start) / (end - start)) * plotW;
  let most = 0;
  let mostAlerts = 0;
  let alerts = 0;
  for (const p of points) {
    most = Math.max(most, p.open);
    mostAlerts = Math.max(mostAlerts, p.alerts);
    alerts += p.alerts;
  }
  const top = niceCeiling(most);
  const y = (/** @type {number} */ n) => base - (n / top) * plotH;

  const parts = [];
  parts.push(svg(
    "title",
    {},
    `Open connections over the last ${span((end - start) / 1000)}: ${count(last.open)} now, ${
      count(most)
    } at most; ` +
      `${count(alerts)} alerts`,
  ));
  for (const n of [0, top / 2, top]) {
    parts.push(svg("line", { class: "grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(n), y2: y(n) }));
    parts.push(svg("text", { class: "y-label", x: MARGIN.left - 6, y: y(n) + 4 }, count(n)));
  }
  const { step, ticks } = timeTicks(start, end, plotW, tickGap(width));
  for (const t of ticks) {
    parts.push(svg("line", { class: "tick", x1: x(t), x2: x(t), y1: base, y2: base + 4 }));
    // Labels at the ends are anchored inside the chart, not cut by its edge.
    const anchor = x(t) < MARGIN.left + 28 ? "start" : x(t) > width - MARGIN.right - 28 ? "end" : "middle";
    parts.push(
      svg("text", { class: "x-label", x: x(t), y: base + 16, "text-anchor": anchor }, tickLabel(t, step)),
    );
  }
  let line = "";
  for (const p of points) line += `${line === "" ? "M" : "L"}${x(p.at).toFixed(1)},${y(p.open).toFixed(1)}`;
  const first = /** @type {Point} */ (points[0]);
  const area = `${line}L${x(end).toFixed(1)},${base}L${x(first.at).toFixed(1)},${base}Z`;
  parts.push(svg("path", { class: "area-open", d: area }));
  parts.push(svg("path", { class: "line-open", d: line }));
  parts.push(svg("circle", { class: "last-open", cx: x(end), cy: y(last.open), r: 3 }));
  parts.push(
    svg(
      "text",
      { class: "last-label", x: x(end) - 6, y: Math.max(MARGIN.top + 10, y(last.open) - 6) },
      `${count(last.open)} open`,
    ),
  );
  if (mostAlerts > 0) {
    // Alerts per poll on their own scale, in the lower third: a few alerts must show beside thousands of connections.
    const barW = Math.max(2, Math.min(8, plotW / Math.max(points.length, 1)));
    for (const p of points) {
      if (p.alerts === 0) continue;
      const h = Math.max(3, (p.alerts / mostAlerts) * plotH / 3);
      parts.push(
        svg(
          "rect",
          { class: "alert-bar", x: x(p.at) - barW / 2, y: base - h, width: barW, height: h },
          svg("title", {}, `${count(p.alerts)} alerts at ${tickLabel(p.at, 1000)}`),
        ),
      );
    }
  }
  parts.push(svg("line", { class: "axis", x1: MARGIN.left, x2: width - MARGIN.right, y1: base, y2: base }));
  host.replaceChildren(...parts);
}

/** @param {number} width */
function tickGap(width) {
  return width < 500 ? 64 : 80;
}
