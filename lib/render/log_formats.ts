/**
 * The formats of `--log-dir` logs. Apart from log_records.ts, which writes them, so that parsing a command
 * line loads these names and not the log renderers (and the CSV writer).
 *
 * @module
 */

/** The formats `--log-format` accepts; each is also the file's extension. */
export const LOG_FORMATS = ["txt", "csv", "json"] as const;

/** A log format. */
export type LogFormat = typeof LOG_FORMATS[number];
