/**
 * Which lines of a job log the GitHub Actions runner acts on as workflow
 * commands, as actions/runner reads them (src/Runner.Common/ActionCommand.cs:
 * `TryParseV2`, a line that starts with `::` after leading spaces, and
 * `TryParse`, `##[` anywhere in the line). The runner searches with .NET's
 * culture-sensitive string functions, which under ICU pass over what
 * collation ignores; this asks ICU's collator (Intl.Collator) which
 * characters those are, apart from conntrail's own list, and drops them
 * before looking: it sees a command wherever the runner could, and a few
 * where the runner's index arithmetic would miss one.
 */

/** The commands the runner knows (`ActionCommandManager` and its extensions). */
const COMMANDS = new Set([
  "stop-commands",
  "set-env",
  "set-output",
  "save-state",
  "add-mask",
  "add-path",
  "debug",
  "warning",
  "error",
  "notice",
  "add-matcher",
  "remove-matcher",
  "echo",
  "group",
  "endgroup",
]);

const collator = new Intl.Collator("en", { usage: "search", sensitivity: "variant" });
const ignorable = new Map<string, boolean>();

/** The line without the characters collation ignores, as the runner's search sees it. */
function asSearched(line: string): string {
  let out = "";
  for (const char of line) {
    let skip = ignorable.get(char);
    if (skip === undefined) {
      skip = collator.compare(`#${char}#[`, "##[") === 0;
      ignorable.set(char, skip);
    }
    if (!skip) out += char;
  }
  return out;
}

/** The command the runner would run for this line of a log, or null. */
export function runnerCommand(line: string): string | null {
  const seen = asSearched(line);
  const v2 = seen.trimStart();
  if (v2.startsWith("::")) {
    const end = v2.indexOf("::", 2);
    const name = end < 0 ? "" : v2.slice(2, end).split(" ")[0]!.toLowerCase();
    if (COMMANDS.has(name)) return name;
  }
  const at = seen.indexOf("##[");
  if (at < 0) return null;
  const close = seen.indexOf("]", at);
  if (close < 0) return null;
  const name = seen.slice(at + 3, close).split(" ")[0]!.toLowerCase();
  return COMMANDS.has(name) ? name : null;
}

/** Every line of a text (split as the runner splits a process's output) that acts as a command. */
export function runnerCommands(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => runnerCommand(line) !== null);
}

/** Names and paths that would act as commands in a job log, with what the runner passes over between. */
export const WORKFLOW_COMMANDS = [
  "##[stop-commands]c2.evil.example",
  "##[add-mask]x",
  "#\u200b#[set-output name=ok;]1",
  "#\u00ad#\u034f[error]forged",
  "::warning::forged",
] as const;
