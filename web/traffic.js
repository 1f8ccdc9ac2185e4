// conntrail's traffic panel (`serve --traffic`): the machine's throughput over time and the top talkers
// by process, destination, country and network, read from /api/traffic once per time unit.
// Names come from other processes and from DNS: they reach the page as text (textContent), never markup.

const SVG = "http://www.w3.org/2000/svg";
const CHART = { width: 320, height: 120 };
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

function bytes(n) {
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

function rate(n) {
  const text = bytes(n);
  return text === "-" ? text : `${text}/s`;
}

function text(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.textContent = content;
  return node;
}

function talkerItem(t) {
  const item = document.createElement("li");
  item.className = "talker";
  item.dataset.key = t.key;
  item.append(
    text("span", "talker-label", t.label),
    text("span", "talker-rate", `↑ ${rate(t.rate_sent)} ↓ ${rate(t.rate_received)}`),
    text("span", "talker-total", `${bytes(t.sent)} sent, ${bytes(t.received)} received`),
  );
  return item;
}

function drawList(id, talkers) {
  const list = document.getElementById(id);
  if (talkers.length === 0) list.replaceChildren(text("li", "talker-none", "nothing yet"));
  else list.replaceChildren(...talkers.map(talkerItem));
}

function polyline(points, className) {
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("class", className);
  line.setAttribute("points", points.join(" "));
  return line;
}

function drawChart(series) {
  const svg = document.getElementById("throughput");
  const known = series.filter((s) => s.sent !== null && s.received !== null);
  const top = Math.max(1, ...known.map((s) => Math.max(s.sent, s.received)));
  const step = known.length > 1 ? CHART.width / (known.length - 1) : CHART.width;
  const y = (v) => (CHART.height - 14) * (1 - v / top) + 12;
  const sent = known.map((s, i) => `${(i * step).toFixed(1)},${y(s.sent).toFixed(1)}`);
  const received = known.map((s, i) => `${(i * step).toFixed(1)},${y(s.received).toFixed(1)}`);
  const scale = document.createElementNS(SVG, "text");
  scale.setAttribute("x", "2");
  scale.setAttribute("y", "10");
  scale.setAttribute("class", "chart-scale");
  scale.textContent = `${rate(top)} · ${known.length} polls`;
  svg.replaceChildren(scale, polyline(received, "chart-received"), polyline(sent, "chart-sent"));
  svg.dataset.points = String(known.length);
}

function draw(view) {
  const m = view.machine;
  document.getElementById("traffic-machine").textContent =
    `now ↑ ${rate(m.rate_sent)} ↓ ${rate(m.rate_received)} · so far ${bytes(m.sent)} sent, ` +
    `${bytes(m.received)} received`;
  drawChart(view.series);
  drawList("top-processes", view.processes);
  drawList("top-destinations", view.destinations);
  drawList("top-countries", view.countries);
  drawList("top-networks", view.networks);
}

async function refresh() {
  const panel = document.getElementById("traffic");
  let wait = 5000;
  try {
    const response = await fetch("/api/traffic", { credentials: "same-origin" });
    const view = await response.json();
    if (!response.ok) throw new Error(view.error ?? String(response.status));
    if (!view.enabled) {
      panel.hidden = true;
      return; // counters are off for this server's whole run
    }
    panel.hidden = false;
    draw(view);
    wait = Math.max(1000, view.time_unit_seconds * 1000);
  } catch (error) {
    document.getElementById("traffic-machine").textContent = `cannot read traffic: ${error.message}`;
  }
  setTimeout(refresh, wait);
}

refresh();
