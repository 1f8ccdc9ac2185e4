// @ts-check
/// <reference lib="dom" />
// The live connections as a virtual list: only the rows in view (and a few either side) are in the
// DOM, placed by offset in a body as tall as all rows; rows are reused as the list scrolls and a
// row's cells are written only when what they show changed. Column headers (which sort) and the
// header of the process being scrolled through stay on top. Every row has the same height, set in
// style.css (--row-h), so a row's place is its index times that height.
import { el, setText } from "./dom.js";
import { asText, clock, count, countryName, endpoint, span, visibleText } from "./format.js";

/** @typedef {import("./live_store.js").LiveStore} LiveStore */
/** @typedef {import("./live_store.js").Conn} Conn */
/** @typedef {import("./live_store.js").Group} Group */
/** @typedef {import("./live_store.js").Entry} Entry */
/** @typedef {import("./live_store.js").AddressView} AddressView */

/** Rows kept beyond each edge of the view, so a fast scroll shows rows, not blank space. */
const OVERSCAN = 6;

/** The columns of a connection row, in order; each header sorts by its column. */
const COLUMNS = [
  { id: "proto", label: "Proto", title: "protocol" },
  { id: "local", label: "Local" },
  { id: "remote", label: "Remote", title: "remote address (numeric order) and its name" },
  { id: "state", label: "State" },
  { id: "dir", label: "Dir", title: "direction: → outgoing, ← incoming, ○ listening" },
  { id: "country", label: "Ctry", title: "country" },
  { id: "as", label: "AS", title: "autonomous system (network)" },
  { id: "risk", label: "Risk", title: "block list and AbuseIPDB verdict" },
  { id: "since", label: "Since", title: "first seen" },
];

/** @type {Record<string, string>} */
const SYMBOL_CLASSES = { "▲": "new", "■": "active", "○": "listen", "×": "closed", "·": "empty" };
/** @type {Record<string, [string, string]>} */
const DIRECTIONS = {
  outgoing: ["→", "outgoing"],
  incoming: ["←", "incoming"],
  listening: ["○", "listening"],
  unknown: ["?", "direction unknown"],
};

/** @param {Entry} entry @returns {entry is Group} */
function isGroup(entry) {
  return "isGroup" in entry;
}

/** @param {string} className @param {...(Node | string | null)} children */
function cell(className, ...children) {
  const node = el("span", className, ...children);
  node.setAttribute("role", "gridcell");
  return node;
}

/** @param {string} label */
function checkbox(label) {
  const box = el("input", "pick");
  box.type = "checkbox";
  box.setAttribute("aria-label", label);
  return box;
}

/**
 * A timeline as runs of coloured symbols.
 * @param {HTMLElement} code
 * @param {string} text
 */
function drawTimeline(code, text) {
  if (code.dataset.text === text) return;
  code.dataset.text = text;
  const runs = [];
  let run = "";
  let runClass = "";
  for (const symbol of text) {
    const cls = SYMBOL_CLASSES[symbol] ?? "empty";
    if (cls !== runClass && run !== "") {
      runs.push(el("span", `cell-${runClass}`, run));
      run = "";
    }
    runClass = cls;
    run += symbol;
  }
  if (run !== "") runs.push(el("span", `cell-${runClass}`, run));
  code.replaceChildren(...runs);
}

/** @param {AddressView | undefined} view @param {HTMLElement} holder */
function drawRisk(view, holder) {
  let text = "";
  let kind = "none";
  let title = "";
  if (view?.blocklist) {
    text = "BLOCKLISTED";
    kind = "malicious";
    title = view.blocklist;
  } else if (view?.risk_level) {
    text = view.risk_level;
    kind = view.risk_level.toLowerCase();
    if (view.abuse_score !== null && view.abuse_score !== undefined) {
      title = `AbuseIPDB score ${view.abuse_score}`;
    }
  }
  const badge = /** @type {HTMLElement} */ (holder.firstChild);
  setText(badge, text);
  badge.className = `risk risk-${kind}`;
  if (badge.title !== visibleText(title)) badge.title = visibleText(title);
}

