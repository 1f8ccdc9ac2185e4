import { type Connection, CONNECTION_FIELDS, TRAFFIC_FIELDS } from "../model/connection.ts";
import { safeJsonText } from "./terminal_text.ts";

/** Options of the connection renderers. */
export interface ConnectionsRenderOptions {
  /** Add `bytes_sent` and `bytes_received` (`snapshot --traffic`); null where unknown. */
  traffic?: boolean;
}

/** The fields a rendering shows, in order. */
export function connectionFields(options: ConnectionsRenderOptions = {}): (keyof Connection)[] {
  return options.traffic ? [...CONNECTION_FIELDS, ...TRAFFIC_FIELDS] : [...CONNECTION_FIELDS];
}

/** Rows per chunk of {@linkcode connectionsJsonChunks}: a chunk is written before the next is made. */
const CHUNK_ROWS = 200;

/** The keys of a rendering's fields, as compact `JSON.stringify` writes them. */
interface FieldKeys {
  fields: readonly (keyof Connection)[];
  compact: readonly string[];
}

function fieldKeys(options: ConnectionsRenderOptions): FieldKeys {
  const fields = connectionFields(options);
  return { fields, compact: fields.map((field) => `${JSON.stringify(field)}:`) };
}

/** JSON of recent string values: names, addresses and the poll's time repeat from row to row. */
const stringJson = new Map<string, string>();
const STRING_JSON_LIMIT = 10_000;

function jsonValue(value: unknown): string {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  // Every field is written: one a connection lacks is null.
  if (typeof value !== "string") return JSON.stringify(value ?? null);
  let json = stringJson.get(value);
  if (json === undefined) {
    if (stringJson.size >= STRING_JSON_LIMIT) stringJson.clear();
    json = safeJsonText(JSON.stringify(value));
    stringJson.set(value, json);
  }
  return json;
}

/**
 * One connection as compact `JSON.stringify` writes it, the fields in SPEC order, pushed onto `out` in pieces
 * (joined once per chunk: no string is built up by `+=`).
 */
function pushConnectionJson(out: string[], connection: Connection, keys: FieldKeys): void {
  out.push("{");
  for (let i = 0; i < keys.fields.length; i++) {
    out.push(i === 0 ? "" : ",", keys.compact[i]!, jsonValue(connection[keys.fields[i]!]));
  }
  out.push("}");
}

/**
 * A row as `JSON.stringify` is to write it: a fresh object with the SPEC fields in order and null for one the
 * connection lacks (absent or undefined, which stringify would leave out). Made a chunk at a time, the copies
 * die young; stringified without a field list, V8 takes its fast path: at 25,000 rows ~25 % less time than the
 * connection itself with the list (whose lookups by key are generic), the copies included. The fields are named
 * one by one; tests/render/connections_json_test.ts fails if one of CONNECTION_FIELDS or TRAFFIC_FIELDS is
 * missing here.
 */
function specRow(c: Connection): object {
  return {
    timestamp: c.timestamp ?? null,
    protocol: c.protocol ?? null,
    process_name: c.process_name ?? null,
    process_path: c.process_path ?? null,
    pid: c.pid ?? null,
    local_ip: c.local_ip ?? null,
    local_port: c.local_port ?? null,
    remote_ip: c.remote_ip ?? null,
    remote_port: c.remote_port ?? null,
    status: c.status ?? null,
    family: c.family ?? null,
    direction: c.direction ?? null,
    user: c.user ?? null,
  };
}

/** {@linkcode specRow} with the byte counters of `--traffic` after the SPEC fields. */
function specRowWithTraffic(c: Connection): object {
  return { ...specRow(c), bytes_sent: c.bytes_sent ?? null, bytes_received: c.bytes_received ?? null };
}

/** Rows as the elements of a pretty JSON array, without the brackets. */
function prettyElements(rows: readonly Connection[], traffic: boolean): string {
  const copies = new Array<object>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    copies[i] = traffic ? specRowWithTraffic(rows[i]!) : specRow(rows[i]!);
  }
  return safeJsonText(JSON.stringify(copies, null, 2).slice(2, -2));
}

