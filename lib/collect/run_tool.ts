import { isPermissionDenied, isSystemError, PermissionError, ToolError } from "../model/errors.ts";
import { timerDelay } from "../model/timer_delay.ts";
import type { ProgramOutput, Programs, RunningProgram } from "../platform/platform.ts";
import { concatBytes } from "../model/concat_bytes.ts";

/** What a finished tool run printed. */
export interface ToolOutput {
  /** The output as text; empty when it was handed over as it came (`onChunk`). */
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * How long a tool that walks every process's descriptors (`ss -p`, `lsof`,
 * `netstat -p`) may take before it is taken for hung: a hang guard, not a
 * speed claim. Such a walk is half a second to two of CPU at 40,000
 * descriptors, but with both cores busy `netstat -tunapeW` took 35 s and
 * `ss -tunapeH` 19 s of wall time (load 15, other work holding 42,000
 * descriptors): a shorter guard ends a monitor that would have had its answer.
 */
export const DESCRIPTOR_WALK_TIMEOUT_MS = 120_000;

/** Options of {@linkcode runTool}. */
export interface RunToolOptions {
  /** Kill the tool after this long. Default 10 s. */
  timeoutMs?: number;
  /** Exit codes that are not failures (lsof exits 1 when it finds nothing). Default `[0]`. */
  okCodes?: readonly number[];
  /**
   * Hand stdout over chunk by chunk as it arrives, not kept (`stdout` comes
   * back empty): a large output (`ss -D` writes 8.8 MB at 10,000 connections)
   * is never held whole. A chunk is only valid during the call: its buffer is
   * read into again.
   */
  onChunk?: (chunk: Uint8Array) => void;
  /** Variables added to the environment the tool inherits. */
  env?: Readonly<Record<string, string>>;
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

/** Read a stream into one buffer, reused from read to read where the stream lets its reader bring one. */
async function readChunks(
  stream: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
): Promise<void> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream: chunks as the stream makes them.
    for await (const chunk of stream) onChunk(chunk);
    return;
  }
  let buffer = new ArrayBuffer(READ_BUFFER);
  while (true) {
    const { value, done } = await reader.read(new Uint8Array(buffer));
    // Each read hands the buffer over and gives it back in `value`.
    if (value !== undefined) buffer = value.buffer as ArrayBuffer;
    if (done) return;
    onChunk(value);
  }
}

/**
 * A stream's bytes, read to its end (a tool's stderr, mostly empty). Not `new Response(stream).bytes()`: that
 * loads Deno's fetch modules on first use, ~3 ms of CPU in a one-shot `snapshot` that fetches nothing.
 */
async function allBytes(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concatBytes(chunks);
}

/** Bytes read at once: a pipe holds 64 KiB. */
const READ_BUFFER = 64 * 1024;

/** Run a program to its end with stdout handed over as it comes: `stdout` comes back empty. */
async function streamed(
  programs: Programs,
  command: string,
  args: readonly string[],
  timeoutMs: number,
  onChunk: (chunk: Uint8Array) => void,
  env: Readonly<Record<string, string>> | undefined,
): Promise<ProgramOutput> {
  const child: RunningProgram = programs.spawn(command, args, env === undefined ? {} : { env });
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // It has exited already.
    }
  };
  let timedOut = false;
  // The guard is an AbortSignal.timeout, not a setTimeout: Deno's global setTimeout loads its Node timers module
  // on first use, ~12 ms of CPU in a process that needs no other (programs.output's guard is such a signal too).
  // Its timer keeps the process alive only while the listener is on it.
  const guard = AbortSignal.timeout(timerDelay(timeoutMs));
  const onTimeout = () => {
    timedOut = true;
    kill();
  };
  guard.addEventListener("abort", onTimeout);
  const stderr = allBytes(child.stderr);
  try {
    try {
      await readChunks(child.stdout, onChunk);
    } catch (error) {
      // A reader that gave up leaves no program behind.
      kill();
      await Promise.allSettled([stderr, child.status]);
      throw error;
    }
    const [errorBytes, status] = await Promise.all([stderr, child.status]);
    if (timedOut) throw new DOMException("the tool timed out", "TimeoutError");
    return { code: status.code, signal: status.signal, stdout: new Uint8Array(), stderr: errorBytes };
  } finally {
    guard.removeEventListener("abort", onTimeout);
  }
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
  let guard: AbortSignal | null = null;
  try {
    output = options.onChunk === undefined
      ? await programs.output(command, args, {
        signal: guard = AbortSignal.timeout(timerDelay(timeoutMs)),
        ...(options.env === undefined ? {} : { env: options.env }),
      })
      : await streamed(programs, command, args, timeoutMs, options.onChunk, options.env);
  } catch (error) {
    throwIfCannotStart(command, error, ": install it or choose another --collector");
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new ToolError(`"${commandLine}" did not finish within ${timeoutMs / 1000} s`, {
        cause: error,
        timedOut: true,
      });
    }
    throw new ToolError(`cannot run "${commandLine}": ${(error as Error).message}`, { cause: error });
  }
  const stdout = decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr).trim();
  if (output.signal !== null) {
    // Killed by its guard, or else by someone else: a stop (lib/cli/stoppable_programs.ts), the OOM killer.
    // "did not finish" (and timedOut) either way: ss_collector.ts tells a dump that failed from one cut short.
    const why = guard?.aborted ? `did not finish within ${timeoutMs / 1000} s` : "did not finish";
    throw new ToolError(`"${commandLine}" ${why} (killed by ${output.signal})`, { timedOut: true });
  }
  if (!okCodes.includes(output.code)) {
    const detail = stderr.split("\n")[0] || "no message";
    throw new ToolError(`"${commandLine}" failed with exit code ${output.code}: ${detail}`);
  }
  return { stdout, stderr, code: output.code };
}
