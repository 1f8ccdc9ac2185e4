/**
 * conntrail: every TCP/UDP connection on this machine, with its process.
 *
 * This file only parses the command line, runs the chosen command and turns
 * errors into exit codes: 0 done, 1 runtime failure, 2 usage error.
 *
 * @module
 */
import { createCollector } from "./lib/collect/create_collector.ts";
import { type CliCommand, parseArgs } from "./lib/cli/parse_args.ts";
import { historyEnv, monitorEnv, readPermittedEnv } from "./lib/cli/environment.ts";
import { runHistory, runPrune } from "./lib/cli/history_command.ts";
import { runDiff } from "./lib/cli/diff_command.ts";
import { runMonitorCommand } from "./lib/cli/monitor_command.ts";
import {
  permissionsForCommand,
  renderPermissions,
  runtimeFlagsForCommand,
} from "./lib/cli/permissions_command.ts";
import { runSnapshot } from "./lib/cli/snapshot_command.ts";
import { runServe } from "./lib/cli/serve_command.ts";
import { runFilter } from "./lib/cli/filter_command.ts";
import { runCheck } from "./lib/cli/check_command.ts";
import { runBlocklistList, runBlocklistUpdate } from "./lib/cli/blocklist_command.ts";
import { DATA_DIR_ENV } from "./lib/store/data_dir.ts";
import { REPUTATION_ENV } from "./lib/cli/reputation_config.ts";
import { InputError, PermissionError, ToolError, UnusableFileError } from "./lib/model/errors.ts";
import { processTerminal } from "./lib/render/terminal.ts";
import { safeTerminalLines } from "./lib/render/terminal_text.ts";
import { timerDelay } from "./lib/model/timer_delay.ts";

/** Where main writes; tests pass their own. */
export interface MainIo {
  stdout: (text: string) => Promise<void>;
  stderr: (text: string) => void;
}

const encoder = new TextEncoder();

async function writeStdout(text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}

const defaultIo: MainIo = {
  stdout: writeStdout,
  stderr: (text) => Deno.stderr.writeSync(encoder.encode(text)),
};

function causeChain(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    lines.push(current.stack ?? `${current.name}: ${current.message}`);
    current = current.cause;
  }
  return lines.join("\nCaused by: ") + "\n";
}

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
 * Ctrl+C and SIGTERM end the run cleanly (exports and logs written); a second
 * one exits at once. A resize redraws the dashboard. Returns the detach function.
 */
function attachSignals(stop: () => void, redraw: () => void): () => void {
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

async function runCommand(command: CliCommand, io: MainIo): Promise<number> {
  switch (command.kind) {
    case "print":
      if (command.stdout) await io.stdout(command.stdout);
      if (command.stderr) io.stderr(command.stderr);
      return command.exitCode;
    case "permissions":
      await io.stdout(
        renderPermissions(
          permissionsForCommand(command.target, Deno.build.os),
          command.flagsOnly,
          runtimeFlagsForCommand(command.target),
        ),
      );
      return 0;
    case "monitor":
      return await runMonitorCommand(command.options, {
        collector: createCollector(command.options.collector, { traffic: command.options.traffic }),
        now: () => new Date(),
        sleep,
        stdoutIsTerminal: Deno.stdout.isTerminal(),
        write: io.stdout,
        warn: (line) => io.stderr(line + "\n"),
        env: readPermittedEnv(monitorEnv(Deno.build.os)),
        terminal: processTerminal,
        onStart: attachSignals,
        pid: Deno.pid,
      });
    case "blocklist-update":
    case "blocklist-list":
      return await (command.kind === "blocklist-update" ? runBlocklistUpdate : runBlocklistList)(
        command.options,
        {
          write: io.stdout,
          warn: (line) => io.stderr(line + "\n"),
          env: readPermittedEnv(DATA_DIR_ENV).values,
          os: Deno.build.os,
        },
      );
    case "check":
      return await runCheck(command.options, {
        write: io.stdout,
        warn: (line) => io.stderr(line + "\n"),
        env: readPermittedEnv(REPUTATION_ENV).values,
        now: Date.now,
      });
    case "snapshot":
      return await runSnapshot(command.options, {
        collector: createCollector(command.options.collector, {
          input: command.options.input,
          traffic: command.options.traffic,
        }),
        now: () => new Date(),
        write: io.stdout,
        warn: (line) => io.stderr(line + "\n"),
        env: readPermittedEnv(historyEnv(Deno.build.os)).values,
      });
    case "serve":
      return await runServe(command.options, {
        collector: createCollector(command.options.collector, { traffic: command.options.traffic }),
        now: () => new Date(),
        sleep,
        write: io.stdout,
        warn: (line) => io.stderr(line + "\n"),
        env: readPermittedEnv(monitorEnv(Deno.build.os)),
        onStart: attachSignals,
        pid: Deno.pid,
      });
    case "filter":
      return await runFilter(command.options, {
        collector: createCollector(command.options.collector, { input: command.options.input }),
        now: () => new Date(),
        write: io.stdout,
        warn: (line) => io.stderr(line + "\n"),
      });
    case "history":
    case "history-prune":
    case "diff": {
      const historyIo = {
        write: io.stdout,
        warn: (line: string) => io.stderr(line + "\n"),
        env: readPermittedEnv(historyEnv(Deno.build.os)).values,
        now: Date.now,
      };
      if (command.kind === "history") return await runHistory(command.options, historyIo);
      if (command.kind === "history-prune") return await runPrune(command.options, historyIo);
      return await runDiff(command.options, historyIo);
    }
  }
}

/**
 * Run conntrail with these arguments and return its exit code. Everything
 * for stderr — errors, usage errors echoing what was typed, notes quoting
 * files and servers, `--debug` traces — passes through one safe-text path.
 */
export async function main(args: readonly string[], given: MainIo = defaultIo): Promise<number> {
  const debug = args.includes("--debug");
  const io: MainIo = { stdout: given.stdout, stderr: (text) => given.stderr(safeTerminalLines(text)) };
  try {
    return await runCommand(parseArgs(args), io);
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) return 0; // `conntrail snapshot | head`
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`error: ${message}\n`);
    if (debug) io.stderr(causeChain(error));
    if (error instanceof InputError) return 2;
    if (
      !(error instanceof PermissionError || error instanceof ToolError ||
        error instanceof UnusableFileError) &&
      !debug
    ) {
      io.stderr("(run again with --debug for details)\n");
    }
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