/** One connection's row, reused for whichever connection scrolls into its place. */
class ConnRow {
  constructor() {
    this.node = el("div", "row conn");
    this.node.setAttribute("role", "row");
    this.node.setAttribute("aria-level", "2");
    this.node.tabIndex = -1;
    this.box = checkbox("select for capture filters");
    this.addr = el("span", "addr");
    this.name = el("span", "hostname");
    this.cells = {
      select: cell("c-select", this.box),
      proto: cell("c-proto"),
      local: cell("c-local"),
      remote: cell("c-remote", this.addr, this.name),
      state: cell("c-state"),
      dir: cell("c-dir"),
      country: cell("c-country"),
      as: cell("c-as"),
      risk: cell("c-risk", el("span", "risk risk-none")),
      since: cell("c-since"),
    };
    this.node.append(...Object.values(this.cells));
    /** What the row shows now: redrawn only when one of these changes. */
    /** @type {Conn | null} */
    this.conn = null;
    /** @type {AddressView | undefined} */
    this.view = undefined;
    this.selected = false;
    this.flash = false;
  }

  /**
   * @param {Conn} c
   * @param {AddressView | undefined} view
   * @param {boolean} selected
   * @param {boolean} flash
   */
  update(c, view, selected, flash) {
    if (this.conn === c && this.view === view && this.selected === selected && this.flash === flash) return;
    const cells = this.cells;
    if (this.conn !== c) {
      this.node.dataset.key = c.key;
      this.node.dataset.processKey = c.process_key;
      setText(cells.proto, c.protocol);
      setText(cells.local, endpoint(c.local_ip, c.local_port));
      setText(this.addr, endpoint(c.remote_ip, c.remote_port));
      setText(cells.state, c.status);
      const [arrow, word] = DIRECTIONS[c.direction] ?? ["?", c.direction];
      setText(cells.dir, arrow);
      cells.dir.title = word;
      setText(cells.since, clock(c.first_seen_ms));
    }
    setText(this.name, c.domain ?? view?.hostname ?? "");
    setText(cells.country, view?.country ?? (view?.local ? "lan" : ""));
    cells.country.title = view?.country ? countryName(view.country) : view?.local ? "local network" : "";
    setText(cells.as, asText(view));
    drawRisk(view, cells.risk);
    this.box.checked = selected;
    this.node.classList.toggle("alerted", view?.alerted ?? false);
    this.node.classList.toggle("selected", selected);
    this.node.classList.toggle("flash", flash);
    this.conn = c;
    this.view = view;
    this.selected = selected;
    this.flash = flash;
  }
}

/** A process's header row: the toggle, a checkbox for all its connections, its name, counts and timeline. */
class GroupRow {
  constructor() {
    this.node = el("div", "row group");
    this.node.setAttribute("role", "row");
    this.node.setAttribute("aria-level", "1");
    this.node.tabIndex = -1;
    this.toggle = el("button", "toggle");
    this.toggle.type = "button";
    this.box = checkbox("select every shown connection of this process");
    this.label = el("span", "label");
    this.count = el("span", "count");
    this.badge = el("span", "alerted-badge");
    this.path = el("span", "path");
    this.timeline = el("code", "timeline");
    this.node.append(
      cell("c-select", this.box),
      cell("g-title", this.toggle, this.label, this.count, this.badge, this.path),
      cell("g-timeline", this.timeline),
    );
    this.sig = "";
  }

