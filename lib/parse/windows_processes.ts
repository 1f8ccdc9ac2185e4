import { parse } from "csv-parse/sync";

/**
 * Parse `tasklist /FO CSV /NH`: image name, PID, session, session number, memory.
 *
 * ```text
 * "svchost.exe","1712","Services","0","12,340 K"
 * ```
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseTasklistCsv } from "./windows_processes.ts";
 * deepStrictEqual(parseTasklistCsv('"svchost.exe","1712","Services","0","12,340 K"\r\n').get(1712), "svchost.exe");
 * ```
 */
export function parseTasklistCsv(text: string): Map<number, string> {
  const names = new Map<number, string>();
  // A row the CSV reader cannot read (a process name with a stray quote) is skipped, not fatal.
  const rows: string[][] = parse(text, {
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    bom: true,
  });
  for (const [name, pidText] of rows) {
    if (name && pidText && /^\d+$/.test(pidText)) names.set(Number(pidText), name);
  }
  return names;
}

/**
 * Parse PowerShell `Get-Process -Id … | Select-Object Id,Path | ConvertTo-Csv -NoTypeInformation`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseGetProcessCsv } from "./windows_processes.ts";
 * const csv = '"Id","Path"\r\n"1712","C:\\Windows\\System32\\svchost.exe"\r\n"4",""\r\n';
 * deepStrictEqual(parseGetProcessCsv(csv), new Map([[1712, "C:\\Windows\\System32\\svchost.exe"]]));
 * ```
 */
export function parseGetProcessCsv(text: string): Map<number, string> {
  const paths = new Map<number, string>();
  const rows: Record<string, string>[] = parse(text, {
    columns: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    bom: true,
  });
  for (const row of rows) {
    const pid = row["Id"];
    const path = row["Path"];
    if (pid && /^\d+$/.test(pid) && path) paths.set(Number(pid), path);
  }
  return paths;
}
