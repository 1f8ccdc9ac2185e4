/**
 * The error kinds main.ts turns into exit codes: a `UsageError` (exit 2) is
 * the user's to fix on the command line; anything else is a runtime failure
 * (exit 1). Messages follow std's rules: sentence case, no final period,
 * values quoted, and what to do next.
 *
 * @module
 */

/** A bad command line: unknown flag, bad value, conflicting options. Exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Deno refused a permission the asked-for work needs; the message names the flag to add. */
export class PermissionError extends Error {
  override name = "PermissionError";
  /** The Deno flag that grants what is missing, e.g. `--allow-run=ss`. */
  readonly flag: string;
  constructor(message: string, flag: string, options?: ErrorOptions) {
    super(message, options);
    this.flag = flag;
  }
}

/**
 * A file or value the user gave that conntrail will not use (not a regular
 * file, past a size limit, not a history database): exit code 1 with one
 * sentence that says why, and no `--debug` hint, since there is nothing more
 * to see.
 */
export class InputError extends Error {
  override name = "InputError";
}

/** An external tool could not be run or failed. */
export class ToolError extends Error {
  override name = "ToolError";
  /** True when the tool is not installed (so `--collector auto` may try another). */
  readonly notFound: boolean;
  constructor(message: string, options?: ErrorOptions & { notFound?: boolean }) {
    super(message, options);
    this.notFound = options?.notFound ?? false;
  }
}

/** True for the error Deno throws when a permission is missing (`NotCapable` since Deno 2). */
export function isPermissionDenied(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable;
}
