/**
 * node:sqlite's opener for the tests and benches that open a history database without a platform:
 * `SqliteStore.open(path, { openDatabase })`. lib/ has no default opener: the platform loads node:sqlite
 * when a history is opened (`Files.sqliteOpener`), so that the bundle does not load it in every run.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

/**
 * Open an SQLite database file with node:sqlite, as the real platform's opener does.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { SqliteStore } from "../lib/store/sqlite_store.ts";
 * import { openDatabase } from "./sqlite_opener.ts";
 * const store = SqliteStore.open(":memory:", { openDatabase });
 * deepStrictEqual(store.location, "sqlite :memory:");
 * await store.close();
 * ```
 */
export function openDatabase(path: string, options: { readOnly: boolean }): DatabaseSync {
  return new DatabaseSync(path, options);
}
