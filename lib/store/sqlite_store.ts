import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from "node:sqlite";
import type { AddressInfo } from "../model/address_info.ts";
import { type Connection, CONNECTION_FIELDS } from "../model/connection.ts";
import type { Reputation, RiskLevel } from "../model/risk.ts";
import { connectionKey } from "../model/connection_key.ts";
import type { OpenSlot } from "../model/monitor_event.ts";
import type {
  AddressQuery,
  AddressRecord,
  AlertRecord,
  ConnectionRecord,
  HistoryEvent,
  HistoryStore,
  PruneCounts,
  SnapshotInfo,
} from "./history_store.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./_sqlite_schema.ts";
import { UnusableFileError } from "../model/errors.ts";

/** How long a write waits for another conntrail holding the database (two monitors on one file). */
const BUSY_TIMEOUT_MS = 10_000;
/**
 * SQLite's page cache for a writer, in KiB (its default is 2,000, filled from malloc and kept while the file is
 * open). A monitor's writes touch few pages: the tails of the tables and the paths down the indexes. At 10,000
 * connections (a 4.3 MB file after the first poll) the default held 1.5-2.7 MB more of the process's memory
 * (glibc's main arena in use, 2 runs each) for the same CPU (21,000 rows then 300 polls of 20 opened and 20
 * closed: 0.41-0.59 / 0.26-0.33 s with the default, 0.42-0.49 / 0.24-0.31 s with 256, 3 runs each).
 */
const WRITER_CACHE_KIB = 256;

/** Options of {@linkcode SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** Open for reading only (`conntrail history`, `diff`); an old schema is still upgraded, which writes. */
  readOnly?: boolean;
  /** How the file is opened: the platform's files (main.ts's), else node:sqlite directly. */
  openDatabase?: (path: string, options: { readOnly: boolean }) => DatabaseSync;
}

/** A database this conntrail cannot use: newer schema, or not a conntrail database. */
export class HistoryFileError extends UnusableFileError {
  override name = "HistoryFileError";
}

type Row = Record<string, SQLOutputValue>;

