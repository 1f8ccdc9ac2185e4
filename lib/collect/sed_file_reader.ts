/**
 * Files printed on request by one `sed` kept running: a live reading's poll reads /proc/net's tables (see
 * `udp_listing.ts`) without starting a program. Deno reads /proc itself only with `--allow-all`, so a program
 * must read them; started once, it costs no start a poll. Measured at 1,000 connections and 100 UDP sockets
 * in a namespace, 200 requests each from Python: the six files through this sed 6.3 ms of CPU a request
 * against 8.4 ms a `cat` of them (2.0 ms for `/bin/true`); the sockstat and UDP files alone 0.25 ms against
 * 3.5 ms. The monitor's own side saves the start too (its main thread waits ~2.8 ms in each spawn).
 *
 * sed is told, for each file, `/<letter>/r <file>`: a line of input holding the file's letter makes it print
 * the file, read anew, at the end of that line's cycle (`r`; `-n` prints nothing else); then `a` prints
 * {@linkcode END_LINE}, which says the request is answered. `-u` makes it read its input a line at a time and
 * flush what it prints. A file that cannot be read prints nothing, as `cat` prints nothing of it.
 *
 * @module
 */
import { ToolError } from "../model/errors.ts";
import { timerDelay } from "../model/timer_delay.ts";
import type { Programs, RunningProgram } from "../platform/platform.ts";
import { throwIfCannotStart } from "./run_tool.ts";

/** The line sed prints after a request's files: no line of /proc/net's tables reads so. */
export const END_LINE = "conntrail: end of files";

/** How long sed may take to print a request's files before it is taken for hung (a hang guard, as a tool's). */
export const REQUEST_TIMEOUT_MS = 10_000;

const END_BYTES = new TextEncoder().encode(`${END_LINE}\n`);
const EMPTY = new Uint8Array(0);

/** The letter that asks for the `index`-th file (a to z). */
function letterOf(index: number): string {
  return String.fromCharCode(97 + index);
}

/**
 * sed's arguments that make it print, for each line it reads, the files whose letters the line holds, in
 * `files`' order, then {@linkcode END_LINE}.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { sedReaderArgs } from "./sed_file_reader.ts";
 * deepStrictEqual(sedReaderArgs(["/proc/net/udp", "/proc/net/udp6"]),
 *   ["-nu", "-e", "/a/r /proc/net/udp", "-e", "/b/r /proc/net/udp6", "-e", "a conntrail: end of files"]);
 * ```
 */
export function sedReaderArgs(files: readonly string[]): string[] {
  if (files.length > 26) throw new RangeError("sed is given 26 files at most");
  const args = ["-nu"];
  files.forEach((file, i) => args.push("-e", `/${letterOf(i)}/r ${file}`));
  args.push("-e", `a ${END_LINE}`);
  return args;
}

function endsWithEnd(bytes: Uint8Array): boolean {
  if (bytes.length < END_BYTES.length) return false;
  const from = bytes.length - END_BYTES.length;
  for (let i = 0; i < END_BYTES.length; i++) if (bytes[from + i] !== END_BYTES[i]) return false;
  return true;
}

/**
 * A request's output handed on up to its end line, which is not: the last bytes, which may be the end line's
 * start, are held back until the next chunk tells.
 */
export class UpToEndLine {
  readonly #onChunk: (chunk: Uint8Array) => void;
  #held: Uint8Array = EMPTY;
  /** Whether any byte was handed on. */
  handedOn = false;

  constructor(onChunk: (chunk: Uint8Array) => void) {
    this.#onChunk = onChunk;
  }

  /** Hand on a chunk (valid only during the call); true once the output has ended with the end line. */
  push(chunk: Uint8Array): boolean {
    let data = chunk;
    if (this.#held.length > 0) {
      // A chunk at least as long as the end line holds the whole end line if it ends with it.
      if (chunk.length >= END_BYTES.length) this.#hand(this.#held);
      else data = joined(this.#held, chunk);
      this.#held = EMPTY;
    }
    if (endsWithEnd(data)) {
      if (data.length > END_BYTES.length) this.#hand(data.subarray(0, data.length - END_BYTES.length));
      return true;
    }
    const keep = Math.min(END_BYTES.length - 1, data.length);
    if (data.length > keep) this.#hand(data.subarray(0, data.length - keep));
    this.#held = data.slice(data.length - keep);
    return false;
  }

  #hand(bytes: Uint8Array): void {
    this.handedOn = true;
    this.#onChunk(bytes);
  }
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Bytes read at once: a pipe holds 64 KiB. */
const READ_BUFFER = 64 * 1024;

/** A failed request to {@linkcode SedFileReader}. */
export class SedReadError extends ToolError {
  /** Whether any of the files' bytes had been handed on before it failed. */
  readonly handedOn: boolean;
  constructor(message: string, handedOn: boolean, options: ErrorOptions & { timedOut?: boolean }) {
    super(message, options);
    this.handedOn = handedOn;
  }
}

/** The running sed and the ends of its pipes this reader holds. */
interface Kept {
  child: RunningProgram;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  reader: ReadableStreamBYOBReader;
  /** Its standard error so far (its first line says why it ended). */
  errors: { text: string };
  /** Ends when its standard error does. */
  errorsRead: Promise<void>;
}

/**
 * `files` printed on request by one `sed` (see the module's text), started at the first request. A request
 * that fails (sed cannot start, ended, did not answer within {@linkcode REQUEST_TIMEOUT_MS}) throws a
 * {@linkcode SedReadError} and ends this sed: the next request starts another.
 */
export class SedFileReader {
  readonly #programs: Programs;
  readonly #files: readonly string[];
  readonly #args: string[];
  readonly #timeoutMs: number;
  #kept: Kept | null = null;
  #buffer = new ArrayBuffer(READ_BUFFER);