  /**
   * @param {Group} group
   * @param {import("./live_store.js").ProcessView | undefined} info
   * @param {{ collapsed: boolean, searching: boolean, selected: number }} state
   */
  update(group, info, state) {
    const timeline = info?.timeline ?? "";
    const sig = [
      group.key,
      group.label,
      group.members.size,
      group.shown.length,
      group.alerted,
      state.collapsed,
      state.selected,
      timeline,
      info?.path ?? "",
    ].join("\u0000");
    if (sig === this.sig) return;
    this.sig = sig;
    this.node.dataset.processKey = group.key;
    this.node.setAttribute("aria-expanded", String(!state.collapsed));
    this.node.classList.toggle("alerted", group.alerted > 0);
    setText(this.toggle, state.collapsed ? "▸" : "▾");
    this.toggle.setAttribute("aria-label", `${state.collapsed ? "expand" : "collapse"} ${group.label}`);
    setText(this.label, group.label);
    const shown = group.shown.length;
    setText(
      this.count,
      `${count(group.members.size)} open` +
        (state.searching && shown !== group.members.size ? ` · ${count(shown)} shown` : ""),
    );
    setText(this.badge, group.alerted > 0 ? `⚠ ${count(group.alerted)} alerted` : "");
    setText(this.path, info?.path ?? "");
    this.path.title = visibleText(info?.path ?? "");
    this.box.checked = shown > 0 && state.selected === shown;
    this.box.indeterminate = state.selected > 0 && state.selected < shown;
    drawTimeline(this.timeline, timeline);
  }
}

/** The list of live connections. */
export class ConnectionList {
  /**
   * @param {HTMLElement} root the scrolling element
   * @param {LiveStore} store
   * @param {{ onSelect: () => void, onRows: (shown: number) => void }} hooks
   */
  constructor(root, store, hooks) {
    this.root = root;
    this.store = store;
    this.hooks = hooks;
    root.setAttribute("role", "treegrid");
    root.setAttribute("aria-label", "open connections by process");
    /** @type {Map<string, HTMLButtonElement>} */
    this.sortButtons = new Map();
    const head = el("div", "row head");
    head.setAttribute("role", "row");
    head.append(el("span", "c-select"));
    for (const column of COLUMNS) {
      const button = el("button", "sort", column.label);
      button.type = "button";
      button.dataset.sort = column.id;
      if (column.title) button.title = column.title;
      const header = el("span", `c-${column.id}`, button);
      header.setAttribute("role", "columnheader");
      this.sortButtons.set(column.id, button);
      head.append(header);
    }
    this.axisStart = el("span", "axis-start");
    this.axisMiddle = el("span", "axis-middle");
    this.axis = el("div", "axis", this.axisStart, this.axisMiddle, el("span", "axis-end", "now"));
    this.axis.setAttribute("aria-label", "time axis of the process timelines");
    this.axisCell = el("span", "axis-cell", this.axis);
    this.head = el(
      "div",
      "list-head",
      head,
      el("div", "axis-row", el("span", "axis-title", "process · open connections"), this.axisCell),
    );
    this.stickyGroup = new GroupRow();
    this.stickyGroup.node.classList.add("sticky-group");
    this.stickyGroup.node.setAttribute("aria-hidden", "true");
    this.body = el("div", "list-body");
    this.body.setAttribute("role", "rowgroup");
    this.empty = el("p", "list-empty");
    this.probe = el("code", "timeline probe", "▲■○×·▲■○×·");
    root.append(this.head, this.stickyGroup.node, this.body, this.empty, this.probe);

    /** Rows in the DOM, by connection key or `g:` and process key. @type {Map<string, ConnRow | GroupRow>} */
    this.visible = new Map();
    /** @type {ConnRow[]} */
    this.spareConn = [];
    /** @type {GroupRow[]} */
    this.spareGroup = [];
    this.rowHeight = 26;
    this.charWidth = 7;
    /** Sizes measured on resize, so that drawing never makes the browser lay out the page first. */
    this.headHeight = 0;
    this.axisRoom = 0;
    this.viewHeight = 0;
    /** @type {Entry[] | null} */
    this.rowsSeen = null;
    /** Indices of the group headers in the rows, for the sticky header. @type {number[]} */
    this.groupStarts = [];
    /** @type {string | null} */
    this.flashKey = null;
    this.scheduled = false;

    root.addEventListener("scroll", () => this.schedule(), { passive: true });
    root.addEventListener("click", (event) => this.#onClick(event));
    root.addEventListener("change", (event) => this.#onChange(event));
    new ResizeObserver(() => {
      this.#measure();
      this.rowsSeen = null;
      this.schedule();
    }).observe(root);
    this.#measure();
  }

  #measure() {
    const style = getComputedStyle(this.root);
    this.rowHeight = parseFloat(style.getPropertyValue("--row-h")) || 26;
    const width = this.probe.getBoundingClientRect().width;
    if (width > 0) this.charWidth = width / 10;
    this.headHeight = this.head.offsetHeight;
    this.axisRoom = this.axisCell.clientWidth;
    this.viewHeight = this.root.clientHeight;
    this.stickyGroup.node.style.top = `${this.headHeight}px`;
  }

  /** Draw at the next frame (once, however often it is asked). */
  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  /** @param {Event} event */
  #onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const sort = target.closest("button.sort");
    if (sort instanceof HTMLElement && sort.dataset.sort) {
      this.store.setSort(sort.dataset.sort);
      this.draw();
      return;
    }
    const toggle = target.closest("button.toggle");
    const row = target.closest(".row.group");
    if (toggle && row instanceof HTMLElement && row.dataset.processKey !== undefined) {
      const key = row.dataset.processKey;
      this.store.setCollapsed(key);
      if (row === this.stickyGroup.node) {
        this.scrollTo(this.store.rows().indexOf(/** @type {Group} */ (this.store.groups.get(key))));
      }
      this.draw();
    }
  }

