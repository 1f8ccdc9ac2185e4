/**
 * The history's SQLite file itself: opening it (busy timeout, schema version, WAL and the writer's cache),
 * upgrading an older schema in one transaction, refusing a file that is not conntrail's or is newer, and running
 * work in a `BEGIN IMMEDIATE` transaction.
 */
import type { DatabaseSync } from "node:sqlite";
import type { DatabaseOpener } from "../platform/platform.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./_sqlite_schema.ts";
import { HistoryFileError } from "./history_file_error.ts";

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

/** Options of `SqliteStore.open`. */
export interface SqliteStoreOptions {
  /** Open for reading only (`conntrail history`, `diff`); an old schema is still upgraded, which writes. */
  readOnly?: boolean;
  /**
   * How the file is opened: the platform's (`Files.sqliteOpener`). No default: one would import node:sqlite
   * here, and so into every run of the bundle, a history or none.
   */
  openDatabase: DatabaseOpener;
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
  openDatabase: DatabaseOpener,
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

/**
 * Open (creating when missing, unless read-only) and upgrade a history
 * database. Throws {@linkcode HistoryFileError} for a file this conntrail
 * cannot use, and Deno's or SQLite's error when it cannot be opened.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { openHistoryDatabase } from "./_sqlite_file.ts";
 * import { SCHEMA_VERSION } from "./_sqlite_schema.ts";
 * const openDatabase = (path: string, options: { readOnly: boolean }) => new DatabaseSync(path, options);
 * const db = openHistoryDatabase(":memory:", { openDatabase });
 * deepStrictEqual(db.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
 * db.close();
 * ```
 */
export function openHistoryDatabase(path: string, options: SqliteStoreOptions): DatabaseSync {
  const readOnly = options.readOnly ?? false;
  const { openDatabase } = options;
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
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Run `work` in one `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back when it throws (a kill
 * at any moment leaves every committed batch and nothing half-written).
 *
 * @example
 * ```ts
 * import { deepStrictEqual, throws } from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { inTransaction } from "./_sqlite_file.ts";
 * const db = new DatabaseSync(":memory:");
 * db.exec("CREATE TABLE t (n INTEGER)");
 * throws(() =>
 *   inTransaction(db, () => {
 *     db.exec("INSERT INTO t VALUES (1)");
 *     throw new Error("half-way");
 *   }), /half-way/);
 * deepStrictEqual(db.prepare("SELECT count(*) AS n FROM t").get()?.n, 0);
 * ```
 */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
