import { type Connection, CONNECTION_FIELDS, TRAFFIC_FIELDS } from "../model/connection.ts";

/** Options of the connection renderers. */
export interface ConnectionsRenderOptions {
  /** Add `bytes_sent` and `bytes_received` (`snapshot --traffic`); null where unknown. */
  traffic?: boolean;
}

/** The fields a rendering shows, in order. */
export function connectionFields(options: ConnectionsRenderOptions = {}): (keyof Connection)[] {
  return options.traffic ? [...CONNECTION_FIELDS, ...TRAFFIC_FIELDS] : [...CONNECTION_FIELDS];
}

function ordered(connection: Connection, fields: readonly (keyof Connection)[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field, connection[field] ?? null]));
}

/** Render connections as one pretty JSON array with the SPEC field names. */
export function renderConnectionsJson(
  connections: readonly Connection[],
  options: ConnectionsRenderOptions = {},
): string {
  const fields = connectionFields(options);
  return JSON.stringify(connections.map((c) => ordered(c, fields)), null, 2) + "\n";
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
  const fields = connectionFields(options);
  return connections.map((c) => JSON.stringify(ordered(c, fields)) + "\n").join("");
}
