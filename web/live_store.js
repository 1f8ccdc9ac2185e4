// @ts-check
// The live view's data, kept from the server's events: connections grouped by process, sorted and
// filtered, flattened into the rows the virtual list shows, and the counts the panels show. Events
// are applied as differences: a poll that changes three connections re-sorts only their groups.
// No DOM here: tests/web/live_store_test.ts runs it under Deno.
import { asText, countryName, ipSortKey } from "./format.js";

/**
 * @typedef {object} ConnState What the page keeps beside a decoded row.
 * @property {string | undefined} hay Lower-case text the search looks in, made when first needed.
 * @property {string | undefined} tie The order among equal sort keys: remote end, then local port.
 * @property {string | number | undefined} sortKey This connection's key for the sort column `sortedBy`.
 * @property {string | undefined} sortedBy
 * @property {0 | 1} pin 0 when its remote address raised an alert: such rows come first.
 * @property {boolean} gone Replaced or closed: to be taken out of its group's sorted list.
 */

/**
 * @typedef {import("../lib/web/live_wire.ts").LiveRecord & ConnState} Conn A live connection, decoded
 * from its row (LIVE_FIELDS on the server).
 */

/**
 * @typedef {import("../lib/web/live_view.ts").AddressView & { hay?: string }} AddressView What the server
 * knows about a remote address, as it sends it, and the lower-case text the search looks in.
 */

/** @typedef {import("../lib/web/live_view.ts").ProcessView} ProcessView One process's row, as the server sends it. */

/** @typedef {import("../lib/web/live_view.ts").LiveAlert} LiveAlert */
/** @typedef {"key" | "process_key" | "severity" | "protocol"} AlertOptional */
/**
 * @typedef {Omit<LiveAlert, AlertOptional> & Partial<Pick<LiveAlert, AlertOptional>>} Alert An alert as the
 * server sends it; one read back from a link or from the store may lack its keys, severity and protocol.
 */

/** @typedef {import("../lib/web/live_series.ts").SeriesPoint} Point One poll on the chart, as the server sends it. */
/** @typedef {import("../lib/web/poll_pace.ts").PaceReport} Pace How polls keep up, as the server sends it. */

/**
 * @typedef {object} Group One process and its connections.
 * @property {true} isGroup
 * @property {string} key
 * @property {string} label
 * @property {Map<string, Conn>} members
 * @property {Conn[]} sorted Members in the list's order, alerted first (may hold `gone` ones until the next sort).
 * @property {Conn[]} shown The sorted members the search lets through.
 * @property {Conn[]} added Members that came since the last sort.
 * @property {number} gone Entries of `sorted` that are gone.
 * @property {boolean} resort Everything must be sorted again (the order or a pin changed).
 * @property {number} alerted Members whose remote address raised an alert.
 * @property {string} hay
 */

/** @typedef {Group | Conn} Entry A row of the list: a process's header or one of its connections. */

/** @typedef {import("../lib/web/live_wire.ts").LiveRow} LiveRow A connection as a row of LIVE_FIELDS, as the server sends it. */
/** @typedef {import("../lib/web/live_view.ts").LiveStateEvent} StateEvent The first event of the stream, as the server sends it. */

/** @typedef {import("../lib/web/live_view.ts").LiveUpdate} UpdateEvent What one poll changed, as the server sends it. */

/** @typedef {{ label: string, n: number, pick: string, title?: string }} CountItem */
/** @typedef {{ items: CountItem[], distinct: number }} CountList */

const MAX_ALERTS = 500;
const MAX_POINTS = 900;
const RISK_RANK =
  /** @type {Record<string, number>} */ ({ SAFE: 1, UNKNOWN: 2, SUSPICIOUS: 3, MALICIOUS: 4 });

/** @param {number | null | undefined} n */
function pad(n) {
  return String(n ?? 0).padStart(5, "0");
}

/** @param {AddressView | undefined} view */
function riskRank(view) {
  if (view === undefined) return 0;
  if (view.blocklist) return 5;
  return RISK_RANK[view.risk_level ?? ""] ?? 0;
}

/**
 * The columns the list sorts by: each gives a connection's sort key (numbers or texts, one kind per column).
 * @type {Record<string, { key: (c: Conn, view: AddressView | undefined) => string | number, usesAddress: boolean }>}
 */
