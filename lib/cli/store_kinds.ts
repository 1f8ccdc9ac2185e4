/**
 * The history stores `--store` names. Apart from history_config.ts, which opens them, so that parsing a
 * command line loads these names and not the SQLite, JSON and memory stores.
 *
 * @module
 */

/** Where history can be kept. */
export const STORE_KINDS = ["sqlite", "json", "none"] as const;
/** One of {@linkcode STORE_KINDS}. */
export type StoreKind = typeof STORE_KINDS[number];
