import { InputError } from "../model/errors.ts";

/**
 * A bad command line: unknown flag, bad value, conflicting options. Exit code 2,
 * as every {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { InputError } from "../model/errors.ts";
 * import { UsageError } from "./usage_error.ts";
 * ok(new UsageError("unknown option '--x'") instanceof InputError);
 * ```
 */
export class UsageError extends InputError {
  override name = "UsageError";
}
