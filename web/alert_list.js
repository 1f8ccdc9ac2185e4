// @ts-check
/// <reference lib="dom" />
// Alerts as a list of links: each leads to its connection's row in the live view (or to its
// process when the connection has closed).
import { el } from "./dom.js";
import { dateTime, endpoint } from "./format.js";

/** @typedef {import("./live_store.js").Alert} Alert */

/**
 * One alert as a list item whose link carries what leads to its row.
 * @param {Alert} alert
 */
function alertItem(alert) {
  const link = el(
    "a",
    "alert-link",
    el("time", null, dateTime(alert.at)),
    el("span", "alert-remote", endpoint(alert.remote_ip, alert.remote_port)),
    el("span", "alert-process", alert.process_name ? `${alert.process_name} (${alert.pid ?? "?"})` : ""),
    el("span", "alert-reason", alert.reason),
  );
  link.href = "#live";
  if (alert.key !== undefined) link.dataset.key = alert.key;
  if (alert.process_key !== undefined) link.dataset.processKey = alert.process_key;
  if (alert.remote_ip !== null) link.dataset.remoteIp = alert.remote_ip;
  if (alert.remote_port !== null) link.dataset.remotePort = String(alert.remote_port);
  if (alert.pid !== null) link.dataset.pid = String(alert.pid);
  link.title = "show this connection in the list";
  return el("li", `alert alert-${alert.severity === "error" ? "error" : "warning"}`, link);
}

/**
 * Draw alerts, newest first as given.
 * @param {HTMLElement} list
 * @param {Alert[]} alerts
 */
export function drawAlerts(list, alerts) {
  list.replaceChildren(...alerts.map(alertItem));
}

/**
 * What an alert link points at, read back from its data attributes.
 * @param {HTMLElement} link
 * @returns {Alert}
 */
export function alertOfLink(link) {
  const data = link.dataset;
  return {
    at: "",
    reason: "",
    key: data.key,
    process_key: data.processKey,
    remote_ip: data.remoteIp ?? null,
    remote_port: data.remotePort === undefined ? null : Number(data.remotePort),
    pid: data.pid === undefined ? null : Number(data.pid),
    process_name: null,
  };
}
