import { UnusableFileError } from "../model/errors.ts";

/**
 * A history file this conntrail cannot use: a newer schema, or not a conntrail history (SQLite or JSON). The file
 * is left as it is.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { HistoryFileError } from "./history_file_error.ts";
 * import { UnusableFileError } from "../model/errors.ts";
 * ok(new HistoryFileError('"h.db" is not a conntrail history database') instanceof UnusableFileError);
 * ```
 */
export class HistoryFileError extends UnusableFileError {
  override name = "HistoryFileError";
}