/**
 * Connections as one pretty JSON array with the SPEC field names (the text
 * `JSON.stringify(rows, null, 2)` makes, and a final newline), in chunks of
 * 200 rows: a large snapshot is written chunk by chunk, never held whole (small
 * chunks die young, so the heap stays near the rows' own size).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { connectionsJsonChunks } from "./connections_json.ts";
 * deepStrictEqual([...connectionsJsonChunks([])].join(""), "[]\n");
 * ```
 */
export function connectionsJsonChunks(
  connections: readonly Connection[],
  options: ConnectionsRenderOptions = {},
): Generator<string> {
  return connectionBatchesJsonChunks([connections], options);
}

/**
 * {@linkcode connectionsJsonChunks} of connections that come a batch at a time (a one-shot snapshot's, read
 * batch by batch: see `CollectResult.more`): one array of them all, the same text. A batch is asked for when the
 * chunks before it are written.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { connectionBatchesJsonChunks, connectionsJsonChunks } from "./connections_json.ts";
 * const row = { timestamp: "t", protocol: "TCP", family: 4, local_ip: "127.0.0.1", local_port: 80,
 *   remote_ip: null, remote_port: null, status: "LISTEN", direction: "listening", pid: null,
 *   process_name: null, process_path: null, user: null } as const;
 * deepStrictEqual([...connectionBatchesJsonChunks([[row], [], [row]])].join(""),
 *   [...connectionsJsonChunks([row, row])].join(""));
 * ```
 */
export function* connectionBatchesJsonChunks(
  batches: Iterable<readonly Connection[]>,
  options: ConnectionsRenderOptions = {},
): Generator<string> {
  const traffic = options.traffic === true;
  let first = true;
  for (const connections of batches) {
    for (let start = 0; start < connections.length; start += CHUNK_ROWS) {
      const rows = connections.slice(start, start + CHUNK_ROWS);
      // Apart, not joined: a joined chunk is copied whole once more to be written.
      yield first ? "[\n" : ",\n";
      yield prettyElements(rows, traffic);
      first = false;
    }
  }
  yield first ? "[]\n" : "\n]\n";
}

/**
 * Render connections as one pretty JSON array with the SPEC field names.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { renderConnectionsJson } from "./connections_json.ts";
 * deepStrictEqual(renderConnectionsJson([]), "[]\n");
 * ```
 */
export function renderConnectionsJson(
  connections: readonly Connection[],
  options: ConnectionsRenderOptions = {},
): string {
  return [...connectionsJsonChunks(connections, options)].join("");
}

/**
 * NDJSON in chunks of 200 lines: one JSON object a line.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { connectionsNdjsonChunks } from "./connections_json.ts";
 * deepStrictEqual([...connectionsNdjsonChunks([])], []);
 * ```
 */
export function* connectionsNdjsonChunks(
  connections: readonly Connection[],
  options: ConnectionsRenderOptions = {},
): Generator<string> {
  const keys = fieldKeys(options);
  let out: string[] = [];
  for (let i = 0; i < connections.length; i++) {
    // Piece by piece: JSON.stringify with a field list, row by row, measured a third slower here.
    pushConnectionJson(out, connections[i]!, keys);
    out.push("\n");
    if ((i + 1) % CHUNK_ROWS === 0 || i === connections.length - 1) {
      yield out.join("");
      out = [];
    }
  }
}

/**
 * Render connections as NDJSON: one JSON object a line.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { renderConnectionsNdjson } from "./connections_json.ts";
 * deepStrictEqual(renderConnectionsNdjson([]), "");
 * ```
 */
export function renderConnectionsNdjson(
  connections: readonly Connection[],
  options: ConnectionsRenderOptions = {},
): string {
  return [...connectionsNdjsonChunks(connections, options)].join("");
}
