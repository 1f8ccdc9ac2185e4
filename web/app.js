// conntrail's web page: live connections grouped by process (Server-Sent Events from /api/events),
// capture filters for the selected rows, and the history, diff and alert views.
// Every string from the network or another process reaches the page through textContent or an
// attribute set from script, never as markup: a PTR name `<img src=x onerror=alert(1)>` is text.

const live = {
  connections: new Map(),
  addresses: new Map(),
  processes: new Map(),
  alerts: [],
  at: null,
  timeUnit: 1,
};
const selected = new Set();
let search = "";
let drawQueued = false;

const SYMBOL_CLASSES = { "▲": "new", "■": "active", "○": "listen", "×": "closed", "·": "empty" };

/** An element with a class and text or children; text is always text. */
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function $(id) {
  return document.getElementById(id);
}

function endpoint(ip, port) {
  if (ip === null || ip === undefined) return "*";
  const host = ip.includes(":") ? `[${ip}]` : ip;
  return port === null || port === undefined ? host : `${host}:${port}`;
}

function clock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString();
}

function dateTime(iso) {
  if (!iso) return "-";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "-" : d.toLocaleString();
}

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.dataset.kind = kind;
}

async function api(path, init) {
  const response = await fetch(path, { credentials: "same-origin", ...init });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

// ---- live view ----

function applyState(state) {
  live.connections = new Map(state.connections.map((c) => [c.key, c]));
  live.addresses = new Map(Object.entries(state.addresses));
  live.processes = new Map(state.processes.map((p) => [p.key, p]));
  live.alerts = state.alerts;
  live.at = state.at;
  live.timeUnit = state.time_unit_seconds;
  for (const key of [...selected]) if (!live.connections.has(key)) selected.delete(key);
  queueDraw();
}

function applyUpdate(update) {
  for (const c of update.added) live.connections.set(c.key, c);
  for (const c of update.changed) live.connections.set(c.key, c);
  for (const key of update.removed) {
    live.connections.delete(key);
    selected.delete(key);
  }
  for (const [ip, view] of Object.entries(update.addresses)) live.addresses.set(ip, view);
  live.processes = new Map(update.processes.map((p) => [p.key, p]));
  live.alerts.push(...update.alerts);
  if (live.alerts.length > 500) live.alerts.splice(0, live.alerts.length - 500);
  live.at = update.at;
  if (update.removed.length > 0) refreshFilters();
  queueDraw();
}

function queueDraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    drawLive();
  });
}

function timelineNode(text) {
  const code = el("code", "timeline");
  let run = "";
  let runClass = null;
  const flush = () => {
    if (run) code.append(el("span", `cell-${runClass}`, run));
    run = "";
  };
  for (const symbol of text) {
    const cls = SYMBOL_CLASSES[symbol] ?? "empty";
    if (cls !== runClass) {
      flush();
      runClass = cls;
    }
    run += symbol;
  }
  flush();
  return code;
}

function riskNode(view) {
  if (!view) return el("span", "risk risk-none", "");
  if (view.blocklist) {
    const badge = el("span", "risk risk-malicious", "BLOCKLISTED");
    badge.title = view.blocklist;
    return badge;
  }
  if (view.risk_level) {
    const badge = el("span", `risk risk-${view.risk_level.toLowerCase()}`, view.risk_level);
    if (view.abuse_score !== null && view.abuse_score !== undefined) {
      badge.title = `AbuseIPDB score ${view.abuse_score}`;
    }
    return badge;
  }
  return el("span", "risk risk-none", "");
}

function matchesSearch(c, view, processLabel) {
  if (!search) return true;
  const haystack = [
    processLabel,
    c.process_name,
    c.process_path,
    c.remote_ip,
    c.local_ip,
    String(c.local_port),
    String(c.remote_port),
    c.status,
    view?.hostname,
    view?.country,
    view?.as_org,
    view?.asn ? `AS${view.asn}` : "",
  ].join(" ").toLowerCase();
  return haystack.includes(search);
}

function connectionRow(c) {
  const view = c.remote_ip === null ? null : live.addresses.get(c.remote_ip);
  const row = el("tr", "conn");
  row.dataset.key = c.key;
  if (view?.alerted) row.classList.add("alerted");
  const box = el("input");
  box.type = "checkbox";
  box.checked = selected.has(c.key);
  box.setAttribute("aria-label", "select for capture filters");
  box.addEventListener("change", () => {
    if (box.checked) selected.add(c.key);
    else selected.delete(c.key);
    refreshFilters();
    queueDraw();
  });
  const remote = el("td", "remote", endpoint(c.remote_ip, c.remote_port));
  if (view?.hostname) remote.append(el("span", "hostname", view.hostname));
  const asText = view?.asn ? `AS${view.asn}${view.as_org ? ` ${view.as_org}` : ""}` : "";
  row.append(
    el("td", "select", box),
    el("td", "proto", c.protocol),
    el("td", "local", endpoint(c.local_ip, c.local_port)),
    remote,
    el("td", "state", c.status),
    el("td", "direction", c.direction),
    el("td", "country", view?.country ?? ""),
    el("td", "asn", asText),
    el("td", "risk-cell", riskNode(view)),
    el("td", "since", clock(c.first_seen)),
  );
  return row;
}

