import { type Connection, CONNECTION_FIELDS } from "../model/connection.ts";

function ordered(connection: Connection): Record<string, unknown> {
  return Object.fromEntries(CONNECTION_FIELDS.map((field) => [field, connection[field]]));
}

/** Render connections as one pretty JSON array with the SPEC field names. */
export function renderConnectionsJson(connections: readonly Connection[]): string {
  return JSON.stringify(connections.map(ordered), null, 2) + "\n";
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
export function renderConnectionsNdjson(connections: readonly Connection[]): string {
  return connections.map((c) => JSON.stringify(ordered(c)) + "\n").join("");
}
