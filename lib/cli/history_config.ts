import type { Files, OperatingSystem, Platform } from "../platform/platform.ts";
import { directoryOf as dirname, joinPath as join } from "../platform/file_path.ts";
import { isSystemError, PermissionError, UnusableFileError } from "../model/errors.ts";
import { UsageError } from "./usage_error.ts";
import type { StoreKind } from "./store_kinds.ts";
import type { HistoryStore } from "../store/history_store.ts";
import type { JsonStoreFiles } from "../store/json_store.ts";
import { MemoryStore } from "../store/memory_store.ts";
import { SqliteStore } from "../store/sqlite_store.ts";
import { dataDirectory } from "../store/data_dir.ts";

/** The variables that name the JSON store's files (SPEC). */
export const HISTORY_ENV = ["HISTORY_FILE", "CONN_RECORD_FILE", "ABUSEIP_INFO_FILE"] as const;

/** The history database's name in the data directory. */
export const DEFAULT_DB_NAME = "history.db";

/** Connections the in-memory fallback keeps at most. */
const MEMORY_CONNECTIONS = 100_000;

/** `--store` and `--db`. */
export interface HistoryFlags {
  store: StoreKind;
  db?: string;
}

/** Where history lives for a command line and environment. */
export type HistoryLocation =
  | { kind: "none" }
  | { kind: "sqlite"; path: string; /** What read and write permission must cover. */ scope: string[] }
  | { kind: "json"; files: JsonStoreFiles; scope: string[] }
  | { kind: "unknown"; reason: string };

/**
 * Where history lives: `--db PATH`, or `history.db` in the data directory;
 * for `--store json`, `HISTORY_FILE`, `CONN_RECORD_FILE` and `ABUSEIP_INFO_FILE`
 * (default: in the data directory), with `conntrail_alerts.json` and
 * `conntrail_snapshots.json` beside the history file.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { historyLocation } from "./history_config.ts";
 * const env = new Map([["HOME", "/home/ana"]]);
 * deepStrictEqual(historyLocation({ store: "sqlite" }, env, "linux"), {
 *   kind: "sqlite", path: "/home/ana/.local/share/conntrail/history.db",
 *   scope: ["/home/ana/.local/share/conntrail"],
 * });
 * deepStrictEqual(historyLocation({ store: "sqlite", db: "h.db" }, new Map(), "linux"),
 *   { kind: "sqlite", path: "h.db", scope: ["h.db"] });
 * ```
 */
export function historyLocation(
  flags: HistoryFlags,
  env: ReadonlyMap<string, string>,
  os: OperatingSystem,
): HistoryLocation {
  if (flags.store === "none") return { kind: "none" };
  if (flags.store === "sqlite" && flags.db !== undefined) {
    return { kind: "sqlite", path: flags.db, scope: [flags.db] };
  }
  const base = dataDirectory(env, os);
  const unknown = {
    kind: "unknown" as const,
    reason: os === "windows"
      ? "LOCALAPPDATA is unset or not readable (run with --allow-env=LOCALAPPDATA, or pass --db PATH)"
      : "HOME is unset or not readable (run with --allow-env=XDG_DATA_HOME,HOME, or pass --db PATH)",
  };
  if (flags.store === "sqlite") {
    return base === null ? unknown : { kind: "sqlite", path: join(base, DEFAULT_DB_NAME), scope: [base] };
  }
  const file = (variable: typeof HISTORY_ENV[number], name: string) =>
    env.get(variable) || (base === null ? null : join(base, name));
  const history = file("HISTORY_FILE", "ip_history.json");
  const connections = file("CONN_RECORD_FILE", "connection_records.json");
  const abuseInfo = file("ABUSEIP_INFO_FILE", "abuseip_info.json");
  if (history === null || connections === null || abuseInfo === null) return unknown;
  const files = {
    history,
    connections,
    abuseInfo,
    alerts: join(dirname(history), "conntrail_alerts.json"),
    snapshots: join(dirname(history), "conntrail_snapshots.json"),
  };
  // Each file is replaced through a temporary file beside it: write access covers the directories.
  return { kind: "json", files, scope: [...new Set(Object.values(files).map((f) => dirname(f)))] };
}

/** The machine a history lives on: its OS (where the data directory is), files and permissions. */
export type HistoryMachine = Pick<Platform, "os" | "files" | "mayRead" | "mayWrite">;