function text(value: SQLOutputValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

function num(value: SQLOutputValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** Run synchronous database work as the interface's promise: an error rejects it rather than throwing. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The first line of a message, at most 200 characters: SQLite's can hold pages of SQL. */
function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** No conntrail writes a negative version (`PRAGMA user_version = -5`): say so, touch nothing. */
function refuseUnknownVersion(version: number, path: string): void {
  if (!Number.isInteger(version) || version < 0) {
    throw new HistoryFileError(
      `"${path}" has schema version ${version}, which no conntrail writes; it is not conntrail's history (or it was damaged), so it was left as it is`,
    );
  }
}

/** Open a database file, set the busy timeout, and read its schema version. */
function openFile(
  path: string,
  readOnly: boolean,
  openDatabase: NonNullable<SqliteStoreOptions["openDatabase"]>,
): { db: DatabaseSync; version: number } {
  const db = openDatabase(path, { readOnly });
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const version = Number(db.prepare("PRAGMA user_version").get()?.user_version ?? 0);
    refuseUnknownVersion(version, path);
    return { db, version };
  } catch (error) {
    db.close();
    if (error instanceof Error && /not a database/.test(error.message)) {
      throw new HistoryFileError(`"${path}" is not a conntrail history database (${error.message})`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Bring a writable database to {@linkcode SCHEMA_VERSION}, in one transaction. */
function migrate(db: DatabaseSync, path: string): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    // Read again inside the transaction: another conntrail may have upgraded it meanwhile.
    const version = Number(db.prepare("PRAGMA user_version").get()?.user_version ?? 0);
    refuseUnknownVersion(version, path);
    if (version > SCHEMA_VERSION) {
      throw new HistoryFileError(
        `"${path}" was written by a newer conntrail (schema ${version}, this one knows ${SCHEMA_VERSION})`,
      );
    }
    if (version === 0) {
      const tables = Number(db.prepare("SELECT count(*) AS n FROM sqlite_schema").get()?.n ?? 0);
      if (tables > 0) {
        throw new HistoryFileError(`"${path}" is an SQLite database, but not conntrail's history`);
      }
    }
    for (let step = version; step < SCHEMA_VERSION; step++) {
      try {
        db.exec(MIGRATIONS[step] ?? "");
      } catch (error) {
        // SQLite quotes the whole failing statement: the first clause says enough.
        const why = firstLine(error instanceof Error ? error.message : String(error)).replace(
          / in CREATE .*$/,
          "",
        );
        throw new HistoryFileError(
          `"${path}" says schema version ${version}, but its tables are not that version's (${why}); it was left as it is`,
          { cause: error },
        );
      }
    }
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

function addressFromRow(row: Row, lists: string[], processes: string[]): AddressRecord {
  return {
    ip: String(row.ip),
    first_seen: Number(row.first_seen),
    last_seen: Number(row.last_seen),
    times_seen: Number(row.times_seen),
    hostname: text(row.hostname),
    country: text(row.country),
    asn: num(row.asn),
    as_org: text(row.as_org),
    domain: text(row.domain),
    risk_level: text(row.risk_level) as RiskLevel | null,
    abuse_score: num(row.abuse_score),
    last_scanned: num(row.last_scanned),
    lists,
    processes,
    bytes_sent: num(row.bytes_sent),
    bytes_received: num(row.bytes_received),
  };
}

function connectionFromRow(row: Row): ConnectionRecord {
  return {
    protocol: String(row.protocol) as ConnectionRecord["protocol"],
    family: Number(row.family) as ConnectionRecord["family"],
    local_ip: String(row.local_ip),
    local_port: Number(row.local_port),
    remote_ip: String(row.remote_ip),
    remote_port: num(row.remote_port),
    status: String(row.status),
    direction: String(row.direction) as ConnectionRecord["direction"],
    pid: num(row.pid),
    process_name: text(row.process_name),
    process_path: text(row.process_path),
    user: text(row.user),
    domain: text(row.domain),
    opened_at: Number(row.opened_at),
    open_at_start: Number(row.open_at_start) === 1,
    closed_at: num(row.closed_at),
    bytes_sent: num(row.bytes_sent),
    bytes_received: num(row.bytes_received),
  };
}

function snapshotConnectionFromRow(row: Row): Connection {
  return {
    timestamp: String(row.timestamp),
    protocol: String(row.protocol) as Connection["protocol"],
    process_name: text(row.process_name),
    process_path: text(row.process_path),
    pid: num(row.pid),
    local_ip: String(row.local_ip),
    local_port: Number(row.local_port),
    remote_ip: text(row.remote_ip),
    remote_port: num(row.remote_port),
    status: String(row.status),
    family: Number(row.family) as Connection["family"],
    direction: String(row.direction) as Connection["direction"],
    user: text(row.user),
  };
}

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
 * History in an SQLite file (`node:sqlite`): WAL, so readers never wait for
 * the monitor; a busy timeout, so two monitors can share one file; each batch
 * in one `BEGIN IMMEDIATE` transaction, so a kill at any moment leaves every
 * committed batch and nothing half-written.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { SqliteStore } from "./sqlite_store.ts";
 * const store = SqliteStore.open(":memory:");
 * const saved = await store.saveSnapshot(1000, []);
 * deepStrictEqual([saved.id, (await store.snapshots()).length], [1, 1]);
 * await store.close();
 * ```
 */
export class SqliteStore implements HistoryStore {
  readonly location: string;
  readonly #db: DatabaseSync;
  #writes: Writes | null = null;
  /**
   * This run's open connections whose events come without a slot: key → row id. A monitor's events carry
   * their connection's slot (`OpenSlot`), where the row id is kept instead: no Map of every open key.
   */
  readonly #open = new Map<string, number>();
  /**
   * The earlier runs' rows this store continued while batches brought connections found open at the monitor's
   * start (see {@linkcode #continuations}); null once a batch brings none (the start is over). Rows this store
   * inserted are told apart by their id: above {@linkcode #lastIdBefore}.
   */
  #continued: Set<number> | null = new Set();
  /** The highest connection row id before this store wrote any (0: none). */
  #lastIdBefore = 0;
  /** Whether {@linkcode prune} ran: a row id a slot holds is checked before it is used. */
  #pruned = false;

  private constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.location = `sqlite ${path}`;
  }

  /**
   * Open (creating when missing, unless read-only) and upgrade a history
   * database. Throws {@linkcode HistoryFileError} for a file this conntrail
   * cannot use, and Deno's or SQLite's error when it cannot be opened.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const readOnly = options.readOnly ?? false;
    const openDatabase = options.openDatabase ?? ((path, options) => new DatabaseSync(path, options));
    let { db, version } = openFile(path, readOnly, openDatabase);
    try {
      if (version !== SCHEMA_VERSION) {
        if (readOnly && version < SCHEMA_VERSION) {
          db.close();
          ({ db, version } = openFile(path, false, openDatabase));
        }
        if (version > SCHEMA_VERSION) {
          throw new HistoryFileError(
            `"${path}" was written by a newer conntrail (schema ${version}, this one knows ${SCHEMA_VERSION})`,
          );
        }
        migrate(db, path);
      }
      if (!readOnly) {
        db.exec("PRAGMA journal_mode = WAL");
        // In WAL mode NORMAL loses no committed transaction when the process dies; only a power cut
        // can take the last few.
        db.exec("PRAGMA synchronous = NORMAL");
        db.exec(`PRAGMA cache_size = -${WRITER_CACHE_KIB}`);
      }
      return new SqliteStore(db, path);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  record(events: readonly HistoryEvent[]): Promise<void> {
    return settle(() => {
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
      this.#transaction(() => {
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
      return;
    });
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

  reputations(): Promise<[string, Reputation][]> {
    return settle(() => {
      const rows = this.#db.prepare(
        "SELECT ip, risk_level, abuse_score, country, last_scanned FROM addresses WHERE last_scanned IS NOT NULL",
      ).all();
      return (rows.map((row) => [String(row.ip), {
        risk_level: String(row.risk_level) as RiskLevel,
        abuse_score: num(row.abuse_score),
        country: text(row.country),
        checked_at: Number(row.last_scanned),
      }]));
    });
  }

  addresses(query: AddressQuery): Promise<{ rows: AddressRecord[]; total: number }> {
    return settle(() => {
      const where: string[] = [];
      const params: SQLInputValue[] = [];
      if (query.ip !== undefined) {
        where.push("a.ip = ?");
        params.push(query.ip);
      }
      if (query.since !== undefined) {
        where.push("a.last_seen >= ?");
        params.push(query.since);
      }
      if (query.risk !== undefined) {
        where.push("coalesce(a.risk_level, 'UNKNOWN') = ?");
        params.push(query.risk);
      }
      if (query.process !== undefined) {
        // instr on lower() rather than LIKE: a process name may hold % or _.
        where.push(
          "EXISTS (SELECT 1 FROM address_processes p WHERE p.ip = a.ip AND instr(lower(p.process_name), lower(?)) > 0)",
        );
        params.push(query.process);
      }
      const filter = where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`;
      const total = Number(
        this.#db.prepare(`SELECT count(*) AS n FROM addresses a ${filter}`).get(...params)?.n ?? 0,
      );
      const limit = query.limit === undefined ? -1 : query.limit;
      const order = query.sort === "bytes"
        ? "coalesce(bytes_sent, 0) + coalesce(bytes_received, 0) DESC, a.last_seen DESC, a.ip"
        : "a.last_seen DESC, a.ip";
      // An address's bytes are its connections' (connections_by_remote finds them).
      const rows = this.#db.prepare(
        `SELECT a.*,
          (SELECT sum(c.bytes_sent) FROM connections c WHERE c.remote_ip = a.ip) AS bytes_sent,
          (SELECT sum(c.bytes_received) FROM connections c WHERE c.remote_ip = a.ip) AS bytes_received
        FROM addresses a ${filter} ORDER BY ${order} LIMIT ?`,
      ).all(...params, limit);
      const lists = this.#db.prepare(
        "SELECT entry FROM address_lists WHERE ip = ? ORDER BY first_matched, entry",
      );
      const processes = this.#db.prepare(
        "SELECT process_name FROM address_processes WHERE ip = ? ORDER BY 1",
      );
      return ({
        rows: rows.map((row) =>
          addressFromRow(
            row,
            lists.all(row.ip as string).map((r) => String(r.entry)),
            processes.all(row.ip as string).map((r) => String(r.process_name)),
          )
        ),
        total,
      });
    });
  }

  connections(ip: string, limit = -1): Promise<ConnectionRecord[]> {
    return settle(() => {
      const rows = this.#db.prepare(
        "SELECT * FROM connections WHERE remote_ip = ? ORDER BY opened_at DESC, id DESC LIMIT ?",
      ).all(ip, limit === Infinity ? -1 : limit);
      return (rows.map(connectionFromRow));
    });
  }

  alerts(options: { ip?: string; since?: number; limit?: number } = {}): Promise<AlertRecord[]> {
    return settle(() => {
      const rows = this.#db.prepare(
        `SELECT * FROM alerts WHERE (?1 IS NULL OR remote_ip = ?1) AND (?2 IS NULL OR at >= ?2)
          ORDER BY at DESC, id DESC LIMIT ?3`,
      ).all(options.ip ?? null, options.since ?? null, options.limit ?? -1);
      return (rows.map((row) => ({
        at: Number(row.at),
        protocol: String(row.protocol) as AlertRecord["protocol"],
        remote_ip: String(row.remote_ip),
        remote_port: num(row.remote_port),
        pid: num(row.pid),
        process_name: text(row.process_name),
        reason: String(row.reason),
        blocklist: text(row.blocklist),
        risk_level: text(row.risk_level) as RiskLevel | null,
        abuse_score: num(row.abuse_score),
      })));
    });
  }

  saveSnapshot(takenAt: number, connections: readonly Connection[]): Promise<SnapshotInfo> {
    return settle(() => {
      const id = this.#transaction(() => {
        const result = this.#db.prepare("INSERT INTO snapshots (taken_at, connection_count) VALUES (?, ?)")
          .run(takenAt, connections.length);
        const snapshotId = Number(result.lastInsertRowid);
        const insert = this.#db.prepare(
          `INSERT INTO snapshot_connections (snapshot_id, ${CONNECTION_FIELDS.join(", ")})
            VALUES (?, ${CONNECTION_FIELDS.map(() => "?").join(", ")})`,
        );
        for (const c of connections) {
          insert.run(
            snapshotId,
            ...CONNECTION_FIELDS.map((field) => c[field] ?? null),
          );
        }
        return snapshotId;
      });
      return ({ id, taken_at: takenAt, connections: connections.length });
    });
  }

  snapshots(): Promise<SnapshotInfo[]> {
    return settle(() => {
      const rows = this.#db.prepare("SELECT id, taken_at, connection_count FROM snapshots ORDER BY id").all();
      return (rows.map((row) => ({
        id: Number(row.id),
        taken_at: Number(row.taken_at),
        connections: Number(row.connection_count),
      })));
    });
  }

  snapshot(id: number): Promise<Connection[] | null> {
    return settle(() => {
      if (this.#db.prepare("SELECT 1 FROM snapshots WHERE id = ?").get(id) === undefined) {
        return (null);
      }
      const rows = this.#db.prepare("SELECT * FROM snapshot_connections WHERE snapshot_id = ? ORDER BY rowid")
        .all(id);
      return (rows.map(snapshotConnectionFromRow));
    });
  }

  prune(before: number): Promise<PruneCounts> {
    return settle(() => {
      const counts = this.#transaction(() => {
        const run = (sql: string) => Number(this.#db.prepare(sql).run(before).changes);
        const counts = {
          addresses: run("DELETE FROM addresses WHERE last_seen < ?"),
          // A connection never seen closing goes with its address.
          connections: run(
            `DELETE FROM connections WHERE closed_at < ?1
              OR (closed_at IS NULL AND NOT EXISTS (SELECT 1 FROM addresses a WHERE a.ip = remote_ip))`,
          ),
          alerts: run("DELETE FROM alerts WHERE at < ?"),
          snapshots: 0,
        };
        run(
          "DELETE FROM snapshot_connections WHERE snapshot_id IN (SELECT id FROM snapshots WHERE taken_at < ?)",
        );
        counts.snapshots = run("DELETE FROM snapshots WHERE taken_at < ?");
        this.#db.exec("DELETE FROM address_lists WHERE ip NOT IN (SELECT ip FROM addresses)");
        this.#db.exec("DELETE FROM address_processes WHERE ip NOT IN (SELECT ip FROM addresses)");
        return counts;
      });
      const exists = this.#db.prepare("SELECT 1 FROM connections WHERE id = ?");
      for (const [key, id] of this.#open) if (exists.get(id) === undefined) this.#open.delete(key);
      this.#pruned = true;
      return counts;
    });
  }

  /** Run `PRAGMA integrity_check`: "ok", or what is wrong. */
  integrityCheck(): string {
    return this.#db.prepare("PRAGMA integrity_check").all().map((r) => String(r.integrity_check)).join("; ");
  }

  close(): Promise<void> {
    return settle(() => {
      if (this.#db.isOpen) this.#db.close();
      return;
    });
  }
}
