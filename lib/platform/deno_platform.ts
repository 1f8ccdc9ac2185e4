/**
 * The real {@linkcode Platform}: Deno's clock, environment, permissions,
 * standard streams, terminal and signals. Only main.ts builds it.
 *
 * @module
 */
import { timerDelay } from "../model/timer_delay.ts";
import type { EnvReading, Platform, TerminalDevice } from "./platform.ts";

const encoder = new TextEncoder();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, timerDelay(ms));
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Read environment variables without ever prompting: a variable Deno does not
 * allow reads as unset and is listed in `denied`.
 */
export function readEnv(names: readonly string[]): EnvReading {
  const values = new Map<string, string>();
  const denied: string[] = [];
  for (const name of names) {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      denied.push(name);
      continue;
    }
    const value = Deno.env.get(name);
    if (value !== undefined) values.set(name, value);
  }
  return { values, denied };
}

async function writeStdout(text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}

/** The process's own terminal: stdout for frames, stdin for raw mode and keys. */
export const processTerminal: TerminalDevice = {
  write(text) {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
  },
  setRaw(on) {
    if (Deno.stdin.isTerminal()) Deno.stdin.setRaw(on, { cbreak: false });
  },
  size() {
    try {
      return Deno.consoleSize();
    } catch {
      return { columns: 80, rows: 24 };
    }
  },
  read(buffer) {
    return Deno.stdin.read(buffer);
  },
};

/**
 * Ctrl+C and SIGTERM end the run cleanly (exports and logs written); a second
 * one exits at once. A resize redraws the dashboard. Returns the detach function.
 */
function onSignals(stop: () => void, redraw: () => void): () => void {
  const attached: [Deno.Signal, () => void][] = [];
  let stopping = false;
  const onStop = () => {
    if (stopping) Deno.exit(130);
    stopping = true;
    stop();
  };
  const signals: [Deno.Signal, () => void][] = Deno.build.os === "windows"
    ? [["SIGINT", onStop], ["SIGBREAK", onStop]]
    : [["SIGINT", onStop], ["SIGTERM", onStop], ["SIGWINCH", redraw]];
  for (const [signal, handler] of signals) {
    try {
      Deno.addSignalListener(signal, handler);
      attached.push([signal, handler]);
    } catch {
      // A platform without this signal: nothing to listen to.
    }
  }
  return () => {
    for (const [signal, handler] of attached) Deno.removeSignalListener(signal, handler);
  };
}

/**
 * The machine this process runs on.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { denoPlatform } from "./deno_platform.ts";
 * const platform = denoPlatform();
 * ok(platform.pid === Deno.pid && platform.os === Deno.build.os);
 * ```
 */
export function denoPlatform(): Platform {
  return {
    os: Deno.build.os,
    pid: Deno.pid,
    now: () => new Date(),
    sleep,
    readEnv,
    mayRead: (path) => Deno.permissions.querySync({ name: "read", path }).state === "granted",
    mayWrite: (path) => Deno.permissions.querySync({ name: "write", path }).state === "granted",
    stdout: writeStdout,
    stdoutIsTerminal: () => Deno.stdout.isTerminal(),
    stderr: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
    terminal: processTerminal,
    onSignals,
  };
}
