import { deepStrictEqual } from "node:assert/strict";
import {
  safeJsonText,
  safeLineStart,
  safeTerminalLines,
  safeTerminalText,
} from "../../lib/render/terminal_text.ts";
import { csvText } from "../../lib/render/csv_text.ts";
import { plainTable } from "../../lib/render/text_table.ts";
import { runnerCommand, runnerCommands, WORKFLOW_COMMANDS } from "../_github_runner.ts";

Deno.test("safeTerminalText shows the [ of a GitHub workflow command start, whatever the runner would pass over between", () => {
  for (const name of WORKFLOW_COMMANDS) {
    deepStrictEqual(runnerCommand(`x ${name}`) === null, !name.includes("["), name);
    deepStrictEqual(runnerCommand(`[14:30:16] NEW → ${safeTerminalText(name)} (203.0.113.7)`), null, name);
  }
  deepStrictEqual(safeTerminalText("##[add-mask]x"), "##\\x5badd-mask]x");
  deepStrictEqual(safeTerminalText("###["), "###\\x5b");
  deepStrictEqual(safeTerminalText("#\x1b#[x"), "#\\x1b#[x");
  // Every character ICU's collation passes over, between the two # and before the [.
  for (let code = 0; code <= 0x10ffff; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const char = String.fromCodePoint(code);
    const name = `#${char}#${char}[error]x`;
    if (runnerCommand(name) === null) continue;
    deepStrictEqual(runnerCommand(safeTerminalText(name)), null, `U+${code.toString(16)}`);
  }
});

Deno.test("safeTerminalText leaves a # that starts no command as it is", () => {
  for (const text of ["C# [x]", "# [", "#a#[", "issue #12", "a##b", "##]"]) {
    deepStrictEqual(safeTerminalText(text), text);
  }
});

Deno.test("safeTerminalLines breaks a command start on every line of a note", () => {
  deepStrictEqual(
    safeTerminalLines("note: ##[add-mask]a\n  ALERT x (PID 1, /tmp/##[stop-commands]t/x)\n"),
    "note: ##\\x5badd-mask]a\n  ALERT x (PID 1, /tmp/##\\x5bstop-commands]t/x)\n",
  );
});

Deno.test("safeJsonText keeps the JSON value and breaks every command start", () => {
  for (const name of [...WORKFLOW_COMMANDS, "###[", "plain", "C# [x]"]) {
    for (const json of [JSON.stringify({ [name]: name, list: [name] }), JSON.stringify([name], null, 2)]) {
      const safe = safeJsonText(json);
      deepStrictEqual(JSON.parse(safe), JSON.parse(json), name);
      for (const line of safe.split("\n")) deepStrictEqual(runnerCommand(line), null, `${name}: ${line}`);
    }
  }
});

Deno.test("a table or CSV line whose first cell would start a workflow command starts none; IPv6 addresses stay as they are", () => {
  for (const first of ["::warning::forged", "  ::add-mask::x", "\u200b::error ", "::ECHO::on", "::group"]) {
    const table = plainTable(["ADDRESS", "PEER"], [[first, "fe80::1"]]);
    const csv = csvText([[first, "fe80::1"]], ["ip", "peer"]);
    deepStrictEqual(runnerCommands(`${first}   fe80::1`).length, 1, first);
    deepStrictEqual(runnerCommands(table), [], table);
    deepStrictEqual(runnerCommands(csv), [], csv);
  }
  for (const address of ["::1", "::ffff:198.51.100.7", "::", "::warningx"]) {
    deepStrictEqual(safeLineStart(address), address);
  }
});
