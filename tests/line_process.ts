/**
 * A child process a test talks to line by line: its stdout and stderr read as
 * they come ({@linkcode Lines}: the test waits for the line it needs, never
 * for a time), a way to write to its stdin, and a stop that waits for it.
 *
 * @module
 */
import { Lines } from "./waiting.ts";

/** A running process and its lines so far. */
export interface LineProcess {
  stdout: Lines;
  stderr: Lines;
  /** Write a line to its stdin. */
  send(line: string): Promise<void>;
  /** SIGTERM (unless it has exited), close its stdin, wait: its exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/** Spawn `command` with piped stdin, stdout and stderr. */
export function spawnLines(command: readonly string[], env: Record<string, string> = {}): LineProcess {
  const [program = "", ...args] = command;
  const child = new Deno.Command(program, { args, env, stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  const stdout = new Lines(child.stdout);
  const stderr = new Lines(child.stderr);
  let ended = false;
  const status = child.status.then(async (s) => {
    ended = true;
    await Promise.all([stdout.done, stderr.done]);
    return s;
  });
  const writer = child.stdin.getWriter();
  let stdinClosed = false;
  return {
    stdout,
    stderr,
    async send(line) {
      await writer.write(new TextEncoder().encode(line + "\n"));
    },
    async stop(signal = "SIGTERM") {
      if (!ended) {
        try {
          child.kill(signal);
        } catch {
          // It has just exited.
        }
      }
      if (!stdinClosed) {
        stdinClosed = true;
        await writer.close().catch(() => {});
      }
      return (await status).code;
    },
  };
}
