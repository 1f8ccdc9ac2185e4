/**
 * conntrail: every TCP/UDP connection on this machine, with its process.
 *
 * This file only parses the command line, runs the chosen command and turns
 * errors into exit codes: 0 done, 1 runtime failure, 2 usage error.
 *
 * @module
 */
import type { CliCommand } from "./lib/cli/program_spec.ts";
import { isVersionRequest, versionText } from "./lib/cli/version.ts";
import { InputError, PermissionError, ToolError, UnusableFileError } from "./lib/model/errors.ts";
import { denoPlatform } from "./lib/platform/deno_platform.ts";
import type { Platform } from "./lib/platform/platform.ts";
import { safeTerminalLines } from "./lib/render/terminal_text.ts";

// Each command's modules are imported when it runs (`import()` of a string literal, which `deno compile`
// still embeds): a run loads, parses and keeps in memory only the module graph of its own command. The
// parser too is imported once the command line asks for more than the version.

/** Where main writes; tests pass their own. */
export type MainIo = Pick<Platform, "stdout" | "stderr">;

function causeChain(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    lines.push(current.stack ?? `${current.name}: ${current.message}`);
    current = current.cause;
  }
  return lines.join("\nCaused by: ") + "\n";
}

/** Run one parsed command on this platform (tests pass a fake one); returns its exit code. */
export async function runCommand(command: CliCommand, platform: Platform): Promise<number> {
  switch (command.kind) {
    case "version":
      await platform.stdout(versionText(platform.runtime));
      return 0;
    case "print":
      if (command.stdout) await platform.stdout(command.stdout);
      if (command.stderr) platform.stderr(command.stderr);
      return command.exitCode;
    case "permissions": {
      const { permissionsForCommand, renderPermissions, runtimeFlagsForCommand } = await import(
        "./lib/cli/permissions_command.ts"
      );
      await platform.stdout(
        renderPermissions(
          permissionsForCommand(command.target, platform),
          command.flagsOnly,
          runtimeFlagsForCommand(command.target),
        ),
      );
      return 0;
    }
    case "monitor": {
      const { runMonitorCommand } = await import("./lib/cli/monitor_command.ts");
      return await runMonitorCommand(command.options, platform);
    }
    case "blocklist-update":
    case "blocklist-list": {
      const { runBlocklistList, runBlocklistUpdate } = await import("./lib/cli/blocklist_command.ts");
      const run = command.kind === "blocklist-update" ? runBlocklistUpdate : runBlocklistList;
      return await run(command.options, platform);
    }
    case "check": {
      const { runCheck } = await import("./lib/cli/check_command.ts");
      return await runCheck(command.options, platform);
    }
    case "snapshot": {
      const { runSnapshot } = await import("./lib/cli/snapshot_command.ts");
      return await runSnapshot(command.options, platform);
    }
    case "serve": {
      const { runServe } = await import("./lib/cli/serve_command.ts");
      return await runServe(command.options, platform);
    }
    case "filter": {
      const { runFilter } = await import("./lib/cli/filter_command.ts");
      return await runFilter(command.options, platform);
    }
    case "history":
    case "history-prune":
    case "diff": {
      const [{ runHistory, runPrune }, { runDiff }] = await Promise.all([
        import("./lib/cli/history_command.ts"),
        import("./lib/cli/diff_command.ts"),
      ]);
      if (command.kind === "history") return await runHistory(command.options, platform);
      if (command.kind === "history-prune") return await runPrune(command.options, platform);
      return await runDiff(command.options, platform);
    }
  }
}

/**
 * Run conntrail with these arguments and return its exit code. Everything
 * for stderr — errors, usage errors echoing what was typed, notes quoting
 * files and servers, `--debug` traces — passes through one safe-text path.
 */
export async function main(args: readonly string[], given?: MainIo): Promise<number> {
  let debug = false;
  // The one platform object of the run: everything below main.ts gets the machine through it.
  const machine = denoPlatform();
  const out = given ?? machine;
  const platform: Platform = {
    ...machine,
    stdout: out.stdout,
    stderr: (text) => out.stderr(safeTerminalLines(text)),
  };
  const io: MainIo = platform;
  try {
    // The version is answered before the parser is loaded.
    if (isVersionRequest(args)) return await runCommand({ kind: "version" }, platform);
    // The parser loads the description of the command the line names, not of every command.
    const { readCommandLine } = await import("./lib/cli/command_line.ts");
    // Help is wrapped to the terminal it is printed on, 80 columns when that is not a terminal.
    const helpWidth = (stream: "stdout" | "stderr") =>
      (stream === "stdout" ? Deno.stdout : Deno.stderr).isTerminal() ? machine.terminal.size().columns : 80;
    const command = await readCommandLine(args, helpWidth);
    debug = command.kind !== "print" && command.kind !== "version" && command.debug;
    return await runCommand(command, platform);
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
