import { ToolError } from "../model/errors.ts";
import { throwIfCannotStart } from "./run_tool.ts";
import { timerDelay } from "../model/timer_delay.ts";
import type { Programs, RunningProgram } from "../platform/platform.ts";

/** How a long-running tool's output is handed over. */
export interface ToolStreamOptions {
  /** Each line of stdout, without its newline, as it arrives. */
  onLine: (line: string) => void;
  /** Each line of stderr. */
  onErrorLine?: (line: string) => void;
  /** Extra environment variables for the tool. */
  env?: Record<string, string>;
}

/** A running tool whose output is read line by line. */
export interface ToolStream {
  /** Resolves when the tool has exited and its output has been read to the end. */
  readonly exited: Promise<{ code: number; signal: string | null }>;
  /** Stop the tool (SIGTERM) and wait for it. Safe to call more than once. */
  close(): Promise<void>;
}

/** The signature trace and DNS sources take, so that tests can inject a scripted tool. */
export type StreamTool = (command: string, args: readonly string[], options: ToolStreamOptions) => ToolStream;

/** How long a tool may take to stop after SIGTERM before it is killed. */
const KILL_AFTER_MS = 5_000;

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      onLine(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  if (pending !== "") onLine(pending);
}

/**
 * Start a tool that keeps running (`bpftrace`, `ss -E`, `tcpdump`) and hand
 * its output over one line at a time, as it comes. The tool must write its
 * lines as they happen (line-buffered): the caller chooses the flags that
 * make it so. A missing tool and a missing `--allow-run` throw at once, as
 * {@linkcode ToolError} and {@linkcode PermissionError}.
 *
 * @example
 * ```ts ignore
 * const tool = toolStreamer(platform.programs)("tcpdump", ["-l", "-n", "src port 53"], { onLine: console.log });
 * await tool.close();
 * ```
 */
export function toolStreamer(programs: Programs): StreamTool {
  return (command, args, options) => streamTool(programs, command, args, options);
}

function streamTool(
  programs: Programs,
  command: string,
  args: readonly string[],
  options: ToolStreamOptions,
): ToolStream {
  let child: RunningProgram;
  try {
    child = programs.spawn(command, args, options.env === undefined ? {} : { env: options.env });
  } catch (error) {
    throwIfCannotStart(command, error);
    throw new ToolError(`cannot run "${command}": ${(error as Error).message}`, { cause: error });
  }
  const reading = Promise.all([
    readLines(child.stdout, options.onLine),
    readLines(child.stderr, options.onErrorLine ?? (() => {})),
  ]);
  const exited = (async () => {
    const status = await child.status;
    await reading.catch(() => {});
    return { code: status.code, signal: status.signal };
  })();
  let closing: Promise<void> | null = null;
  return {
    exited,
    close: () => {
      closing ??= (async () => {
        const signal = (name: "SIGTERM" | "SIGKILL") => {
          try {
            child.kill(name);
          } catch {
            // It has exited already.
          }
        };
        signal("SIGTERM");
        // A tool that does not stop within a few seconds is killed.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          exited,
          new Promise((resolve) => (timer = setTimeout(resolve, timerDelay(KILL_AFTER_MS)))),
        ]);
        clearTimeout(timer);
        signal("SIGKILL");
        await exited;
      })();
      return closing;
    },
  };
}
