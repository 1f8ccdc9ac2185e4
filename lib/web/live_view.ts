/**
 * What the web page shows live: the open connections, what is known about
 * their remote addresses, one timeline per process, and recent alerts. It is
 * the monitor's output for `conntrail serve`: after each poll it publishes
 * what changed, which the event stream sends to every page.
 *
 * @module
 */
import type { DescribeAddress } from "../model/address_info.ts";
import { isLocalAddress } from "../model/address_scope.ts";
import type { Connection } from "../model/connection.ts";
import { connectionKey } from "../model/connection_key.ts";
import type { AlertDetails, ConnectionEvent, StatusEvent } from "../model/monitor_event.ts";
import type { RiskLevel } from "../model/risk.ts";
import { LINGERING_STATUSES } from "../model/status.ts";
import { compareText } from "../model/text_order.ts";
import { isoWithOffset } from "../model/timestamp.ts";
import type { MonitorOutput } from "../monitor/monitor_output.ts";
import { CELL_SYMBOLS } from "../model/timeline.ts";
import type { TimelineView } from "../model/timeline_view.ts";
import { processKey as processRowKey } from "../model/traffic_ledger.ts";
import { LiveSeries, type SeriesPoint } from "./live_series.ts";
import { RawJson } from "./event_stream.ts";
import { LIVE_FIELDS, type LiveConnection, type LiveRow, liveRowJson } from "./live_wire.ts";
import type { PaceReport, PollPace } from "./poll_pace.ts";
import { type TrafficView, trafficView } from "./traffic_view.ts";

export type { LiveConnection } from "./live_wire.ts";

/** What is known about a remote address: names and place, and its risk (absent: not known). */
export interface AddressView {
  hostname?: string | null;
  country?: string | null;
  asn?: number | null;
  as_org?: string | null;
  risk_level?: RiskLevel;
  abuse_score?: number | null;
  /** The list and entry that matched: `ips.txt:12 203.0.113.0/24`. */
  blocklist?: string;
  /** True when an alert was raised for the address in this run. */
  alerted: boolean;
  /** True for private, loopback, link-local and reserved addresses (no country to find). */
  local: boolean;
}

/** One process's row: its timeline (oldest first, one symbol per time unit) and open sockets. */
export interface ProcessView {
  key: string;
  label: string;
  pid: number | null;
  name: string | null;
  path: string | null;
  timeline: string;
  open: number;
  first_seen: string;
  last_seen: string;
}

/** An alert as the page lists it, with the keys of its connection and process so the page can lead to them. */
export interface LiveAlert extends AlertDetails {
  at: string;
  reason: string;
  severity: "warning" | "error";
  protocol: Connection["protocol"];
  remote_ip: string | null;
  remote_port: number | null;
  pid: number | null;
  process_name: string | null;
  key: string;
  process_key: string;
}

/** Everything the page needs to draw itself, as `/api/connections` answers it. */
export interface LiveState {
  at: string | null;
  time_unit_seconds: number;
  width: number;
  connections: LiveConnection[];
  addresses: Record<string, AddressView>;
  processes: ProcessView[];
  alerts: LiveAlert[];
}

/**
 * The first event of a page's stream: the state, with connections as rows
 * (see {@linkcode LIVE_FIELDS}); `total` rows in all, the rest follow in
 * `rows` events so that no single event is large.
 */
export interface LiveStateEvent {
  at: string | null;
  time_unit_seconds: number;
  width: number;
  fields: readonly string[];
  total: number;
  connections: LiveRow[];
  addresses: Record<string, AddressView>;
  processes: ProcessView[];
  alerts: LiveAlert[];
  series: SeriesPoint[];
  pace: PaceReport | null;
}

