/**
 * conntrail: every TCP/UDP connection on this machine, with its process.
 *
 * This file only parses the command line, runs the chosen command and turns
 * errors into exit codes: 0 done, 1 runtime failure, 2 usage error.
 *
 * @module
 */
import { type CliCommand, parseArgs } from "./lib/cli/parse_args.ts";
import { InputError, PermissionError, ToolError, UnusableFileError } from "./lib/model/errors.ts";
import { safeTerminalLines } from "./lib/render/terminal_text.ts";
import { timerDelay } from "./lib/model/timer_delay.ts";

// Each command's modules are imported when it runs (`import()` of a string literal, which `deno compile`
// still embeds): a run loads, parses and keeps in memory only the module graph of its own command.

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
    case "permissions": {
      const { permissionsForCommand, renderPermissions, runtimeFlagsForCommand } = await import(
        "./lib/cli/permissions_command.ts"
      );
      await io.stdout(
        renderPermissions(
          permissionsForCommand(command.target, Deno.build.os),
          command.flagsOnly,
          runtimeFlagsForCommand(command.target),
        ),
      );
      return 0;
    }
    case "monitor": {
      const [
        { runMonitorCommand },
        { createCollector },
        { monitorEnv, readPermittedEnv },
        { processTerminal },
      ] = await Promise.all([
        import("./lib/cli/monitor_command.ts"),
        import("./lib/collect/create_collector.ts"),
        import("./lib/cli/environment.ts"),
        import("./lib/render/terminal.ts"),
      ]);
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
    }
    case "blocklist-update":
    case "blocklist-list": {
      const [{ runBlocklistList, runBlocklistUpdate }, { readPermittedEnv }, { DATA_DIR_ENV }] = await Promise
        .all([
          import("./lib/cli/blocklist_command.ts"),
          import("./lib/cli/environment.ts"),
          import("./lib/store/data_dir.ts"),
        ]);
      return await (command.kind === "blocklist-update" ? runBlocklistUpdate : runBlocklistList)(
        command.options,
        {
          write: io.stdout,
          warn: (line) => io.stderr(line + "\n"),
          env: readPermittedEnv(DATA_DIR_ENV).values,
          os: Deno.build.os,
        },
      );
    }
    case "check": {
      const [{ runCheck }, { readPermittedEnv }, { REPUTATION_ENV }] = await Promise.all([
        import("./lib/cli/check_command.ts"),
        import("./lib/cli/environment.ts"),
        import("./lib/cli/reputation_config.ts"),
      ]);
      return await runCheck(command.options, {
        write: io.stdout,
        warn: (line) => io.stderr(line + "\n"),
        env: readPermittedEnv(REPUTATION_ENV).values,
        now: Date.now,
      });
    }
    case "snapshot": {
      const [{ runSnapshot }, { createCollector }, { historyEnv, readPermittedEnv }] = await Promise.all([
        import("./lib/cli/snapshot_command.ts"),
        import("./lib/collect/create_collector.ts"),
        import("./lib/cli/environment.ts"),
      ]);
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
    }
    case "serve": {
      const [{ runServe }, { createCollector }, { monitorEnv, readPermittedEnv }] = await Promise.all([
        import("./lib/cli/serve_command.ts"),
        import("./lib/collect/create_collector.ts"),
        import("./lib/cli/environment.ts"),
      ]);
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
    }
    case "filter": {
      const [{ runFilter }, { createCollector }] = await Promise.all([
        import("./lib/cli/filter_command.ts"),
        import("./lib/collect/create_collector.ts"),
      ]);
      return await runFilter(command.options, {
        collector: createCollector(command.options.collector, { input: command.options.input }),
        now: () => new Date(),
        write: io.stdout,
        warn: (line) => io.stderr(line + "\n"),
      });
    }
    case "history":
    case "history-prune":
    case "diff": {
      const [{ runHistory, runPrune }, { runDiff }, { historyEnv, readPermittedEnv }] = await Promise.all([
        import("./lib/cli/history_command.ts"),
        import("./lib/cli/diff_command.ts"),
        import("./lib/cli/environment.ts"),
      ]);
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