function processGroups() {
  const groups = new Map();
  for (const c of live.connections.values()) {
    let group = groups.get(c.process_key);
    if (!group) {
      const info = live.processes.get(c.process_key);
      const label = info?.label ??
        (c.process_name ? `${c.process_name} (${c.pid ?? "?"})` : "unknown process");
      group = { key: c.process_key, label, info, path: info?.path ?? c.process_path, connections: [] };
      groups.set(c.process_key, group);
    }
    group.connections.push(c);
  }
  return [...groups.values()].sort((a, b) =>
    b.connections.length - a.connections.length || a.label.localeCompare(b.label)
  );
}

function processSection(group, shown) {
  const section = el("section", "process");
  section.dataset.processKey = group.key;
  const all = el("input");
  all.type = "checkbox";
  all.setAttribute("aria-label", `select every connection of ${group.label}`);
  const keys = shown.map((c) => c.key);
  all.checked = keys.length > 0 && keys.every((k) => selected.has(k));
  all.addEventListener("change", () => {
    for (const key of keys) {
      if (all.checked) selected.add(key);
      else selected.delete(key);
    }
    refreshFilters();
    queueDraw();
  });
  const header = el(
    "header",
    null,
    el("label", "process-name", all, el("span", "label", group.label)),
    el("span", "count", `${group.connections.length} open`),
    group.path ? el("span", "path", group.path) : null,
    group.info ? timelineNode(group.info.timeline) : null,
  );
  const body = el("tbody");
  for (
    const c of shown.sort((a, b) =>
      (a.remote_ip ?? "").localeCompare(b.remote_ip ?? "") || a.local_port - b.local_port
    )
  ) {
    body.append(connectionRow(c));
  }
  section.append(header, el("table", "connections", body));
  return section;
}

function drawLive() {
  const container = $("processes");
  const sections = [];
  let shownCount = 0;
  for (const group of processGroups()) {
    const shown = group.connections.filter((c) =>
      matchesSearch(c, c.remote_ip === null ? null : live.addresses.get(c.remote_ip), group.label)
    );
    if (shown.length === 0) continue;
    shownCount += shown.length;
    sections.push(processSection(group, shown));
  }
  container.replaceChildren(...sections);
  $("live-counts").textContent = `${live.connections.size} connections` +
    (shownCount === live.connections.size ? "" : `, ${shownCount} shown`) + ` · ${selected.size} selected`;
  if (live.at) setStatus(`live · updated ${clock(live.at)}`, "live");
  drawAlerts($("recent-alerts"), [...live.alerts].reverse().slice(0, 50));
}

function alertItem(a) {
  const item = el("li", `alert alert-${a.severity === "error" ? "error" : "warning"}`);
  item.append(
    el("time", null, dateTime(a.at)),
    el("span", "alert-remote", endpoint(a.remote_ip, a.remote_port)),
    el("span", "alert-process", a.process_name ? `${a.process_name} (${a.pid ?? "?"})` : ""),
    el("span", "alert-reason", a.reason),
  );
  return item;
}

function drawAlerts(list, alerts) {
  list.replaceChildren(...alerts.map(alertItem));
}

let filterRequest = 0;
async function refreshFilters() {
  const request = ++filterRequest;
  const note = $("capture-selected");
  if (selected.size === 0) {
    $("capture-bpf").value = "";
    $("capture-wireshark").value = "";
    note.textContent = "Select connections (or a whole process) to build filters.";
    return;
  }
  try {
    const answer = await api("/api/filter", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ keys: [...selected] }),
    });
    if (request !== filterRequest) return;
    $("capture-bpf").value = answer.bpf;
    $("capture-wireshark").value = answer.wireshark;
    note.textContent = `${answer.selected} connections selected, ${answer.clauses} filter clauses` +
      (answer.skipped > 0 ? ` (${answer.skipped} left out: no address a filter can name)` : "");
  } catch (error) {
    if (request === filterRequest) note.textContent = `cannot build filters: ${error.message}`;
  }
}

function connectEvents() {
  const source = new EventSource("/api/events");
  source.addEventListener("state", (event) => applyState(JSON.parse(event.data)));
  source.addEventListener("update", (event) => applyUpdate(JSON.parse(event.data)));
  source.addEventListener("open", () => setStatus("live", "live"));
  source.addEventListener("error", () => setStatus("disconnected; retrying…", "down"));
}

