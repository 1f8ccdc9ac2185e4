/**
 * `conntrail serve` as a child process for end-to-end tests: spawned with
 * exactly the flags `conntrail permissions --flags serve …` prints, in a data
 * directory of the test's own; the printed address is read back.
 */
import { fileURLToPath } from "node:url";
import { COMMAND_V8_FLAGS } from "../lib/cli/permissions.ts";
import { Lines } from "./waiting.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const decoder = new TextDecoder();

/** A running `conntrail serve`. */
export interface ServeProcess {
  /** The process started (through a prefix, the prefix's command). */
  child: Deno.ChildProcess;
  /** The address it printed, token included when there is one. */
  url: URL;
  /** `http://127.0.0.1:PORT`, whatever address it listens on. */
  origin: string;
  token: string | null;
  /** Stop it with SIGTERM and wait: its exit code and output. */
  stop(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** The flags `permissions --flags` prints for a command line (with these extra variables set). */
export async function permissionFlags(
  dataHome: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      `--allow-env=XDG_DATA_HOME,HOME${Object.keys(env).map((name) => `,${name}`).join("")}`,
      // As `permissions` itself runs: one V8 flag hash for every command, one code cache entry per module.
      COMMAND_V8_FLAGS,
      MAIN,
      "permissions",
      "--flags",
      ...args,
    ],
    env: { XDG_DATA_HOME: dataHome, ...env },
  }).output();
  const flags = decoder.decode(output.stdout).trim().split(" ").filter((flag) => flag !== "");
  if (flags.length === 0) throw new Error(`permissions printed no flags for ${args.join(" ")}`);
  return flags;
}

/** Run a conntrail command to its end under its printed flags (with these extra variables set). */
export async function runConntrail(
  dataHome: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...await permissionFlags(dataHome, args, env), MAIN, ...args],
    env: { XDG_DATA_HOME: dataHome, NO_COLOR: "1", ...env },
  }).output();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** A conntrail command running as a child process, its output read as it comes. */
export interface RunningConntrail {
  pid: number;
  stdout: Lines;
  stderr: Lines;
  kill(signal: Deno.Signal): void;
  /** Wait for it to end: its exit code (or the signal that ended it) and everything it printed. */
  finished(): Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }>;
  /** SIGTERM (the way Ctrl+C or a service manager stops it), then {@linkcode RunningConntrail.finished}. */
  stop(): Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }>;
}

/**
 * Start a conntrail command under the flags `permissions --flags` prints for
 * it (or `options.flags`), with XDG_DATA_HOME set to `dataHome` when given,
 * and `options.env` added to its environment.
 */
export async function spawnConntrail(
  args: readonly string[],
  options: { dataHome?: string; flags?: readonly string[]; env?: Record<string, string> } = {},
): Promise<RunningConntrail> {
  const dataHome = options.dataHome;
  const flags = options.flags ?? await permissionFlags(dataHome ?? "/nonexistent", args);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", ...flags, MAIN, ...args],
    env: { NO_COLOR: "1", ...(dataHome === undefined ? {} : { XDG_DATA_HOME: dataHome }), ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Lines(child.stdout);
  const stderr = new Lines(child.stderr);
  const finished = async () => {
    const status = await child.status;
    await Promise.all([stdout.done, stderr.done]);
    return { code: status.code, signal: status.signal, stdout: stdout.text, stderr: stderr.text };
  };
  return {
    pid: child.pid,
    stdout,
    stderr,
    kill: (signal) => {
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
    },
    finished,
    stop: () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      return finished();
    },
  };
}

/**
 * Start `conntrail serve --port 0 …` and wait for the address it prints;
 * `prefix` runs it through another command (`ip netns exec NAME`), and
 * `signal` stops it through that command (tests/netns.ts).
 */
export async function startServe(
  dataHome: string,
  args: readonly string[],
  options: { prefix?: string[]; signal?: (child: Deno.ChildProcess, signal: Deno.Signal) => Promise<void> } =
    {},
): Promise<ServeProcess> {
  const full = ["serve", "--port", "0", ...args];
  const [command, ...prefixArgs] = [...(options.prefix ?? []), Deno.execPath()];
  const child = new Deno.Command(command!, {
    args: [
      ...prefixArgs,
      "run",
      "--quiet",
      "--no-prompt",
      ...await permissionFlags(dataHome, full),
      MAIN,
      ...full,
    ],
    env: { XDG_DATA_HOME: dataHome, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  while (!stdout.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) {
      const status = await child.status;
      throw new Error(`serve exited with ${status.code} before listening: ${stdout}${await stderrText}`);
    }
    stdout += value;
  }
  const printed = stdout.match(/serving on (\S+)/)?.[1];
  if (printed === undefined) throw new Error(`serve printed no address: ${stdout}`);
  const url = new URL(printed);
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      stdout += value;
    }
  })();
  return {
    child,
    url,
    origin: `http://127.0.0.1:${url.port}`,
    token: url.searchParams.get("token"),
    async stop() {
      try {
        if (options.signal === undefined) child.kill("SIGTERM");
        else await options.signal(child, "SIGTERM");
      } catch {
        // Already gone.
      }
      const status = await child.status;
      await rest;
      return { code: status.code, stdout, stderr: await stderrText };
    },
  };
}
