// @ts-check
/// <reference lib="dom" />
// The History, Diff and Alerts tabs: each asks the JSON API when it opens or its form is sent.
import { drawAlerts } from "./alert_list.js";
import { byId, el } from "./dom.js";
import { dateTime, endpoint } from "./format.js";

/**
 * GET a JSON answer; a refusal becomes an Error with the server's sentence.
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
export async function api(path, init) {
  const response = await fetch(path, { credentials: "same-origin", ...init });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

/**
 * A form's filled-in fields as query parameters: an empty field (like "any risk") is no filter and is
 * not sent.
 * @param {HTMLFormElement} form
 */
export function formQuery(form) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    const text = String(value).trim();
    if (text !== "") params.set(name, text);
  }
  return params;
}

/** @param {(string | null | undefined)[]} values */
function cellRow(values) {
  const row = el("tr");
  for (const value of values) row.append(el("td", null, value ?? ""));
  return row;
}

/** @param {HTMLElement} form @param {string} name */
function field(form, name) {
  const node = /** @type {HTMLFormElement} */ (form).elements.namedItem(name);
  return /** @type {HTMLInputElement | HTMLSelectElement} */ (node);
}

/** @param {URLSearchParams} params */
export async function showHistory(params) {
  const note = byId("history-note");
  note.textContent = "loading…";
  try {
    const answer = await api(`/api/history?${params}`);
    const body = /** @type {HTMLTableElement} */ (byId("history-table")).tBodies[0];
    /** @type {any[]} */
    const addresses = answer.addresses;
    const rows = addresses.map((a) => {
      const row = cellRow([
        a.ip,
        [a.domain, a.hostname].filter(Boolean).join(" / "),
        dateTime(a.first_seen),
        dateTime(a.last_seen),
        String(a.times_seen),
        a.country,
        a.asn ? `AS${a.asn} ${a.as_org ?? ""}` : "",
        a.risk_level ?? "",
        a.lists.join(", "),
        a.processes.join(", "),
      ]);
      row.classList.add("history-row");
      row.tabIndex = 0;
      row.addEventListener("click", () => showAddress(a.ip));
      row.addEventListener("keydown", (event) => event.key === "Enter" && showAddress(a.ip));
      return row;
    });
    body?.replaceChildren(...rows);
    note.textContent = answer.note ??
      `${answer.total} addresses${
        answer.total > rows.length ? `, the ${rows.length} most recent shown` : ""
      }`;
    if (addresses.length === 1 && addresses[0].connections) drawAddress(addresses[0]);
    else byId("history-detail").replaceChildren();
  } catch (error) {
    note.textContent = `cannot read history: ${error instanceof Error ? error.message : error}`;
  }
}

/** @param {any} a */
function drawAddress(a) {
  const connections = el("tbody");
  /** @type {any[]} */
  const list = a.connections ?? [];
  for (const c of list) {
    connections.append(cellRow([
      c.opened_at ? dateTime(c.opened_at) : `before ${dateTime(c.open_at_start)}`,
      c.closed_at ? dateTime(c.closed_at) : "open",
      c.protocol,
      endpoint(c.local_ip, c.local_port),
      endpoint(c.remote_ip, c.remote_port),
      c.status,
      c.process_name ? `${c.process_name} (${c.pid ?? "?"})` : "",
    ]));
  }
  const head = el(
    "thead",
    null,
    cellRow(["Opened", "Closed", "Proto", "Local", "Remote", "Status", "Process"]),
  );
  const alerts = el("ol", "alerts");
  /** @type {any[]} */
  const raised = a.alerts ?? [];
  drawAlerts(alerts, raised.map((x) => ({ ...x, severity: "warning" })));
  byId("history-detail").replaceChildren(
    el("h2", null, `${a.ip}${a.domain || a.hostname ? ` (${a.domain || a.hostname})` : ""}`),
    el("div", "table-scroll", el("table", "detail", head, connections)),
    el("h3", null, "Alerts"),
    alerts,
  );
}

/** @param {string} ip */
function showAddress(ip) {
  field(byId("history-form"), "ip").value = ip;
  showHistory(new URLSearchParams({ ip }));
}

/** @param {string} value @param {string} text */
function option(value, text) {
  const node = el("option", null, text);
  node.value = value;
  return node;
}

/** @param {URLSearchParams} [params] */
export async function showDiff(params) {
  const note = byId("diff-note");
  note.textContent = "loading…";
  try {
    const answer = await api(`/api/diff?${params ?? ""}`);
    const form = byId("diff-form");
    for (const name of ["from", "to"]) {
      const select = field(form, name);
      const chosen = select.value;
      /** @type {any[]} */
      const snapshots = answer.snapshots;
      select.replaceChildren(
        ...snapshots.map((s) =>
          option(String(s.id), `#${s.id} · ${dateTime(s.taken_at)} · ${s.connections}`)
        ),
      );
      if (chosen) select.value = chosen;
    }
    const body = /** @type {HTMLTableElement} */ (byId("diff-table")).tBodies[0];
    if (!answer.diff) {
      body?.replaceChildren();
      note.textContent = answer.note ?? "";
      return;
    }
    const { diff } = answer;
    field(form, "from").value = String(diff.from.id);
    field(form, "to").value = String(diff.to.id);
    /** @param {string} mark @param {any} c @param {string} status */
    const row = (mark, c, status) => {
      const r = cellRow([
        mark,
        c.protocol,
        endpoint(c.local_ip, c.local_port),
        endpoint(c.remote_ip, c.remote_port),
        status,
        c.process_name ? `${c.process_name} (${c.pid ?? "?"})` : "",
      ]);
      r.className = `diff-${mark === "+" ? "added" : mark === "-" ? "removed" : "changed"}`;
      return r;
    };
    /** @type {{ added: any[], removed: any[], changed: any[] }} */
    const { added, removed, changed } = diff;
    body?.replaceChildren(
      ...added.map((c) => row("+", c, c.status)),
      ...removed.map((c) => row("-", c, c.status)),
      ...changed.map((x) => row("~", x.after, `${x.before.status} → ${x.after.status}`)),
    );
    note.textContent = `#${diff.from.id} → #${diff.to.id}: ${added.length} added, ` +
      `${removed.length} removed, ${changed.length} changed`;
  } catch (error) {
    note.textContent = `cannot compare: ${error instanceof Error ? error.message : error}`;
  }
}

export async function showStoredAlerts() {
  const note = byId("alerts-note");
  try {
    const answer = await api("/api/alerts?limit=500");
    drawAlerts(byId("alerts-list"), answer.alerts);
    note.textContent = `${answer.alerts.length} most recent alerts; each leads to its connection in Live`;
  } catch (error) {
    note.textContent = `cannot read alerts: ${error instanceof Error ? error.message : error}`;
  }
}

/** Wire the forms of the History and Diff tabs. */
export function wireTabs() {
  const history = /** @type {HTMLFormElement} */ (byId("history-form"));
  history.addEventListener("submit", (event) => {
    event.preventDefault();
    showHistory(formQuery(history));
  });
  const diff = /** @type {HTMLFormElement} */ (byId("diff-form"));
  diff.addEventListener("submit", (event) => {
    event.preventDefault();
    showDiff(formQuery(diff));
  });
}