export const SORT_COLUMNS = {
  proto: { key: (c) => c.protocol, usesAddress: false },
  local: { key: (c) => ipSortKey(c.local_ip) + pad(c.local_port), usesAddress: false },
  remote: { key: (c) => ipSortKey(c.remote_ip) + pad(c.remote_port), usesAddress: false },
  state: { key: (c) => c.status, usesAddress: false },
  dir: { key: (c) => c.direction, usesAddress: false },
  country: { key: (_c, v) => v?.country ?? (v?.local ? "~local" : "~~"), usesAddress: true },
  as: { key: (_c, v) => v?.asn ?? Number.MAX_SAFE_INTEGER, usesAddress: true },
  risk: { key: (_c, v) => -riskRank(v), usesAddress: true },
  since: { key: (c) => c.first_seen_ms, usesAddress: false },
};

/** @param {string | number} a @param {string | number} b */
function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The page's live data.
 */
export class LiveStore {
  /** @type {Map<string, Conn>} */
  connections = new Map();
  /** @type {Map<string, AddressView>} */
  addresses = new Map();
  /** @type {Map<string, ProcessView>} */
  processes = new Map();
  /** @type {Map<string, Group>} */
  groups = new Map();
  /** Open connections per remote address. @type {Map<string, number>} */
  remoteCounts = new Map();
  /** @type {Alert[]} */
  alerts = [];
  /** @type {Point[]} */
  series = [];
  /** @type {Pace | null} */
  pace = null;
  /** @type {string | null} */
  at = null;
  timeUnit = 1;
  width = 60;
  /** Rows the server said the state has, and rows received so far. */
  total = 0;
  loaded = 0;
  /** Bumped by every change, so views redraw only when something changed. */
  version = 0;
  /** Bumped when alerts arrive. */
  alertsVersion = 0;

  /** @type {Set<string>} */
  selected = new Set();
  search = "";
  sort = { column: "remote", descending: false };

  /** Each field's place in a row. @type {Record<string, number>} */
  #index = {};
  /** @type {Entry[] | null} */
  #rows = null;
  #shownCount = 0;
  #searchChanged = false;
  #allCollapsed = false;
  /** Groups whose state differs from #allCollapsed. @type {Set<string>} */
  #toggled = new Set();

  /** @param {StateEvent} state */
  applyState(state) {
    this.connections.clear();
    this.groups.clear();
    this.remoteCounts.clear();
    this.addresses.clear();
    this.#index = Object.fromEntries(state.fields.map((field, i) => [field, i]));
    this.timeUnit = state.time_unit_seconds;
    this.width = state.width;
    this.total = state.total;
    this.loaded = 0;
    this.#setAddresses(state.addresses);
    this.#setProcesses(state.processes);
    this.alerts = state.alerts.slice(-MAX_ALERTS);
    this.alertsVersion++;
    this.series = state.series.slice(-MAX_POINTS);
    this.pace = state.pace;
    this.at = state.at;
    this.applyRows(state.connections);
  }

  /** More rows of the state, or of a large update. @param {readonly LiveRow[]} rows */
  applyRows(rows) {
    const loading = this.loaded < this.total;
    for (const row of rows) this.#put(this.#decode(row));
    this.loaded += rows.length;
    if (loading && this.loaded >= this.total) {
      // A page that reconnected keeps the selection of connections that are still open.
      for (const key of [...this.selected]) if (!this.connections.has(key)) this.selected.delete(key);
    }
    this.#changed();
  }

  /** @param {UpdateEvent} update */
  applyUpdate(update) {
    this.#setAddresses(update.addresses);
    for (const row of update.added) this.#put(this.#decode(row));
    for (const row of update.changed) this.#put(this.#decode(row));
    for (const key of update.removed) this.#drop(key);
    this.#setProcesses(update.processes);
    if (update.alerts.length > 0) {
      this.alerts.push(...update.alerts);
      if (this.alerts.length > MAX_ALERTS) this.alerts.splice(0, this.alerts.length - MAX_ALERTS);
      this.alertsVersion++;
    }
    this.series.push(update.point);
    if (this.series.length > MAX_POINTS) this.series.splice(0, this.series.length - MAX_POINTS);
    this.pace = update.pace;
    this.at = update.at;
    this.#changed();
  }

