/**
 * The error kinds main.ts turns into exit codes: an `InputError` (exit 2) is
 * a value the user gave that cannot be used (a bad duration, an unknown
 * snapshot id, a bad parameter of a web request, which the server answers
 * with 400); the command line's own `UsageError` (lib/cli/usage_error.ts) is
 * one kind of it. An `UnusableFileError` (exit 1, no `--debug` hint) is a file
 * the user named that conntrail will not use. Anything else is a runtime
 * failure (exit 1). Messages follow std's rules: sentence case, no final
 * period, values quoted, and what to do next.
 *
 * @module
 */

/**
 * A value the user gave cannot be used: a bad duration or address, a missing
 * snapshot, a bad parameter of a web request. Exit code 2.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { InputError } from "./errors.ts";
 * ok(new InputError('"5x" is not a duration') instanceof Error);
 * ```
 */
export class InputError extends Error {
  override name = "InputError";
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
 * A file the user named that conntrail will not use (not a regular file,
 * past a size limit, not a history database): exit code 1 with one sentence
 * that says why, and no `--debug` hint, since there is nothing more to see.
 */
export class UnusableFileError extends Error {
  override name = "UnusableFileError";
}

/** An external tool could not be run or failed. */
export class ToolError extends Error {
  override name = "ToolError";
  /** True when the tool is not installed (so `--collector auto` may try another). */
  readonly notFound: boolean;
  /** True when the tool ran past its time limit and was stopped (a busy machine, not a broken setup). */
  readonly timedOut: boolean;
  constructor(message: string, options?: ErrorOptions & { notFound?: boolean; timedOut?: boolean }) {
    super(message, options);
    this.notFound = options?.notFound ?? false;
    this.timedOut = options?.timedOut ?? false;
  }
}

/**
 * The failures of the machine that conntrail tells apart, by the name their
 * errors carry: the runtime's (`Deno.errors.NotFound` is named `NotFound`),
 * and a fake platform's, which throws plain errors of the same names.
 */
export type SystemErrorName =
  | "NotFound"
  | "NotCapable"
  | "PermissionDenied"
  | "AddrInUse"
  | "AddrNotAvailable"
  | "BrokenPipe";

/**
 * Whether `error` is the machine's failure `name`.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { isSystemError } from "./errors.ts";
 * ok(isSystemError(Object.assign(new Error("gone"), { name: "NotFound" }), "NotFound"));
 * ok(!isSystemError(new Error("gone"), "NotFound"));
 * ```
 */
export function isSystemError(error: unknown, name: SystemErrorName): error is Error {
  return error instanceof Error && error.name === name;
}

/** True for the error the runtime throws when a permission is missing (`NotCapable` since Deno 2). */
export function isPermissionDenied(error: unknown): boolean {
  return isSystemError(error, "NotCapable");
}
