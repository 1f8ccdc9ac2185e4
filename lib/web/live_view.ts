/**
 * What the web page shows live: the open connections, what is known about
 * their remote addresses, one timeline per process, and recent alerts. It is
 * the monitor's output for `conntrail serve`: after each poll it publishes
 * what changed, which the event stream sends to every page.
 *
 * @module
 */
import type { DescribeAddress } from "../enrich/address_info.ts";
import type { Connection } from "../model/connection.ts";
import { connectionKey } from "../model/connection_key.ts";
import type { AlertDetails, ConnectionEvent, StatusEvent } from "../model/monitor_event.ts";
import type { RiskLevel } from "../model/risk.ts";
import { LINGERING_STATUSES } from "../model/status.ts";
import { isoWithOffset } from "../model/timestamp.ts";
import type { MonitorOutput } from "../monitor/monitor_output.ts";
import { CELL_SYMBOLS } from "../monitor/timeline.ts";
import { processRowKey, type Tracker } from "../monitor/tracker.ts";

/** A live connection as the page gets it: SPEC's fields, plus its key, its process's key and when it appeared. */
export interface LiveConnection extends Connection {
  key: string;
  process_key: string;
  first_seen: string;
}

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

/** An alert as the page lists it. */
export interface LiveAlert extends AlertDetails {
  at: string;
  reason: string;
  severity: "warning" | "error";
  protocol: Connection["protocol"];
  remote_ip: string | null;
  remote_port: number | null;
  pid: number | null;
  process_name: string | null;
}

/** Everything the page needs to draw itself: `/api/connections` and the first event of a stream. */
export interface LiveState {
  at: string | null;
  time_unit_seconds: number;
  width: number;
  connections: LiveConnection[];
  addresses: Record<string, AddressView>;
  processes: ProcessView[];
  alerts: LiveAlert[];
}

/** What one poll changed: sent to every page as an `update` event. */
export interface LiveUpdate {
  at: string;
  added: LiveConnection[];
  changed: LiveConnection[];
  /** Keys of connections that closed. */
  removed: string[];
  /** Addresses whose view changed (a name arrived, an alert was raised). */
  addresses: Record<string, AddressView>;
  /** Every process row on the timeline now. */
  processes: ProcessView[];
  /** Alerts raised in this poll. */
  alerts: LiveAlert[];
}

/** Options of {@linkcode LiveView}. */
export interface LiveViewOptions {
  timeUnitSeconds: number;
  width: number;
  describe: DescribeAddress;
  /** What block lists and reputation say about an address now; never waits. */
  risk: (ip: string) => Pick<AddressView, "risk_level" | "abuse_score" | "blocklist">;
  /** Called with each poll's changes. */
  publish: (update: LiveUpdate) => void;
  /** Alerts kept for new pages (default 500). */
  maxAlerts?: number;
}

function liveAlert(event: ConnectionEvent): LiveAlert {
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
    ...event.details,
  };
}

/**
 * The page's model, kept up to date by the monitor loop. It is the output of
 * a `conntrail serve` run, in place of the dashboard or scroll lines.
 */
export class LiveView implements MonitorOutput {
  readonly #tracker: Tracker;
  readonly #options: LiveViewOptions;
  readonly #open = new Map<string, LiveConnection>();
  /** The view of each address with an open connection, and its JSON as last sent. */
  readonly #addresses = new Map<string, { view: AddressView; sent: string }>();
  readonly #alertDetails = new Map<string, AlertDetails>();
  #alerts: LiveAlert[] = [];
  #at: string | null = null;

  constructor(tracker: Tracker, options: LiveViewOptions) {
    this.#tracker = tracker;
    this.#options = options;
  }

