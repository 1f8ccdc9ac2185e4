/**
 * How a batch of history events is written to the SQLite file: one transaction a batch, each address once, each
 * connection's record found by its slot (or its key), and the records an earlier run left open continued by the
 * connections found open at the monitor's start.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { AddressInfo } from "../model/address_info.ts";
import type { Connection } from "../model/connection.ts";
import type { Reputation } from "../model/risk.ts";
import { connectionKey } from "../model/connection_key.ts";
import type { OpenSlot } from "../model/monitor_event.ts";
import type { HistoryEvent } from "./history_store.ts";
import { inTransaction } from "./_sqlite_file.ts";

/** What a batch says about one address: merged, so that it is written once. */
interface AddressTouch {
  ip: string;
  first: number;
  last: number;
  times: number;
  hostname: string | null;
  country: string | null;
  asn: number | null;
  as_org: string | null;
  domain: string | null;
  processes: Set<string>;
}

/**
 * Each address a batch's connection events name, with what they say about it,
 * merged in order. An `opened` event that continues a record is no new sighting.
 */
function addressTouches(
  events: readonly HistoryEvent[],
  continued: ReadonlyMap<HistoryEvent, number>,
): Iterable<AddressTouch> {
  const touches = new Map<string, AddressTouch>();
  for (const event of events) {
    if (event.kind === "reputation" || event.connection.remote_ip === null) continue;
    const ip = event.connection.remote_ip;
    let touch = touches.get(ip);
    if (touch === undefined) {
      touch = {
        ip,
        first: event.at,
        last: event.at,
        times: 0,
        hostname: null,
        country: null,
        asn: null,
        as_org: null,
        domain: null,
        processes: new Set(),
      };
      touches.set(ip, touch);
    }
    touch.first = Math.min(touch.first, event.at);
    touch.last = Math.max(touch.last, event.at);
    if (event.kind === "opened" && !continued.has(event)) touch.times++;
    if (event.kind === "opened") touch.domain = event.connection.domain ?? touch.domain;
    if ((event.kind === "opened" || event.kind === "owner") && event.connection.process_name !== null) {
      touch.processes.add(event.connection.process_name);
    }
    if (event.kind === "opened" || event.kind === "closed") {
      const info: AddressInfo = event.info;
      touch.hostname = info.hostname ?? touch.hostname;
      touch.country = info.country ?? touch.country;
      touch.asn = info.asn ?? touch.asn;
      touch.as_org = info.as_org ?? touch.as_org;
    }
  }
  return touches.values();
}

/** The statements a batch of events runs, prepared once. */
class Writes {
  readonly insertConnection: StatementSync;
  readonly updateConnection: StatementSync;
  readonly setOwner: StatementSync;
  readonly findLeftOpen: StatementSync;
  readonly continueConnection: StatementSync;
  readonly updateBytes: StatementSync;
  readonly upsertAddress: StatementSync;
  readonly addProcess: StatementSync;
  readonly addList: StatementSync;
  readonly insertAlert: StatementSync;
  readonly setReputation: StatementSync;
  readonly rowIsConnection: StatementSync;

