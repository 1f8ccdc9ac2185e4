/**
 * Campaign class "command lines": every command with its flags given
 * hostile values — empty, blanks, escapes, huge and negative numbers,
 * exponents, hex, unicode. Parsing never throws: it gives a command, or a
 * usage error (exit 2) of one sentence; a number it accepts is exact and in
 * range.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { type CliCommand, parseArgs } from "../../lib/cli/parse_args.ts";
import { campaign } from "./_fuzz.ts";

const NUMBER_FLAGS: [string[], string, (options: Record<string, unknown>) => unknown, number, number][] = [
  [["history"], "--limit", (o) => o.limit, 0, Number.MAX_SAFE_INTEGER],
  [["serve"], "--port", (o) => o.port, 0, 65535],
  [["monitor"], "--port", (o) => o.port, 0, 65535],
  [["monitor"], "--count", (o) => o.count, 1, Number.MAX_SAFE_INTEGER],
  [["monitor"], "--width", (o) => o.width, 20, 500],
  [["snapshot"], "--pid", (o) => o.pid, 1, Number.MAX_SAFE_INTEGER],
  [["serve"], "--max-clients", (o) => o.maxClients, 1, Number.MAX_SAFE_INTEGER],
  [["check", "8.8.8.8"], "--safe-threshold", (o) => o.safeThreshold, 0, 100],
];

function optionsOf(command: CliCommand): Record<string, unknown> | null {
  return "options" in command ? command.options as unknown as Record<string, unknown> : null;
}

Deno.test("fuzz command lines: hostile flag values parse into an exact, in-range number or one usage error", async () => {
  let refused = 0;
  await campaign("command lines/numbers", 600, (fuzz) => {
    const [prefix, flag, read, min, max] = fuzz.pick(NUMBER_FLAGS);
    const value = fuzz.chance(0.3) ? String(min + fuzz.int(Math.min(max - min + 1, 100000))) : fuzz.number();
    const command = parseArgs([...prefix, flag, value]);
    if (command.kind === "print") {
      deepStrictEqual(command.exitCode, 2, command.stderr);
      ok(command.stderr.trimEnd().split("\n").length === 1, command.stderr);
      refused++;
      return;
    }
    const n = read(optionsOf(command) ?? {});
    ok(
      typeof n === "number" && Number.isFinite(n) && n >= min && n <= max,
      `${flag} ${JSON.stringify(value)} → ${n}`,
    );
    if (Number.isInteger(min) && flag !== "--safe-threshold") {
      ok(Number.isSafeInteger(n), `${flag} ${value} → ${n}`);
    }
  });
  ok(refused > 100, `${refused} refused`);
});

Deno.test("fuzz command lines: any argument anywhere parses into a command or a usage error, never an exception", async () => {
  const words = [
    "monitor",
    "snapshot",
    "history",
    "prune",
    "diff",
    "serve",
    "filter",
    "check",
    "blocklist",
    "update",
    "permissions",
    "--format",
    "--db",
    "--store",
    "--since",
    "--risk",
    "--limit",
    "--port",
    "--host",
    "--token",
    "--blocklist",
    "--expect",
    "--filter-file",
    "--geo-path",
    "--env-file",
    "--abuse-url",
    "--duration",
    "--time-unit",
    "--count",
    "--log-dir",
    "--log-format",
    "--dns-server",
    "--fail-on",
    "--older-than",
    "--mirror",
    "--collector",
    "--input",
    "--pid",
    "--proto",
    "--state",
    "--syntax",
    "--remote",
    "--",
    "-t",
    "-w",
    "-o",
  ];
  await campaign("command lines/any", 800, (fuzz) => {
    const argv = Array.from(
      { length: fuzz.int(7) },
      () => (fuzz.chance(0.6) ? fuzz.pick(words) : fuzz.text(10)),
    );
    let command: CliCommand;
    try {
      command = parseArgs(argv);
    } catch (error) {
      throw new Error(
        `parseArgs(${JSON.stringify(argv)}) threw ${error instanceof Error ? error.stack : error}`,
      );
    }
    if (command.kind === "print") {
      ok(command.exitCode === 0 || command.exitCode === 2, JSON.stringify(command));
    }
  });
});
