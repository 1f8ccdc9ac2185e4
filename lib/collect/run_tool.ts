import { isPermissionDenied, isSystemError, PermissionError, ToolError } from "../model/errors.ts";
import { timerDelay } from "../model/timer_delay.ts";
import type { ProgramOutput, Programs } from "../platform/platform.ts";

/** What a finished tool run printed. */
export interface ToolOutput {
  /** The output as text; empty when it was asked for as bytes. */
  stdout: string;
  /** The output as bytes, when `binary` asked for them (`ss -D` writes raw netlink messages). */
  bytes?: Uint8Array;
  stderr: string;
  code: number;
}

/** Options of {@linkcode runTool}. */
export interface RunToolOptions {
  /** Kill the tool after this long. Default 10 s. */
  timeoutMs?: number;
  /** Exit codes that are not failures (lsof exits 1 when it finds nothing). Default `[0]`. */
  okCodes?: readonly number[];
  /** Hand the output back as bytes (`bytes`), not decoded as text. */
  binary?: boolean;
}

/**
 * Throw what a tool that could not start means to the user: no permission to
 * run it (the flag that allows it), or not installed (`notFoundHint` says what
 * to do). Other errors are left to the caller.
 */
export function throwIfCannotStart(command: string, error: unknown, notFoundHint = ""): void {
  if (isPermissionDenied(error)) {
    throw new PermissionError(
      `conntrail may not run "${command}"; run with --allow-run=${command}`,
      `--allow-run=${command}`,
      { cause: error },
    );
  }
  if (isSystemError(error, "NotFound")) {
    throw new ToolError(`cannot find "${command}" on PATH${notFoundHint}`, { cause: error, notFound: true });
  }
}

/** The signature collectors take, so that tests can inject a scripted runner. */
export type RunTool = (
  command: string,
  args: readonly string[],
  options?: RunToolOptions,
) => Promise<ToolOutput>;

const decoder = new TextDecoder();

/**
 * The runner of external tools on these programs: the one place conntrail
 * runs a tool to its end. A missing tool, a missing `--allow-run`, a timeout
 * and a failing exit code each become one sentence that says what to do.
 *
 * @example
 * ```ts ignore
 * const runTool = toolRunner(platform.programs);
 * const { stdout } = await runTool("ss", ["-tunapeH"]);
 * ```
 */
export function toolRunner(programs: Programs): RunTool {
  return (command, args, options) => runTool(programs, command, args, options);
}

async function runTool(
  programs: Programs,
  command: string,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<ToolOutput> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const okCodes = options.okCodes ?? [0];
  const commandLine = [command, ...args].join(" ");
  let output: ProgramOutput;
  try {
    output = await programs.output(command, args, { signal: AbortSignal.timeout(timerDelay(timeoutMs)) });
  } catch (error) {
    throwIfCannotStart(command, error, ": install it or choose another --collector");
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new ToolError(`"${commandLine}" did not finish within ${timeoutMs / 1000} s`, { cause: error });
    }
    throw new ToolError(`cannot run "${commandLine}": ${(error as Error).message}`, { cause: error });
  }
  const stdout = options.binary ? "" : decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr).trim();
  if (output.signal !== null) {
    throw new ToolError(
      `"${commandLine}" did not finish within ${timeoutMs / 1000} s (killed by ${output.signal})`,
    );
  }
  if (!okCodes.includes(output.code)) {
    const detail = stderr.split("\n")[0] || "no message";
    throw new ToolError(`"${commandLine}" failed with exit code ${output.code}: ${detail}`);
  }
  return options.binary
    ? { stdout, bytes: output.stdout, stderr, code: output.code }
    : { stdout, stderr, code: output.code };
}