/** What one poll changed: sent to every page as an `update` event. */
export interface LiveUpdate {
  at: string;
  added: LiveRow[];
  changed: LiveRow[];
  /** Keys of connections that closed. */
  removed: string[];
  /** Addresses whose view changed (a name arrived, an alert was raised). */
  addresses: Record<string, AddressView>;
  /** Every process row on the timeline now. */
  processes: ProcessView[];
  /** Alerts raised in this poll. */
  alerts: LiveAlert[];
  /** This poll on the chart. */
  point: SeriesPoint;
  /** How polls keep up with the time unit (null when not measured). */
  pace: PaceReport | null;
}

/** Options of {@linkcode LiveView}. */
export interface LiveViewOptions {
  timeUnitSeconds: number;
  width: number;
  describe: DescribeAddress;
  /** What block lists and reputation say about an address now; never waits. */
  risk: (ip: string) => Pick<AddressView, "risk_level" | "abuse_score" | "blocklist">;
  /**
   * Called with each poll's changes: an `update` event ({@linkcode LiveUpdate}), and when more connections
   * are new than one event carries (the first poll), `rows` events with the rest.
   */
  publish: (
    event: "update" | "rows",
    data: RawJson<LiveUpdate> | RawJson<{ connections: LiveRow[] }>,
  ) => void;
  /** Rows per event (default 4,000). */
  rowsPerEvent?: number;
  /** Alerts kept for new pages (default 500). */
  maxAlerts?: number;
  /** Points kept for the chart (default 900: a quarter of an hour at one poll a second). */
  maxPoints?: number;
  /** Counts each poll's work; the clock is `now` (epoch ms), the same as the poll's `at`. */
  pace?: { pace: PollPace; now: () => number };
}

/** Rows per `state`/`rows` event. */
const ROWS_PER_EVENT = 4000;
/** The most polls an unchanged address waits before it is looked up again. */
const MAX_LOOKUP_EVERY = 16;

/** An address's view as last sent, and when it is looked up again. */
interface AddressEntry {
  view: AddressView;
  /** Polls between lookups now: doubles while the view stays the same. */
  every: number;
  /** The poll of the next lookup. */
  due: number;
}

function sameView(a: AddressView, b: AddressView): boolean {
  const keys = Object.keys(a) as (keyof AddressView)[];
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}

function liveAlert(event: ConnectionEvent, key: string): LiveAlert {
  const c = event.connection;
  return {
    at: c.timestamp,
    reason: event.reason ?? "",
    severity: event.severity ?? "warning",
    protocol: c.protocol,
    remote_ip: c.remote_ip,
    remote_port: c.remote_port,
    pid: c.pid,
    process_name: c.process_name,
    key,
    process_key: processRowKey(c),
    ...event.details,
  };
}

/** An open connection and its row as JSON. */
interface OpenEntry {
  live: LiveConnection;
  json: string;
}

function entry(live: LiveConnection): OpenEntry {
  return { live, json: liveRowJson(live) };
}

/** `{"connections":[…]}` from rows already written as JSON. */
function rowsEvent(rows: readonly string[]): RawJson<{ connections: LiveRow[] }> {
  return new RawJson(`{"connections":[${rows.join(",")}]}`);
}

/**
 * The page's model, kept up to date by the monitor loop. It is the output of
 * a `conntrail serve` run, in place of the dashboard or scroll lines.
 */
export class LiveView implements MonitorOutput {
  readonly #tracker: TimelineView;
  readonly #options: LiveViewOptions;
  readonly #open = new Map<string, OpenEntry>();
  /** Keys of open connections whose process is not known yet. */
  readonly #unowned = new Set<string>();
  /** Open connections per remote address. */
  readonly #remoteCounts = new Map<string, number>();
  /** The view of each address with an open connection as last sent, and when to look it up again. */
  readonly #addresses = new Map<string, AddressEntry>();
  /** Polls so far: the clock of {@linkcode AddressEntry.due}. */
  #polls = 0;
  readonly #alertDetails = new Map<string, AlertDetails>();
  readonly #series: LiveSeries;
  #alerts: LiveAlert[] = [];
  #at: string | null = null;
  #pace: PaceReport | null = null;

