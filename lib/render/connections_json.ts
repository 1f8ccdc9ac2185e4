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

/** The keys of a rendering's fields, as `JSON.stringify` writes them: pretty (indented in an array) and compact. */
interface FieldKeys {
  fields: readonly (keyof Connection)[];
  /** The byte counters are among the fields. */
  traffic: boolean;
  pretty: readonly string[];
  compact: readonly string[];
}

function fieldKeys(options: ConnectionsRenderOptions): FieldKeys {
  const fields = connectionFields(options);
  return {
    fields,
    traffic: options.traffic === true,
    pretty: fields.map((field) => `    ${JSON.stringify(field)}: `),
    compact: fields.map((field) => `${JSON.stringify(field)}:`),
  };
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
 * One connection as `JSON.stringify` writes it, the fields in SPEC order, pushed onto `out` in pieces
 * (joined once per chunk: no string is built up by `+=`); `pretty`: as an element of a pretty array.
 */
function pushConnectionJson(out: string[], connection: Connection, keys: FieldKeys, pretty: boolean): void {
  const names = pretty ? keys.pretty : keys.compact;
  out.push(pretty ? "  {" : "{");
  for (let i = 0; i < keys.fields.length; i++) {
    out.push(
      pretty ? (i === 0 ? "\n" : ",\n") : (i === 0 ? "" : ","),
      names[i]!,
      jsonValue(connection[keys.fields[i]!]),
    );
  }
  out.push(pretty && keys.fields.length > 0 ? "\n  }" : "}");
}

/**
 * True when the connection has every field: `JSON.stringify` would leave out one that is undefined. The fields
 * are named one by one (CONNECTION_FIELDS, then TRAFFIC_FIELDS with `traffic`), not looked up from the list: at
 * 25,000 rows the lookups by a varying key cost ~10 ms of a snapshot's CPU, named ones next to nothing.
 * tests/render/connections_json_test.ts fails if a field of those lists is missing here.
 */
function allFieldsSet(c: Connection, traffic: boolean): boolean {
  return c.timestamp !== undefined && c.protocol !== undefined && c.process_name !== undefined &&
    c.process_path !== undefined && c.pid !== undefined && c.local_ip !== undefined &&
    c.local_port !== undefined && c.remote_ip !== undefined && c.remote_port !== undefined &&
    c.status !== undefined && c.family !== undefined && c.direction !== undefined && c.user !== undefined &&
    (!traffic || (c.bytes_sent !== undefined && c.bytes_received !== undefined));
}

/**
 * Rows as the elements of a pretty JSON array, without the brackets: `JSON.stringify` with the field list
 * (which writes the fields in SPEC order, in a third less time than putting the text together here), or, for
 * rows that lack a field (written as null), piece by piece.
 */
function prettyElements(rows: readonly Connection[], keys: FieldKeys): string {
  if (rows.every((row) => allFieldsSet(row, keys.traffic))) {
    return safeJsonText(JSON.stringify(rows, keys.fields as string[], 2).slice(2, -2));
  }
  const out: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) out.push(",\n");
    pushConnectionJson(out, rows[i]!, keys, true);
  }
  return out.join("");
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
export function* connectionsJsonChunks(
  connections: readonly Connection[],
  options: ConnectionsRenderOptions = {},
): Generator<string> {
  if (connections.length === 0) {
    yield "[]\n";
    return;
  }
  const keys = fieldKeys(options);
  for (let start = 0; start < connections.length; start += CHUNK_ROWS) {
    const rows = connections.slice(start, start + CHUNK_ROWS);
    const last = start + rows.length === connections.length;
    yield (start === 0 ? "[\n" : "") + prettyElements(rows, keys) + (last ? "\n]\n" : ",\n");
  }
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
    pushConnectionJson(out, connections[i]!, keys, false);
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