  onPoll(events: readonly ConnectionEvent[], _status: StatusEvent | null, at: Date): Promise<void> {
    this.#at = isoWithOffset(at);
    const update: LiveUpdate = {
      at: this.#at,
      added: [],
      changed: [],
      removed: [],
      addresses: {},
      processes: [],
      alerts: [],
    };
    for (const event of events) {
      const c = event.connection;
      const key = connectionKey(c);
      // TIME_WAIT and the like are the end of a conversation: the page shows them as closed.
      if ((event.event === "NEW" || event.event === "STATE") && LINGERING_STATUSES.has(c.status)) {
        if (this.#open.delete(key)) update.removed.push(key);
        continue;
      }
      switch (event.event) {
        case "NEW": {
          const live = { ...c, key, process_key: processRowKey(c), first_seen: c.timestamp };
          this.#open.set(key, live);
          update.added.push(live);
          break;
        }
        case "STATE": {
          const before = this.#open.get(key);
          const live = {
            ...c,
            key,
            process_key: processRowKey(c),
            first_seen: before?.first_seen ?? c.timestamp,
          };
          this.#open.set(key, live);
          update.changed.push(live);
          break;
        }
        case "CLOSED":
          if (this.#open.delete(key)) update.removed.push(key);
          break;
        case "ALERT":
          if (c.remote_ip !== null) {
            this.#alertDetails.set(c.remote_ip, { ...this.#alertDetails.get(c.remote_ip), ...event.details });
          }
          update.alerts.push(liveAlert(event));
          break;
      }
    }
    this.#adoptOwners(update.changed);
    for (const alert of update.alerts) this.#alerts.push(alert);
    const maxAlerts = this.#options.maxAlerts ?? 500;
    if (this.#alerts.length > maxAlerts) this.#alerts = this.#alerts.slice(-maxAlerts);
    this.#refreshAddresses(update.addresses);
    update.processes = this.#processes();
    this.#options.publish(update);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * A socket created while `ss` was reading shows no process on its first
   * poll; the tracker raises no event when a later poll names it, so the
   * owner is taken from the tracker here.
   */
  #adoptOwners(changed: LiveConnection[]): void {
    for (const [key, live] of this.#open) {
      if (live.pid !== null) continue;
      const now = this.#tracker.openConnection(key);
      if (now === undefined || now.pid === null) continue;
      const owned = {
        ...live,
        pid: now.pid,
        process_name: now.process_name,
        process_path: now.process_path,
        user: now.user,
      };
      owned.process_key = processRowKey(owned);
      this.#open.set(key, owned);
      changed.push(owned);
    }
  }

  /** Look every open connection's address up again; the ones whose view changed go into `changed`. */
  #refreshAddresses(changed: Record<string, AddressView>): void {
    const inUse = new Set<string>();
    for (const c of this.#open.values()) if (c.remote_ip !== null) inUse.add(c.remote_ip);
    for (const ip of this.#addresses.keys()) if (!inUse.has(ip)) this.#addresses.delete(ip);
    for (const ip of inUse) {
      const view: AddressView = {
        ...this.#options.describe(ip),
        ...this.#options.risk(ip),
        ...this.#alertDetails.get(ip),
        alerted: this.#alertDetails.has(ip),
      };
      const sent = JSON.stringify(view);
      if (this.#addresses.get(ip)?.sent === sent) continue;
      this.#addresses.set(ip, { view, sent });
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
    return rows.sort((a, b) => b.open - a.open || a.label.localeCompare(b.label));
  }

  /** The whole picture, for a page that has just connected. */
  state(): LiveState {
    const addresses: Record<string, AddressView> = {};
    for (const [ip, { view }] of this.#addresses) addresses[ip] = view;
    return {
      at: this.#at,
      time_unit_seconds: this.#options.timeUnitSeconds,
      width: this.#options.width,
      connections: [...this.#open.values()],
      addresses,
      processes: this.#processes(),
      alerts: [...this.#alerts],
    };
  }

  /** The open connections with these keys (unknown keys are left out). */
  connections(keys: Iterable<string>): Connection[] {
    const found: Connection[] = [];
    for (const key of keys) {
      const live = this.#open.get(key);
      if (live === undefined) continue;
      const { key: _key, process_key: _process, first_seen: _first, ...connection } = live;
      found.push(connection);
    }
    return found;
  }
}
