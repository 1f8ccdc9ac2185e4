import type { CommandIo } from "../../lib/cli/command_io.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

/** `write` and `warn` for a command's io that keep what the command printed, for assertions. */
export function outputRecorder(): {
  write: (text: string) => Promise<void>;
  warn: (line: string) => void;
  stdout: () => string;
  stderr: () => string;
} {
  const out: string[] = [];
  const err: string[] = [];
  return {
    write: (text) => Promise.resolve(void out.push(text)),
    warn: (line) => void err.push(line),
    stdout: () => out.join(""),
    stderr: () => err.join("\n"),
  };
}

/**
 * A command io on the real platform that keeps what the command printed, with
 * `env` as everything its environment holds and `now` as its clock.
 */
export function recordedIo(
  options: { env?: ReadonlyMap<string, string>; now?: () => number } = {},
): { io: CommandIo; stdout: () => string; stderr: () => string } {
  const output = outputRecorder();
  const env = options.env ?? new Map<string, string>();
  const now = options.now ?? Date.now;
  return {
    io: {
      ...denoPlatform(),
      stdout: output.write,
      // One line at a time, as commands write them.
      stderr: (text) => output.warn(text.replace(/\n$/, "")),
      readEnv: (names) => ({
        values: new Map(names.flatMap((name) => env.has(name) ? [[name, env.get(name)!]] : [])),
        denied: [],
      }),
      now: () => new Date(now()),
      onSignals: () => () => {},
    },
    stdout: output.stdout,
    stderr: output.stderr,
  };
}