  constructor(db: DatabaseSync) {
    this.insertConnection = db.prepare(
      `INSERT INTO connections (protocol, family, local_ip, local_port, remote_ip, remote_port, status, direction,
        pid, process_name, process_path, user, opened_at, open_at_start, domain, bytes_sent, bytes_received)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // The latest record an earlier run left open for the same socket (same process where both know it).
    this.findLeftOpen = db.prepare(
      `SELECT id FROM connections WHERE closed_at IS NULL AND remote_ip = ?1 AND remote_port IS ?2
        AND local_port = ?3 AND local_ip = ?4 AND protocol = ?5 AND (pid IS NULL OR ?6 IS NULL OR pid = ?6)
        AND id <= ?7 ORDER BY id DESC`,
    );
    this.continueConnection = db.prepare(
      `UPDATE connections SET status = ?2, pid = coalesce(pid, ?3), process_name = coalesce(process_name, ?4),
        process_path = coalesce(process_path, ?5), user = coalesce(user, ?6), domain = coalesce(domain, ?7)
        WHERE id = ?1`,
    );
    this.updateConnection = db.prepare("UPDATE connections SET status = ?, closed_at = ? WHERE id = ?");
    // Counters only grow more known: a reading without them (TIME_WAIT) keeps the last one.
    this.updateBytes = db.prepare(
      `UPDATE connections SET bytes_sent = coalesce(?, bytes_sent), bytes_received = coalesce(?, bytes_received)
        WHERE id = ?`,
    );
    this.setOwner = db.prepare(
      "UPDATE connections SET pid = ?, process_name = ?, process_path = ?, user = ? WHERE id = ? AND pid IS NULL",
    );
    // Times widen, names and places fill in (an unknown never erases a known one), sightings add up.
    this.upsertAddress = db.prepare(
      `INSERT INTO addresses (ip, first_seen, last_seen, times_seen, hostname, country, asn, as_org, domain)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
      ON CONFLICT (ip) DO UPDATE SET
        first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
        times_seen = times_seen + excluded.times_seen,
        hostname = coalesce(excluded.hostname, hostname), country = coalesce(excluded.country, country),
        asn = coalesce(excluded.asn, asn), as_org = coalesce(excluded.as_org, as_org),
        domain = coalesce(excluded.domain, domain)`,
    );
    this.addProcess = db.prepare("INSERT OR IGNORE INTO address_processes (ip, process_name) VALUES (?, ?)");
    this.addList = db.prepare(
      "INSERT OR IGNORE INTO address_lists (ip, entry, first_matched) VALUES (?, ?, ?)",
    );
    this.insertAlert = db.prepare(
      `INSERT INTO alerts (at, protocol, remote_ip, remote_port, pid, process_name, reason, blocklist, risk_level,
        abuse_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // An answer is not a sighting: it leaves the times of a known address alone.
    // Whether a record is still the connection's: a prune may remove it, and SQLite gives a removed highest id
    // to the next record (`INTEGER PRIMARY KEY`, no AUTOINCREMENT), so an id that exists may be another's.
    this.rowIsConnection = db.prepare(
      `SELECT 1 FROM connections WHERE id = ?1 AND remote_ip = ?2 AND remote_port IS ?3 AND local_port = ?4
        AND local_ip = ?5 AND protocol = ?6`,
    );
    this.setReputation = db.prepare(
      `INSERT INTO addresses (ip, first_seen, last_seen, times_seen, country, risk_level, abuse_score, last_scanned)
        VALUES (?1, ?2, ?2, 0, ?3, ?4, ?5, ?2)
      ON CONFLICT (ip) DO UPDATE SET country = coalesce(country, excluded.country),
        risk_level = excluded.risk_level, abuse_score = excluded.abuse_score, last_scanned = excluded.last_scanned`,
    );
  }

  touch(t: AddressTouch): void {
    this.upsertAddress.run(t.ip, t.first, t.last, t.times, t.hostname, t.country, t.asn, t.as_org, t.domain);
    for (const name of t.processes) this.addProcess.run(t.ip, name);
  }

  reputation(ip: string, r: Reputation): void {
    this.setReputation.run(ip, r.checked_at, r.country, r.risk_level, r.abuse_score);
  }
}

/**
 * The writer of a history database's batches (`SqliteStore.record`): its statements are prepared at its
 * first batch, and it keeps, from batch to batch, the row of each open connection whose events come without a slot.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { openHistoryDatabase } from "./_sqlite_file.ts";
 * import { HistoryWriter } from "./_sqlite_history_writer.ts";
 * const openDatabase = (path: string, options: { readOnly: boolean }) => new DatabaseSync(path, options);
 * const db = openHistoryDatabase(":memory:", { openDatabase });
 * const connection = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2",
 *   local_port: 5000, remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED",
 *   direction: "outgoing" as const, pid: 42, process_name: "curl", process_path: null, user: null };
 * new HistoryWriter(db).record([{ kind: "opened", at: 1000, connection, info: {} }]);
 * deepStrictEqual(db.prepare("SELECT times_seen FROM addresses").get()?.times_seen, 1);
 * ```
 */
export class HistoryWriter {
  readonly #db: DatabaseSync;
  #writes: Writes | null = null;
  /**
   * This run's open connections whose events come without a slot: key → row id. A monitor's events carry
   * their connection's slot (`OpenSlot`), where the row id is kept instead: no Map of every open key.
   */
  readonly #open = new Map<string, number>();
  /**
   * The earlier runs' rows this writer continued while batches brought connections found open at the monitor's
   * start (see `#continuations`); null once a batch brings none (the start is over). Rows this writer
   * inserted are told apart by their id: above `#lastIdBefore`.
   */
  #continued: Set<number> | null = new Set();
  /** The highest connection row id before this writer wrote any (0: none). */
  #lastIdBefore = 0;
  /** Whether the file was pruned ({@linkcode pruned}): a row id a slot holds is checked before it is used. */
  #pruned = false;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Write a batch of events in one transaction (nothing of it when it fails). */
  record(events: readonly HistoryEvent[]): void {
    if (events.length === 0) return;
    if (this.#writes === null) {
      this.#writes = new Writes(this.#db);
      this.#lastIdBefore = Number(
        this.#db.prepare("SELECT coalesce(max(id), 0) AS id FROM connections").get()?.id,
      );
    }
    const writes = this.#writes;
    // Open-connection changes apply only once the transaction commits.
    const opened = new Map<string, number>();
    const closed = new Set<string>();
    const slotted = new Map<OpenSlot, number | undefined>();
    const rowId = (key: string) => opened.get(key) ?? (closed.has(key) ? undefined : this.#open.get(key));
    /** The row of an event's connection: by its slot, or by its key. */
    const rowOf = (event: { connection: Connection; slot?: OpenSlot }): number | undefined => {
      const slot = event.slot;
      if (slot === undefined) return rowId(connectionKey(event.connection));
      const id = slotted.has(slot) ? slotted.get(slot) : slot.historyId;
      if (id === undefined || !this.#pruned) return id;
      const c = event.connection;
      const same = writes.rowIsConnection.get(
        id,
        c.remote_ip,
        c.remote_port,
        c.local_port,
        c.local_ip,
        c.protocol,
      );
      return same === undefined ? undefined : id;
    };
    const opens = (event: { connection: Connection; slot?: OpenSlot }, id: number) => {
      if (event.slot !== undefined) slotted.set(event.slot, id);
      else {
        const key = connectionKey(event.connection);
        opened.set(key, id);
        closed.delete(key);
      }
    };
    const closes = (event: { connection: Connection; slot?: OpenSlot }) => {
      if (event.slot !== undefined) slotted.set(event.slot, undefined);
      else {
        const key = connectionKey(event.connection);
        opened.delete(key);
        closed.add(key);
      }
    };
    let starting = false;
    inTransaction(this.#db, () => {
      const continued = this.#continuations(writes, events);
      // Addresses first, one upsert each per batch: a batch names the same few addresses many times.
      for (const touch of addressTouches(events, continued)) writes.touch(touch);
      for (const event of events) {
        if (event.kind === "reputation") {
          writes.reputation(event.ip, event.reputation);
          continue;
        }
        const c = event.connection;
        const ip = c.remote_ip;
        if (ip === null) continue;
        switch (event.kind) {
          case "opened": {
            if (event.atStart === true) starting = true;
            const id = continued.get(event);
            if (id !== undefined) {
              writes.continueConnection.run(
                id,
                c.status,
                c.pid,
                c.process_name,
                c.process_path,
                c.user,
                c.domain ?? null,
              );
              // The same socket: its counters went on counting, so the record takes the new ones.
              if (c.bytes_sent != null || c.bytes_received != null) {
                writes.updateBytes.run(c.bytes_sent ?? null, c.bytes_received ?? null, id);
              }
              opens(event, id);
              break;
            }
            const result = writes.insertConnection.run(
              c.protocol,
              c.family,
              c.local_ip,
              c.local_port,
              ip,
              c.remote_port,
              c.status,
              c.direction,
              c.pid,
              c.process_name,
              c.process_path,
              c.user,
              event.at,
              event.atStart === true ? 1 : 0,
              c.domain ?? null,
              c.bytes_sent ?? null,
              c.bytes_received ?? null,
            );
            opens(event, Number(result.lastInsertRowid));
            break;
          }
          case "status":
          case "closed": {
            const id = rowOf(event);
            if (id !== undefined) {
              writes.updateConnection.run(c.status, event.kind === "closed" ? event.at : null, id);
              if (c.bytes_sent != null || c.bytes_received != null) {
                writes.updateBytes.run(c.bytes_sent ?? null, c.bytes_received ?? null, id);
              }
            }
            if (event.kind === "closed") closes(event);
            break;
          }
          case "owner": {
            const id = rowOf(event);
            if (id !== undefined) writes.setOwner.run(c.pid, c.process_name, c.process_path, c.user, id);
            break;
          }
          case "seen": {
            const id = rowOf(event);
            if (id !== undefined && (c.bytes_sent != null || c.bytes_received != null)) {
              writes.updateBytes.run(c.bytes_sent ?? null, c.bytes_received ?? null, id);
            }
            break;
          }
          case "alert": {
            const d = event.details;
            writes.insertAlert.run(
              event.at,
              c.protocol,
              ip,
              c.remote_port,
              c.pid,
              c.process_name,
              event.reason,
              d.blocklist ?? null,
              d.risk_level ?? null,
              d.abuse_score ?? null,
            );
            if (d.blocklist !== undefined) writes.addList.run(ip, d.blocklist, event.at);
            break;
          }
        }
      }
    });
    for (const key of closed) this.#open.delete(key);
    for (const [key, id] of opened) this.#open.set(key, id);
    for (const [slot, id] of slotted) slot.historyId = id;
    if (!starting) this.#continued = null;
  }

  /**
   * The records earlier runs left open that a batch's connections found open
   * at the monitor's start continue: event → row id.
   */
  #continuations(writes: Writes, events: readonly HistoryEvent[]): Map<HistoryEvent, number> {
    const continued = new Map<HistoryEvent, number>();
    let followed: Set<number> | null = null;
    for (const event of events) {
      if (event.kind !== "opened" || event.atStart !== true) continue;
      const c = event.connection;
      // The earlier runs' rows this run continued already: those of its start (a monitor's connections found
      // open at its start all come before any other); later, those still open by key. Its own rows are not
      // looked at (their ids are above the last before it wrote).
      followed ??= this.#continued ?? new Set(this.#open.values());
      const rows = writes.findLeftOpen.all(
        c.remote_ip,
        c.remote_port,
        c.local_port,
        c.local_ip,
        c.protocol,
        c.pid,
        this.#lastIdBefore,
      );
      const id = rows.map((row) => Number(row.id)).find((id) => !followed?.has(id));
      if (id === undefined) continue;
      followed.add(id);
      continued.set(event, id);
    }
    return continued;
  }

  /** The store was pruned: forget the open rows it removed; from now on a slot's row id is checked before use. */
  pruned(): void {
    const exists = this.#db.prepare("SELECT 1 FROM connections WHERE id = ?");
    for (const [key, id] of this.#open) if (exists.get(id) === undefined) this.#open.delete(key);
    this.#pruned = true;
  }
}