  /** @param {Event} event */
  #onChange(event) {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.classList.contains("pick")) return;
    const row = box.closest(".row");
    if (!(row instanceof HTMLElement)) return;
    const selected = this.store.selected;
    if (row.classList.contains("group")) {
      const group = this.store.groups.get(row.dataset.processKey ?? "");
      for (const c of group?.shown ?? []) {
        if (box.checked) selected.add(c.key);
        else selected.delete(c.key);
      }
    } else if (row.dataset.key !== undefined) {
      if (box.checked) selected.add(row.dataset.key);
      else selected.delete(row.dataset.key);
    }
    this.hooks.onSelect();
    this.draw();
  }

  /**
   * Scroll so that row `index` is in the upper third of the view.
   * @param {number} index
   */
  scrollTo(index) {
    if (index < 0) return;
    const view = this.viewHeight - this.headHeight;
    this.root.scrollTop = Math.max(0, index * this.rowHeight - view / 3);
  }

  /**
   * Bring a connection's row (or a process's header) into view, mark it, and give it focus.
   * @param {{ key?: string, process_key?: string }} target
   * @returns {"row" | "process" | "gone"}
   */
  reveal(target) {
    const index = this.store.reveal(target);
    if (index < 0) return "gone";
    const found = target.key !== undefined && this.store.connections.has(target.key);
    this.flashKey = found ? /** @type {string} */ (target.key) : `g:${target.process_key}`;
    const rect = this.root.getBoundingClientRect();
    if (rect.top < 0 || rect.top > innerHeight / 2) this.root.scrollIntoView({ block: "start" });
    this.scrollTo(index);
    this.draw();
    const shown = this.visible.get(this.flashKey);
    shown?.node.focus({ preventScroll: true });
    return found ? "row" : "process";
  }

  draw() {
    // Read before writing: reading after a change to the page makes the browser lay it out first.
    const scrolled = this.root.scrollTop;
    const store = this.store;
    const rows = store.rows();
    if (rows !== this.rowsSeen) {
      this.rowsSeen = rows;
      this.groupStarts = [];
      for (let i = 0; i < rows.length; i++) {
        if (isGroup(/** @type {Entry} */ (rows[i]))) this.groupStarts.push(i);
      }
      this.body.style.height = `${rows.length * this.rowHeight}px`;
      this.root.setAttribute("aria-rowcount", String(rows.length + 1));
      this.#drawHead();
    }
    const height = this.rowHeight;
    const view = Math.max(height, this.viewHeight - this.headHeight);
    // Fewer rows than before: the browser will scroll back to the end of the list.
    const top = Math.min(scrolled, Math.max(0, rows.length * height - view));
    const first = Math.max(0, Math.floor(top / height) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((top + view) / height) + OVERSCAN);
    const searching = store.search !== "";

    /** @type {Map<string, ConnRow | GroupRow>} */
    const next = new Map();
    for (let i = first; i < last; i++) {
      const entry = /** @type {Entry} */ (rows[i]);
      const id = isGroup(entry) ? `g:${entry.key}` : entry.key;
      let row = this.visible.get(id);
      if (row !== undefined) this.visible.delete(id);
      if (isGroup(entry)) {
        const groupRow = row instanceof GroupRow ? row : (this.spareGroup.pop() ?? new GroupRow());
        groupRow.update(entry, store.processes.get(entry.key), {
          collapsed: store.isCollapsed(entry.key),
          searching,
          selected: this.#selectedIn(entry),
        });
        groupRow.node.classList.toggle("flash", this.flashKey === id);
        row = groupRow;
      } else {
        const connRow = row instanceof ConnRow ? row : (this.spareConn.pop() ?? new ConnRow());
        const address = entry.remote_ip === null ? undefined : store.addresses.get(entry.remote_ip);
        connRow.update(entry, address, store.selected.has(entry.key), this.flashKey === id);
        row = connRow;
      }
      const offset = `translateY(${i * height}px)`;
      if (row.node.style.transform !== offset) row.node.style.transform = offset;
      row.node.setAttribute("aria-rowindex", String(i + 2));
      if (row.node.parentNode !== this.body) this.body.append(row.node);
      next.set(id, row);
    }
    for (const row of this.visible.values()) {
      row.node.remove();
      if (row instanceof ConnRow) this.spareConn.push(row);
      else this.spareGroup.push(row);
    }
    this.visible = next;
    this.#drawStickyGroup(rows, top);
    const shown = store.shownCount;
    setText(
      this.empty,
      rows.length > 0
        ? ""
        : store.search !== ""
        ? `Nothing matches “${store.search}”.`
        : "No open connections yet.",
    );
    this.empty.hidden = rows.length > 0;
    this.hooks.onRows(shown);
  }

  /** @param {Group} group */
  #selectedIn(group) {
    const selected = this.store.selected;
    if (selected.size === 0) return 0;
    let n = 0;
    for (const c of group.shown) if (selected.has(c.key)) n++;
    return n;
  }

  /**
   * The header of the process the top row belongs to, kept on top while its rows scroll by.
   * @param {Entry[]} rows
   * @param {number} top how far the list is scrolled, px
   */
  #drawStickyGroup(rows, top) {
    const topIndex = Math.floor(top / this.rowHeight);
    const starts = this.groupStarts;
    let lo = 0;
    let hi = starts.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (/** @type {number} */ (starts[mid]) <= topIndex) {
        at = /** @type {number} */ (starts[mid]);
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const node = this.stickyGroup.node;
    if (at < 0 || at >= topIndex || top <= at * this.rowHeight) {
      node.hidden = true;
      return;
    }
    const group = /** @type {Group} */ (rows[at]);
    this.stickyGroup.update(group, this.store.processes.get(group.key), {
      collapsed: this.store.isCollapsed(group.key),
      searching: this.store.search !== "",
      selected: this.#selectedIn(group),
    });
    node.hidden = false;
  }

  /** Sort marks on the headers, and the timeline's time axis. */
  #drawHead() {
    const { column, descending } = this.store.sort;
    for (const [id, button] of this.sortButtons) {
      const header = /** @type {HTMLElement} */ (button.parentElement);
      const active = id === column;
      header.setAttribute("aria-sort", active ? (descending ? "descending" : "ascending") : "none");
      button.classList.toggle("active", active);
      button.dataset.mark = active ? (descending ? "▼" : "▲") : "";
    }
    // The axis spans what the timelines show: their cell is as wide as this one, and clips the oldest symbols.
    const room = this.axisRoom;
    const symbols = Math.max(2, Math.min(this.store.width, Math.floor(room / this.charWidth)));
    this.axis.style.width = `${symbols * this.charWidth}px`;
    const seconds = symbols * this.store.timeUnit;
    setText(this.axisStart, `−${span(seconds)}`);
    setText(this.axisMiddle, `−${span(seconds / 2)}`);
    this.axis.title = `each symbol is ${span(this.store.timeUnit)}; the newest is on the right`;
  }
}