  constructor(programs: Programs, files: readonly string[], options: { timeoutMs?: number } = {}) {
    this.#programs = programs;
    this.#files = files;
    this.#args = sedReaderArgs(files);
    this.#timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /** The letters that ask for `files`, which must be among this reader's, in the same order. */
  #request(files: readonly string[]): Uint8Array {
    let letters = "";
    let from = 0;
    for (const file of files) {
      const index = this.#files.indexOf(file, from);
      if (index < 0) throw new RangeError(`${file} is not among the files this sed prints, in their order`);
      letters += letterOf(index);
      from = index + 1;
    }
    return new TextEncoder().encode(`${letters}\n`);
  }

  #start(): Kept {
    let child: RunningProgram;
    try {
      child = this.#programs.spawn("sed", this.#args, { input: true });
    } catch (error) {
      throwIfCannotStart("sed", error);
      throw new ToolError(`cannot run "sed": ${(error as Error).message}`, { cause: error });
    }
    if (child.stdin === undefined) throw new ToolError(`"sed" was started without its input`);
    const errors = { text: "" };
    const errorsRead = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        if (errors.text.length < 1000) errors.text += chunk;
      }
    })().catch(() => {});
    child.status.catch(() => {});
    const writer = child.stdin.getWriter();
    return { child, writer, reader: child.stdout.getReader({ mode: "byob" }), errors, errorsRead };
  }

  /**
   * Print `files` (among this reader's, in the same order) into `onChunk`, chunk by chunk (a chunk is valid
   * only during the call). On a failure, `handedOn` says whether any of their bytes had been handed on.
   */
  async read(files: readonly string[], onChunk: (chunk: Uint8Array) => void): Promise<void> {
    const request = this.#request(files);
    let kept: Kept;
    try {
      kept = this.#kept ??= this.#start();
    } catch (error) {
      // As a sed that ended at once: a caller falls back alike (not a missing collector's ToolError, nor a
      // permission the run lacks: sed is optional).
      throw new SedReadError((error as Error).message, false, { cause: error });
    }
    // A read that failed (the pipe's error, a cancel while it waited) kept the buffer it was given.
    if (this.#buffer.detached) this.#buffer = new ArrayBuffer(READ_BUFFER);
    const output = new UpToEndLine(onChunk);
    let timedOut = false;
    const guard = AbortSignal.timeout(timerDelay(this.#timeoutMs));
    const onTimeout = () => {
      timedOut = true;
      kill(kept.child);
    };
    guard.addEventListener("abort", onTimeout);
    try {
      await kept.writer.write(request);
      while (true) {
        const { value, done } = await kept.reader.read(new Uint8Array(this.#buffer));
        if (value !== undefined) this.#buffer = value.buffer as ArrayBuffer;
        if (done) break;
        if (output.push(value)) return;
      }
      throw new Error("it ended");
    } catch (error) {
      this.#end(kept);
      const why = timedOut
        ? `did not print them within ${this.#timeoutMs / 1000} s`
        : `ended before it printed them (${kept.errors.text.split("\n")[0] || (error as Error).message})`;
      throw new SedReadError(`"sed" reading ${files.join(" ")} ${why}`, output.handedOn, {
        cause: error,
        timedOut,
      });
    } finally {
      guard.removeEventListener("abort", onTimeout);
    }
  }

  #end(kept: Kept): void {
    if (this.#kept === kept) this.#kept = null;
    kill(kept.child);
    kept.writer.close().catch(() => {});
    kept.reader.cancel().catch(() => {});
  }

  /** End the sed, if one runs, and wait for it. */
  async close(): Promise<void> {
    const kept = this.#kept;
    if (kept === null) return;
    this.#end(kept);
    await Promise.allSettled([kept.child.status, kept.errorsRead]);
  }
}

function kill(child: RunningProgram): void {
  try {
    child.kill("SIGKILL");
  } catch {
    // It has exited already.
  }
}
