/**
 * The SQLite history back end: the {@linkcode HistoryStore} interface over one file. Its parts live beside it:
 * `_sqlite_file.ts` (opening, upgrading, transactions), `_sqlite_history_writer.ts` (a batch of events written),
 * `_sqlite_rows.ts` (rows read back as records), `_sqlite_schema.ts` (the tables, version by version).
 */
import type { Connection } from "../model/connection.ts";
import { CONNECTION_FIELDS } from "../model/connection.ts";
import type { Reputation, RiskLevel } from "../model/risk.ts";
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
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
import { inTransaction, openHistoryDatabase, type SqliteStoreOptions } from "./_sqlite_file.ts";
import { HistoryWriter } from "./_sqlite_history_writer.ts";
import {
  addressFromRow,
  alertFromRow,
  connectionFromRow,
  num,
  snapshotConnectionFromRow,
  text,
} from "./_sqlite_rows.ts";

export type { SqliteStoreOptions } from "./_sqlite_file.ts";

/** Run synchronous database work as the interface's promise: an error rejects it rather than throwing. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
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
 * import { DatabaseSync } from "node:sqlite";
 * import { SqliteStore } from "./sqlite_store.ts";
 * const openDatabase = (path: string, options: { readOnly: boolean }) => new DatabaseSync(path, options);
 * const store = SqliteStore.open(":memory:", { openDatabase });
 * const saved = await store.saveSnapshot(1000, []);
 * deepStrictEqual([saved.id, (await store.snapshots()).length], [1, 1]);
 * await store.close();
 * ```
 */
export class SqliteStore implements HistoryStore {
  readonly location: string;
  readonly #db: DatabaseSync;
  /** Writes the monitor's batches (see {@linkcode HistoryWriter}). */
  readonly #writer: HistoryWriter;

  private constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.#writer = new HistoryWriter(db);
    this.location = `sqlite ${path}`;
  }

  /**
   * Open (creating when missing, unless read-only) and upgrade a history
   * database. Throws `HistoryFileError` (history_file_error.ts) for a file this conntrail
   * cannot use, and Deno's or SQLite's error when it cannot be opened.
   */
  static open(path: string, options: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(openHistoryDatabase(path, options), path);
  }

  record(events: readonly HistoryEvent[]): Promise<void> {
    return settle(() => this.#writer.record(events));
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
      return (rows.map(alertFromRow));
    });
  }

  saveSnapshot(takenAt: number, connections: readonly Connection[]): Promise<SnapshotInfo> {
    return settle(() => {
      const id = inTransaction(this.#db, () => {
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
      const counts = inTransaction(this.#db, () => {
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
      this.#writer.pruned();
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
