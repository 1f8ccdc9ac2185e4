/**
 * A long-running conntrail child for end-to-end tests, read line by line: a
 * test waits for a line on stdout or stderr (an event), never for time.
 */
import { fileURLToPath } from "node:url";
import { HANG_GUARD_MS } from "./waiting.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** A running conntrail process. */
export interface LiveProcess {
  pid: number;
  stdout: string[];
  stderr: string[];
  /**
   * Wait for a stdout line that `test` accepts; fails after `ms` (the hang guard unless told) showing what
   * was printed.
   */
  waitForStdout(test: (line: string) => boolean, what: string, ms?: number): Promise<string>;
  /** Wait for a stderr line matching `pattern`. */
  waitForStderr(pattern: RegExp, ms?: number): Promise<string>;
  /** SIGTERM (a clean stop: exports, logs and sinks flushed), then the exit code. */
  stop(): Promise<number>;
}

function lines(stream: ReadableStream<Uint8Array>, into: string[], onLine: () => void): Promise<void> {
  return (async () => {
    let partial = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      partial += chunk;
      const cut = partial.lastIndexOf("\n");
      if (cut < 0) continue;
      into.push(...partial.slice(0, cut).split("\n"));
      partial = partial.slice(cut + 1);
      onLine();
    }
    if (partial !== "") into.push(partial);
    onLine();
  })();
}

/** Start `deno run FLAGS main.ts ARGS` with NO_COLOR and the given environment. */
export function startConntrail(
  flags: readonly string[],
  args: readonly string[],
  env: Record<string, string> = {},
): LiveProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...flags, MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  let ended = false;
  const reading = Promise.all([lines(child.stdout, stdout, wake), lines(child.stderr, stderr, wake)]).then(
    () => {
      ended = true;
      wake();
    },
  );
  const tail = () => `${stdout.slice(-20).join("\n")}\n--\n${stderr.slice(-20).join("\n")}`;
  const waitFor = (where: string[], test: (line: string) => boolean, what: string, ms: number) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(`never printed ${what} within ${ms} ms; the last lines:\n${tail()}`),
        );
      }, ms);
      const check = () => {
        const found = where.find(test);
        if (found !== undefined) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        } else if (ended) {
          clearTimeout(timer);
          waiters.delete(check);
          reject(new Error(`ended before printing ${what}; the last lines:\n${tail()}`));
        }
      };
      waiters.add(check);
      check();
    });
  return {
    pid: child.pid,
    stdout,
    stderr,
    waitForStdout: (test, what, ms = HANG_GUARD_MS) => waitFor(stdout, test, what, ms),
    waitForStderr: (pattern, ms = HANG_GUARD_MS) =>
      waitFor(stderr, (line) => pattern.test(line), String(pattern), ms),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const status = await child.status;
      await reading;
      return status.code;
    },
  };
}