// ---- history view ----

function cellRow(values) {
  const row = el("tr");
  for (const value of values) row.append(el("td", null, value ?? ""));
  return row;
}

async function showHistory(params) {
  const note = $("history-note");
  note.textContent = "loading…";
  try {
    const answer = await api(`/api/history?${params}`);
    const body = $("history-table").tBodies[0];
    const rows = answer.addresses.map((a) => {
      const row = cellRow([
        a.ip,
        a.hostname,
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
      return row;
    });
    body.replaceChildren(...rows);
    note.textContent = answer.note ??
      `${answer.total} addresses${
        answer.total > rows.length ? `, the ${rows.length} most recent shown` : ""
      }`;
    if (answer.addresses.length === 1 && answer.addresses[0].connections) drawAddress(answer.addresses[0]);
    else $("history-detail").replaceChildren();
  } catch (error) {
    note.textContent = `cannot read history: ${error.message}`;
  }
}

function drawAddress(a) {
  const connections = el("tbody");
  for (const c of a.connections ?? []) {
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
  drawAlerts(alerts, (a.alerts ?? []).map((x) => ({ ...x, severity: "warning" })));
  $("history-detail").replaceChildren(
    el("h2", null, `${a.ip}${a.hostname ? ` (${a.hostname})` : ""}`),
    el("table", "detail", head, connections),
    el("h3", null, "Alerts"),
    alerts,
  );
}

function showAddress(ip) {
  const form = $("history-form");
  form.elements.ip.value = ip;
  showHistory(new URLSearchParams({ ip }));
}

// ---- diff view ----

function option(value, text) {
  const node = el("option", null, text);
  node.value = value;
  return node;
}

async function showDiff(params) {
  const note = $("diff-note");
  note.textContent = "loading…";
  try {
    const answer = await api(`/api/diff?${params ?? ""}`);
    const form = $("diff-form");
    for (const name of ["from", "to"]) {
      const select = form.elements[name];
      const chosen = select.value;
      select.replaceChildren(
        ...answer.snapshots.map((s) =>
          option(String(s.id), `#${s.id} · ${dateTime(s.taken_at)} · ${s.connections}`)
        ),
      );
      if (chosen) select.value = chosen;
    }
    const body = $("diff-table").tBodies[0];
    if (!answer.diff) {
      body.replaceChildren();
      note.textContent = answer.note ?? "";
      return;
    }
    const { diff } = answer;
    form.elements.from.value = String(diff.from.id);
    form.elements.to.value = String(diff.to.id);
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
    body.replaceChildren(
      ...diff.added.map((c) => row("+", c, c.status)),
      ...diff.removed.map((c) => row("-", c, c.status)),
      ...diff.changed.map((x) => row("~", x.after, `${x.before.status} → ${x.after.status}`)),
    );
    note.textContent = `#${diff.from.id} → #${diff.to.id}: ${diff.added.length} added, ` +
      `${diff.removed.length} removed, ${diff.changed.length} changed`;
  } catch (error) {
    note.textContent = `cannot compare: ${error.message}`;
  }
}

// ---- alerts view ----

async function showAlerts() {
  const note = $("alerts-note");
  try {
    const answer = await api("/api/alerts?limit=500");
    drawAlerts($("alerts-list"), answer.alerts);
    note.textContent = `${answer.alerts.length} most recent alerts`;
  } catch (error) {
    note.textContent = `cannot read alerts: ${error.message}`;
  }
}

// ---- wiring ----

function showView(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.setAttribute("aria-pressed", String(tab.dataset.view === name));
  }
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  if (name === "history") showHistory(new URLSearchParams(new FormData($("history-form"))));
  if (name === "diff") showDiff();
  if (name === "alerts") showAlerts();
}

function wire() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
  $("live-search").addEventListener("input", (event) => {
    search = event.target.value.trim().toLowerCase();
    queueDraw();
  });
  for (const button of document.querySelectorAll(".copy")) {
    button.addEventListener("click", async () => {
      const text = $(button.dataset.copy).value;
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch {
        $(button.dataset.copy).select();
        button.textContent = "Press Ctrl+C";
      }
      setTimeout(() => (button.textContent = "Copy"), 1500);
    });
  }
  $("capture-clear").addEventListener("click", () => {
    selected.clear();
    refreshFilters();
    queueDraw();
  });
  $("history-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(event.target)) if (value) params.set(name, String(value));
    showHistory(params);
  });
  $("diff-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showDiff(new URLSearchParams(new FormData(event.target)));
  });
  connectEvents();
}

wire();