  constructor(tracker: TimelineView, options: LiveViewOptions) {
    this.#tracker = tracker;
    this.#options = options;
    this.#series = new LiveSeries(options.maxPoints ?? 900);
  }

  onPoll(events: readonly ConnectionEvent[], _status: StatusEvent | null, at: Date): Promise<void> {
    this.#at = isoWithOffset(at);
    const added: LiveConnection[] = [];
    const changed: LiveConnection[] = [];
    const removed: string[] = [];
    const alerts: LiveAlert[] = [];
    /** Ports (`TCP 80`) a listener appeared on in this poll. */
    const listened = new Set<string>();
    for (const event of events) {
      const c = event.connection;
      const key = connectionKey(c);
      if (event.event === "NEW" && c.direction === "listening") listened.add(`${c.protocol} ${c.local_port}`);
      // TIME_WAIT and the like are the end of a conversation: the page shows them as closed.
      if ((event.event === "NEW" || event.event === "STATE") && LINGERING_STATUSES.has(c.status)) {
        if (this.#close(key)) removed.push(key);
        continue;
      }
      switch (event.event) {
        case "NEW": {
          const live = { ...c, key, process_key: processRowKey(c), first_seen: c.timestamp };
          this.#set(live);
          added.push(live);
          break;
        }
        case "STATE": {
          const before = this.#open.get(key)?.live;
          const live = {
            ...c,
            key,
            process_key: processRowKey(c),
            first_seen: before?.first_seen ?? c.timestamp,
          };
          this.#set(live);
          (before === undefined ? added : changed).push(live);
          break;
        }
        case "CLOSED":
          if (this.#close(key)) removed.push(key);
          break;
        case "ALERT":
          if (c.remote_ip !== null) {
            this.#alertDetails.set(c.remote_ip, { ...this.#alertDetails.get(c.remote_ip), ...event.details });
            const known = this.#addresses.get(c.remote_ip);
            if (known !== undefined) known.due = 0;
          }
          alerts.push(liveAlert(event, key));
          break;
      }
    }
    this.#adoptOwners(changed);
    if (listened.size > 0) this.#adoptDirections(listened, changed);
    for (const alert of alerts) this.#alerts.push(alert);
    const maxAlerts = this.#options.maxAlerts ?? 500;
    if (this.#alerts.length > maxAlerts) this.#alerts = this.#alerts.slice(-maxAlerts);
    const addresses: Record<string, AddressView> = {};
    this.#refreshAddresses(addresses);
    const point = {
      at: at.getTime(),
      open: this.#open.size,
      opened: added.length,
      closed: removed.length,
      alerts: alerts.length,
    };
    this.#series.push(point);
    const addedRows = added.map((c) => this.#open.get(c.key)?.json ?? liveRowJson(c));
    const changedRows = changed.map((c) => this.#open.get(c.key)?.json ?? liveRowJson(c));
    const perEvent = this.#options.rowsPerEvent ?? ROWS_PER_EVENT;
    if (this.#options.pace !== undefined) {
      const { pace, now } = this.#options.pace;
      this.#pace = pace.record(at.getTime(), now());
    }
    // The update as LiveUpdate describes it, its rows spliced in as the JSON they already are.
    const rest = JSON.stringify({
      removed,
      addresses,
      processes: this.#processes(),
      alerts,
      point,
      pace: this.#pace,
    });
    this.#options.publish(
      "update",
      new RawJson<LiveUpdate>(
        `{"at":${JSON.stringify(this.#at)},"added":[${addedRows.slice(0, perEvent).join(",")}],` +
          `"changed":[${changedRows.join(",")}],${rest.slice(1)}`,
      ),
    );
    // A page parses each event in one go: a first poll of 40,000 connections goes out in parts.
    for (let from = perEvent; from < addedRows.length; from += perEvent) {
      this.#options.publish("rows", rowsEvent(addedRows.slice(from, from + perEvent)));
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #set(live: LiveConnection): void {
    const before = this.#open.get(live.key)?.live;
    if (before?.remote_ip !== live.remote_ip) {
      if (before !== undefined) this.#countRemote(before.remote_ip, -1);
      this.#countRemote(live.remote_ip, 1);
    }
    this.#open.set(live.key, entry(live));
    if (live.pid === null) this.#unowned.add(live.key);
    else this.#unowned.delete(live.key);
  }

  #close(key: string): boolean {
    const before = this.#open.get(key);
    if (before === undefined) return false;
    this.#open.delete(key);
    this.#unowned.delete(key);
    this.#countRemote(before.live.remote_ip, -1);
    return true;
  }

  #countRemote(ip: string | null, by: number): void {
    if (ip === null) return;
    const n = (this.#remoteCounts.get(ip) ?? 0) + by;
    if (n > 0) this.#remoteCounts.set(ip, n);
    else this.#remoteCounts.delete(ip);
  }

  /**
   * A socket created while `ss` was reading shows no process on its first
   * poll; the tracker raises no event when a later poll names it, so the
   * owner is taken from the tracker here.
   */
  #adoptOwners(changed: LiveConnection[]): void {
    for (const key of [...this.#unowned]) {
      const live = this.#open.get(key)?.live;
      const now = this.#tracker.openConnection(key);
      if (live === undefined || now === undefined || now.pid === null) continue;
      const owned = {
        ...live,
        pid: now.pid,
        process_name: now.process_name,
        process_path: now.process_path,
        user: now.user,
      };
      owned.process_key = processRowKey(owned);
      this.#set(owned);
      changed.push(owned);
    }
  }

  /**
   * A connection accepted while `ss` was reading can be listed before its
   * listener (the kernel lists listeners first, and the listener may be left
   * out until its owner is known): without it, the accepted side looks
   * outgoing. The tracker raises no event when a later poll with the listener
   * makes it incoming, so when a listener appears, the connections on its
   * port take their direction from the tracker here.
   */
  #adoptDirections(ports: ReadonlySet<string>, changed: LiveConnection[]): void {
    for (const [key, { live }] of this.#open) {
      if (live.direction !== "outgoing" || !ports.has(`${live.protocol} ${live.local_port}`)) continue;
      const now = this.#tracker.openConnection(key);
      if (now === undefined || now.direction === live.direction) continue;
      const turned = { ...live, direction: now.direction };
      this.#set(turned);
      changed.push(turned);
    }
  }

  /**
   * Look addresses up again; the ones whose view changed go into `changed`. A new address is looked up at
   * once, then again after 1, 2, 4 … 16 polls while nothing changes (a name or a reputation arrives a
   * little after the address), and at once after an alert: at 40,000 addresses a poll looks up a
   * few thousand, not all of them.
   */
  #refreshAddresses(changed: Record<string, AddressView>): void {
    const poll = ++this.#polls;
    for (const ip of this.#addresses.keys()) if (!this.#remoteCounts.has(ip)) this.#addresses.delete(ip);
    for (const ip of this.#remoteCounts.keys()) {
      const known = this.#addresses.get(ip);
      if (known !== undefined && known.due > poll) continue;
      const view: AddressView = {
        ...this.#options.describe(ip),
        ...this.#options.risk(ip),
        ...this.#alertDetails.get(ip),
        alerted: this.#alertDetails.has(ip),
        local: isLocalAddress(ip),
      };
      if (known !== undefined && sameView(known.view, view)) {
        known.every = Math.min(known.every * 2, MAX_LOOKUP_EVERY);
        known.due = poll + known.every;
        continue;
      }
      this.#addresses.set(ip, { view, every: 1, due: poll + 1 });
      changed[ip] = view;
    }
  }

  /** Process rows with a socket now, or within the timeline's width. */
  #processes(): ProcessView[] {
    const tracker = this.#tracker;
    const column = tracker.column;
    const width = this.#options.width;
    const rows: ProcessView[] = [];
    for (const row of tracker.rows()) {
      if (row.lastColumn <= column - width) continue;
      const first = row.processes[0];
      let timeline = "";
      for (const cell of row.timeline.visible(column)) timeline += CELL_SYMBOLS[cell] ?? " ";
      rows.push({
        key: row.key,
        label: row.label,
        pid: first?.pid ?? null,
        name: first?.name ?? null,
        path: first?.path ?? null,
        timeline,
        open: row.openConnections,
        first_seen: isoWithOffset(row.firstSeen),
        last_seen: isoWithOffset(row.lastSeen),
      });
    }
    return rows.sort((a, b) => b.open - a.open || compareText(a.label, b.label));
  }

  #addressViews(): Record<string, AddressView> {
    const addresses: Record<string, AddressView> = {};
    for (const [ip, { view }] of this.#addresses) addresses[ip] = view;
    return addresses;
  }

  /** The whole picture, for `/api/connections`. */
  state(): LiveState {
    return {
      at: this.#at,
      time_unit_seconds: this.#options.timeUnitSeconds,
      width: this.#options.width,
      connections: [...this.#open.values()].map((e) => e.live),
      addresses: this.#addressViews(),
      processes: this.#processes(),
      alerts: [...this.#alerts],
    };
  }

  /**
   * The whole picture for a page that has just connected: a `state` event,
   * then `rows` events with the rest of the connections. Rows come process by
   * process, the processes with alerts first and then the busiest, as the page
   * lists them, so its first screen is filled by the first event.
   */
  stateEvents(
    rowsPerEvent = this.#options.rowsPerEvent ?? ROWS_PER_EVENT,
  ): { event: string; data: RawJson }[] {
    const processes = this.#processes();
    const rank = new Map<string, number>();
    for (const c of this.#open.values()) {
      const alerted = c.live.remote_ip !== null && this.#alertDetails.has(c.live.remote_ip);
      if (alerted) rank.set(c.live.process_key, -1);
    }
    for (const [i, p] of processes.entries()) if (rank.get(p.key) !== -1) rank.set(p.key, i);
    const buckets = new Map<number, string[]>();
    for (const { live, json } of this.#open.values()) {
      const at = rank.get(live.process_key) ?? processes.length;
      let bucket = buckets.get(at);
      if (bucket === undefined) buckets.set(at, bucket = []);
      bucket.push(json);
    }
    const rows = [...buckets.keys()].sort((a, b) => a - b).flatMap((at) => buckets.get(at)!);
    const head = JSON.stringify({
      at: this.#at,
      time_unit_seconds: this.#options.timeUnitSeconds,
      width: this.#options.width,
      fields: LIVE_FIELDS,
      total: rows.length,
      addresses: this.#addressViews(),
      processes,
      alerts: this.#alerts,
      series: this.#series.points(),
      pace: this.#pace,
    });
    const events: { event: string; data: RawJson }[] = [{
      event: "state",
      data: new RawJson<LiveStateEvent>(
        `{"connections":[${rows.slice(0, rowsPerEvent).join(",")}],${head.slice(1)}`,
      ),
    }];
    for (let from = rowsPerEvent; from < rows.length; from += rowsPerEvent) {
      events.push({ event: "rows", data: rowsEvent(rows.slice(from, from + rowsPerEvent)) });
    }
    return events;
  }

  /** The traffic panel (`/api/traffic`), or null without `--traffic`. */
  traffic(): TrafficView | null {
    const ledger = this.#tracker.traffic;
    if (ledger === null) return null;
    return trafficView(ledger, {
      describe: this.#options.describe,
      timeUnitSeconds: this.#options.timeUnitSeconds,
      at: this.#tracker.lastPollAt,
    });
  }

  /** The open connections with these keys (unknown keys are left out). */
  connections(keys: Iterable<string>): Connection[] {
    const found: Connection[] = [];
    for (const key of keys) {
      const live = this.#open.get(key)?.live;
      if (live === undefined) continue;
      const { key: _key, process_key: _process, first_seen: _first, ...connection } = live;
      found.push(connection);
    }
    return found;
  }
}