/** The flags that are missing to use a location, or null when none is. */
function missingFlags(machine: HistoryMachine, scope: readonly string[], write: boolean): string | null {
  const read = scope.filter((p) => !machine.mayRead(p));
  const writes = write ? scope.filter((p) => !machine.mayWrite(p)) : [];
  if (read.length === 0 && writes.length === 0) return null;
  return [
    read.length > 0 ? `--allow-read=${read.join(",")}` : null,
    writes.length > 0 ? `--allow-write=${writes.join(",")}` : null,
  ].filter((f) => f !== null).join(" ");
}

async function openLocation(
  location: Extract<HistoryLocation, { kind: "sqlite" | "json" }>,
  options: { files: Files; readOnly: boolean },
): Promise<HistoryStore> {
  const { files, readOnly } = options;
  if (location.kind === "json") {
    if (!readOnly) { for (const dir of location.scope) await files.mkdir(dir, { recursive: true }); }
    // Imported by the runs that keep their history in JSON: most keep it in SQLite.
    return await (await import("../store/json_store.ts")).JsonStore.open(location.files, files);
  }
  if (!readOnly && location.scope[0] !== location.path) {
    await files.mkdir(dirname(location.path), { recursive: true });
  }
  return SqliteStore.open(location.path, { readOnly, openDatabase: await files.sqliteOpener() });
}

function reasonOf(error: unknown): string {
  if (isSystemError(error, "NotCapable")) return `permission denied (${error.message})`;
  // One sentence: SQLite's messages can quote whole statements over many lines.
  const line = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** A memory store for a run whose history cannot be kept on disk. */
export function memoryHistory(): HistoryStore {
  return new MemoryStore({ maxConnections: MEMORY_CONNECTIONS, location: "memory" });
}

/**
 * The monitor's history: the store the flags name, or, when it cannot be
 * used (no permission, no data directory, a read-only disk, a file that is not
 * conntrail's), memory for this run and one line saying why. Null for
 * `--store none`.
 */
export async function openMonitorHistory(
  flags: HistoryFlags,
  io: HistoryMachine & { env: ReadonlyMap<string, string>; note: (line: string) => void },
): Promise<HistoryStore | null> {
  const location = historyLocation(flags, io.env, io.os);
  if (location.kind === "none") return null;
  const inMemory = (why: string) => {
    io.note(`note: history is kept in memory only: ${why}`);
    return memoryHistory();
  };
  if (location.kind === "unknown") return inMemory(`the data directory is unknown: ${location.reason}`);
  const missing = missingFlags(io, location.scope, true);
  const where = location.kind === "sqlite" ? location.path : location.files.history;
  if (missing !== null) return inMemory(`cannot write "${where}": permission denied; run with ${missing}`);
  try {
    return await openLocation(location, { files: io.files, readOnly: false });
  } catch (error) {
    return inMemory(`cannot use "${where}": ${reasonOf(error)}`);
  }
}

/**
 * The history a command reads (`history`, `diff`) or writes (`snapshot
 * --save`, `history prune`). Null when reading and nothing was ever saved.
 * Throws one sentence when it cannot be used.
 */
export async function openCommandHistory(
  flags: HistoryFlags,
  io: HistoryMachine & { env: ReadonlyMap<string, string> },
  access: "read" | "write",
): Promise<HistoryStore | null> {
  const location = historyLocation(flags, io.env, io.os);
  if (location.kind === "none") throw new UsageError("--store none keeps no history");
  if (location.kind === "unknown") throw new UsageError(`cannot find the data directory: ${location.reason}`);
  const where = location.kind === "sqlite" ? location.path : location.files.history;
  const missing = missingFlags(io, location.scope, access === "write");
  if (missing !== null) {
    throw new PermissionError(
      `cannot ${access} the history "${where}": permission denied; run with ${missing}`,
      missing,
    );
  }
  if (access === "read" && location.kind === "sqlite") {
    try {
      await io.files.stat(location.path);
    } catch (error) {
      if (isSystemError(error, "NotFound")) return null;
      throw error;
    }
  }
  try {
    return await openLocation(location, { files: io.files, readOnly: access === "read" });
  } catch (error) {
    // Already one sentence about the file: said as it is, without the --debug hint.
    if (error instanceof UnusableFileError) throw error;
    throw new Error(`cannot open the history "${where}": ${reasonOf(error)}`, { cause: error });
  }
}