  /**
   * A row as a connection, always of the same shape (fields the server does not send are null).
   * @param {LiveRow} row
   * @returns {Conn}
   */
  #decode(row) {
    const at = this.#index;
    /** @param {string} field */
    const value = (field) => {
      const i = at[field];
      return i === undefined ? null : row[i] ?? null;
    };
    return {
      key: String(value("key")),
      process_key: String(value("process_key")),
      protocol: /** @type {Conn["protocol"]} */ (String(value("protocol"))),
      local_ip: String(value("local_ip")),
      local_port: Number(value("local_port")),
      remote_ip: /** @type {string | null} */ (value("remote_ip")),
      remote_port: /** @type {number | null} */ (value("remote_port")),
      status: String(value("status")),
      direction: /** @type {Conn["direction"]} */ (String(value("direction"))),
      pid: /** @type {number | null} */ (value("pid")),
      process_name: /** @type {string | null} */ (value("process_name")),
      first_seen_ms: Number(value("first_seen_ms")),
      domain: /** @type {string | null} */ (value("domain")),
      hay: undefined,
      tie: undefined,
      sortKey: undefined,
      sortedBy: undefined,
      pin: 1,
      gone: false,
    };
  }

  /** @param {Conn} c */
  #put(c) {
    const before = this.connections.get(c.key);
    if (before === undefined) {
      if (c.remote_ip !== null) {
        this.remoteCounts.set(c.remote_ip, (this.remoteCounts.get(c.remote_ip) ?? 0) + 1);
      }
    } else {
      this.#leave(before);
    }
    this.connections.set(c.key, c);
    const group = this.#group(c.process_key, c);
    group.members.set(c.key, c);
    group.added.push(c);
  }

  /** @param {string} key */
  #drop(key) {
    const c = this.connections.get(key);
    if (c === undefined) return;
    this.connections.delete(key);
    this.selected.delete(key);
    this.#leave(c);
    if (c.remote_ip !== null) {
      const n = (this.remoteCounts.get(c.remote_ip) ?? 1) - 1;
      if (n > 0) this.remoteCounts.set(c.remote_ip, n);
      else this.remoteCounts.delete(c.remote_ip);
    }
  }

  /** Take a connection out of its group (it closed, or a newer copy replaces it). @param {Conn} c */
  #leave(c) {
    c.gone = true;
    const group = this.groups.get(c.process_key);
    if (group === undefined) return;
    if (group.members.get(c.key) === c) group.members.delete(c.key);
    group.gone++;
    if (group.members.size === 0) this.groups.delete(group.key);
  }

  /** @param {string} key @param {Conn} c @returns {Group} */
  #group(key, c) {
    let group = this.groups.get(key);
    if (group === undefined) {
      const label = this.processes.get(key)?.label ??
        (c.process_name
          ? (c.pid === null ? c.process_name : `${c.process_name} (${c.pid})`)
          : "unknown process");
      group = {
        isGroup: true,
        key,
        label,
        members: new Map(),
        sorted: [],
        shown: [],
        added: [],
        gone: 0,
        resort: true,
        alerted: 0,
        hay: label.toLowerCase(),
      };
      this.groups.set(key, group);
    }
    return group;
  }

  /** @param {Record<string, AddressView>} addresses */
  #setAddresses(addresses) {
    let regroup = false;
    const usesAddress = SORT_COLUMNS[this.sort.column]?.usesAddress ?? false;
    for (const [ip, view] of Object.entries(addresses)) {
      const before = this.addresses.get(ip);
      view.hay = [
        view.hostname,
        view.country,
        view.country ? countryName(view.country) : "",
        asText(view),
        view.risk_level,
        view.blocklist,
      ].join(" ").toLowerCase();
      this.addresses.set(ip, view);
      // A new address only concerns new connections, whose groups re-sort anyway; an alert pins rows.
      const pinChanged = (before?.alerted ?? false) !== view.alerted;
      if (pinChanged || (before !== undefined && (usesAddress || this.search !== ""))) regroup = true;
    }
    if (regroup) { for (const group of this.groups.values()) group.resort = true; }
  }

  /** @param {ProcessView[]} processes */
  #setProcesses(processes) {
    this.processes = new Map(processes.map((p) => [p.key, p]));
    for (const p of processes) {
      const group = this.groups.get(p.key);
      if (group !== undefined && group.label !== p.label) {
        group.label = p.label;
        group.hay = p.label.toLowerCase();
        group.resort = true;
      }
    }
  }

  #changed() {
    this.#rows = null;
    this.version++;
  }

  /** @param {string} text */
  setSearch(text) {
    const search = text.trim().toLowerCase();
    if (search === this.search) return;
    this.search = search;
    this.#searchChanged = true;
    this.#changed();
  }

  /** Sort by a column; the same column again reverses the order. @param {string} column */
  setSort(column) {
    if (!(column in SORT_COLUMNS)) return;
    this.sort = this.sort.column === column
      ? { column, descending: !this.sort.descending }
      : { column, descending: false };
    for (const group of this.groups.values()) group.resort = true;
    this.#changed();
  }

  /** @param {string} key */
  isCollapsed(key) {
    return this.#allCollapsed !== this.#toggled.has(key);
  }

  /** @param {string} key @param {boolean} [collapsed] */
  setCollapsed(key, collapsed = !this.isCollapsed(key)) {
    if (collapsed === this.#allCollapsed) this.#toggled.delete(key);
    else this.#toggled.add(key);
    this.#changed();
  }

  /** Collapse (or expand) every group, including groups that appear later. @param {boolean} collapsed */
  setAllCollapsed(collapsed) {
    this.#allCollapsed = collapsed;
    this.#toggled.clear();
    this.#changed();
  }

  /** @param {Conn} c */
  #matches(c) {
    c.hay ??= `${c.process_name ?? ""} ${c.pid ?? ""} ${c.protocol} ${c.local_ip}:${c.local_port} ${
      c.remote_ip === null ? "" : `${c.remote_ip}:${c.remote_port}`
    } ${c.status} ${c.direction} ${c.domain ?? ""}`.toLowerCase();
    if (c.hay.includes(this.search)) return true;
    const view = c.remote_ip === null ? undefined : this.addresses.get(c.remote_ip);
    return view?.hay?.includes(this.search) ?? false;
  }

  /**
   * Put a group's members in order. A few new members are merged into the sorted list (a poll that opens
   * 25 connections in a process of 20,000 costs one pass, not a sort); a new order sorts everything.
   * @param {Group} group
   */
  #sortGroup(group) {
    const column = SORT_COLUMNS[this.sort.column] ?? /** @type {NonNullable<typeof SORT_COLUMNS[string]>} */
      (SORT_COLUMNS.remote);
    const name = this.sort.column;
    const sign = this.sort.descending ? -1 : 1;
    const addresses = this.addresses;
    /** @param {Conn} c */
    const prepare = (c) => {
      const view = c.remote_ip === null ? undefined : addresses.get(c.remote_ip);
      c.pin = view?.alerted ? 0 : 1;
      if (c.sortedBy !== name || column.usesAddress) {
        c.sortKey = column.key(c, view);
        c.sortedBy = name;
      }
      c.tie ??= ipSortKey(c.remote_ip) + pad(c.remote_port) + pad(c.local_port);
    };
    /** @param {Conn} a @param {Conn} b */
    const order = (a, b) =>
      a.pin - b.pin ||
      sign *
        compare(/** @type {string | number} */ (a.sortKey), /** @type {string | number} */ (b.sortKey)) ||
      compare(/** @type {string} */ (a.tie), /** @type {string} */ (b.tie));
    const fresh = group.added.filter((c) => !c.gone);
    if (group.resort || fresh.length > group.members.size / 4) {
      const all = [...group.members.values()];
      for (const c of all) prepare(c);
      group.sorted = all.sort(order);
    } else {
      for (const c of fresh) prepare(c);
      fresh.sort(order);
      const kept = group.gone > 0 ? group.sorted.filter((c) => !c.gone) : group.sorted;
      // Merge the two sorted lists.
      const merged = new Array(kept.length + fresh.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < kept.length && j < fresh.length) {
        merged[k++] = order(/** @type {Conn} */ (kept[i]), /** @type {Conn} */ (fresh[j])) <= 0
          ? kept[i++]
          : fresh[j++];
      }
      while (i < kept.length) merged[k++] = kept[i++];
      while (j < fresh.length) merged[k++] = fresh[j++];
      group.sorted = merged;
    }
    let alerted = 0;
    for (const c of group.sorted) {
      if (c.pin === 1) break;
      alerted++;
    }
    group.alerted = alerted;
    group.added = [];
    group.gone = 0;
    group.resort = false;
  }

  /** The list's rows: each group's header, then (unless collapsed) its shown connections. @returns {Entry[]} */
  rows() {
    if (this.#rows !== null) return this.#rows;
    const searching = this.search !== "";
    for (const group of this.groups.values()) {
      const resorted = group.resort || group.added.length > 0 || group.gone > 0;
      if (resorted) this.#sortGroup(group);
      if (resorted || this.#searchChanged) {
        group.shown = !searching || group.hay.includes(this.search)
          ? group.sorted
          : group.sorted.filter((c) => this.#matches(c));
      }
    }
    this.#searchChanged = false;
    const order = [...this.groups.values()].sort((a, b) =>
      (b.alerted > 0 ? 1 : 0) - (a.alerted > 0 ? 1 : 0) || b.members.size - a.members.size ||
      a.label.localeCompare(b.label)
    );
    /** @type {Entry[]} */
    const rows = [];
    let shown = 0;
    for (const group of order) {
      if (searching && group.shown.length === 0) continue;
      shown += group.shown.length;
      rows.push(group);
      if (this.isCollapsed(group.key)) continue;
      for (const c of group.shown) rows.push(c);
    }
    this.#shownCount = shown;
    this.#rows = rows;
    return rows;
  }

  /** Connections the search lets through (all of them without a search). */
  get shownCount() {
    this.rows();
    return this.#shownCount;
  }

  /**
   * The open connection an alert is about: by its key, or by its remote end and process.
   * @param {Alert} alert
   * @returns {Conn | undefined}
   */
  connectionFor(alert) {
    if (alert.key !== undefined) {
      const c = this.connections.get(alert.key);
      if (c !== undefined) return c;
    }
    for (const c of this.connections.values()) {
      if (c.remote_ip === alert.remote_ip && c.remote_port === alert.remote_port && c.pid === alert.pid) {
        return c;
      }
    }
    return undefined;
  }

  /**
   * Make a connection's row (or a group's header) part of the list: expand its group and clear a search that
   * hides it. Returns the row's index, or -1 when it is not open.
   * @param {{ key?: string, process_key?: string }} target
   */
  reveal(target) {
    const c = target.key === undefined ? undefined : this.connections.get(target.key);
    const groupKey = c?.process_key ?? target.process_key;
    const group = groupKey === undefined ? undefined : this.groups.get(groupKey);
    if (group === undefined) return -1;
    if (c !== undefined && this.isCollapsed(group.key)) this.setCollapsed(group.key, false);
    let index = this.rows().indexOf(c ?? group);
    if (index < 0 && this.search !== "") {
      this.setSearch("");
      index = this.rows().indexOf(c ?? group);
    }
    return index;
  }

  /**
   * What the panels count: open connections per process, remote address, country and AS (the top `limit` of each).
   * @param {number} limit
   */
  counts(limit) {
    /**
     * The `limit` largest, kept in order while walking the map once (there can be 40,000 addresses).
     * @param {Map<string, { n: number, label: string, title?: string }>} map
     * @returns {CountList}
     */
    const top = (map) => {
      /** @type {CountItem[]} */
      const items = [];
      /** @param {CountItem} a @param {CountItem} b */
      const before = (a, b) => a.n > b.n || (a.n === b.n && a.label.localeCompare(b.label) < 0);
      for (const [pick, v] of map) {
        const item = { pick, ...v };
        if (items.length === limit && !before(item, /** @type {CountItem} */ (items[limit - 1]))) continue;
        let at = items.length;
        while (at > 0 && before(item, /** @type {CountItem} */ (items[at - 1]))) at--;
        items.splice(at, 0, item);
        if (items.length > limit) items.pop();
      }
      return { items, distinct: map.size };
    };
    /** @type {Map<string, { n: number, label: string, title?: string }>} */
    const processes = new Map();
    for (const group of this.groups.values()) {
      processes.set(group.label, { n: group.members.size, label: group.label });
    }
    /** @type {Map<string, { n: number, label: string, title?: string }>} */
    const addresses = new Map();
    /** @type {Map<string, { n: number, label: string, title?: string }>} */
    const countries = new Map();
    /** @type {Map<string, { n: number, label: string, title?: string }>} */
    const networks = new Map();
    /** @param {Map<string, { n: number, label: string, title?: string }>} map @param {string} pick @param {string} label @param {number} n */
    const add = (map, pick, label, n) => {
      const item = map.get(pick);
      if (item === undefined) map.set(pick, { n, label });
      else item.n += n;
    };
    let remote = 0;
    for (const [ip, n] of this.remoteCounts) {
      remote += n;
      const view = this.addresses.get(ip);
      const name = view?.hostname ?? "";
      addresses.set(ip, { n, label: name ? `${ip} ${name}` : ip });
      if (view?.country) add(countries, view.country, `${countryName(view.country)} (${view.country})`, n);
      else add(countries, view?.local ? "local" : "unknown", view?.local ? "local network" : "unknown", n);
      if (view?.asn) add(networks, `AS${view.asn}`, asText(view), n);
      else add(networks, view?.local ? "local" : "unknown", view?.local ? "local network" : "unknown", n);
    }
    return {
      processes: top(processes),
      addresses: top(addresses),
      countries: top(countries),
      networks: top(networks),
      /** Open connections without a remote end (listening and unconnected sockets). */
      withoutRemote: this.connections.size - remote,
    };
  }
}
