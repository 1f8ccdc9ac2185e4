/**
 * The one source of conntrail's Deno permission flags: `conntrail permissions`,
 * the `start` task, the compile script and the README's table all come from
 * here, so what a user reads is what the tool asks for.
 *
 * @module
 */
import type { CollectorName } from "./collect/collector.ts";
import { autoCollectorOrder } from "./collect/create_collector.ts";

/** One permission, and why conntrail needs it. */
export interface PermissionNeed {
  /** A Deno flag: `--allow-run=ss`, `--allow-read=/etc/passwd`, `--allow-all`. */
  flag: string;
  why: string;
  /** True when the work runs without it and only leaves something out (and says so). */
  optional: boolean;
}

type Os = typeof Deno.build.os;

/** What the collectors need on an OS, for one collector name. */
export function collectorPermissions(collector: CollectorName, os: Os, input?: string): PermissionNeed[] {
  if (input !== undefined) {
    return input === "-"
      ? []
      : [{ flag: `--allow-read=${input}`, why: `read the saved output "${input}"`, optional: false }];
  }
  const name = collector === "auto" ? autoCollectorOrder(os)[0] ?? "netstat" : collector;
  const needs: PermissionNeed[] = [];
  const tool = (program: string, why: string, optional = false) =>
    needs.push({ flag: `--allow-run=${program}`, why, optional });
  if (name === "proc") {
    needs.push({
      flag: "--allow-all",
      why: "read /proc/net and /proc/<pid>/fd directly (Deno grants /proc only with --allow-all)",
      optional: false,
    });
    return needs;
  }
  if (name === "ss") tool("ss", "list TCP and UDP sockets with `ss -tunapeH`");
  if (name === "netstat") tool("netstat", "list TCP and UDP sockets with `netstat`");
  if (name === "lsof") tool("lsof", "list TCP and UDP sockets with `lsof -F`");
  if (os === "linux") {
    tool("find", "read process paths from /proc/<pid>/exe", true);
    needs.push({ flag: "--allow-read=/etc/passwd", why: "show user names instead of uids", optional: true });
  } else if (os === "darwin") {
    tool("ps", "read process paths (`ps -o comm`)", true);
  } else if (os === "windows") {
    tool("tasklist", "name the processes that own sockets");
    tool("powershell", "read process paths (Get-Process)", true);
  }
  return needs;
}

/**
 * Merge needs into Deno flags: one `--allow-run=a,b`, one `--allow-read=x,y`
 * and so on, in a stable order; `--allow-all` alone when it is needed.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { denoFlags } from "./permissions.ts";
 * deepStrictEqual(denoFlags([
 *   { flag: "--allow-run=ss", why: "", optional: false },
 *   { flag: "--allow-run=find", why: "", optional: true },
 *   { flag: "--allow-read=/etc/passwd", why: "", optional: true },
 * ]), ["--allow-read=/etc/passwd", "--allow-run=ss,find"]);
 * ```
 */
export function denoFlags(needs: readonly PermissionNeed[]): string[] {
  if (needs.some((n) => n.flag === "--allow-all")) return ["--allow-all"];
  const byKind = new Map<string, string[]>();
  for (const { flag } of needs) {
    const [kind = flag, value] = flag.split("=", 2);
    const values = byKind.get(kind) ?? [];
    if (value !== undefined && !values.includes(value)) values.push(value);
    byKind.set(kind, values);
  }
  return [...byKind.keys()].sort().map((kind) => {
    const values = byKind.get(kind) ?? [];
    return values.length > 0 ? `${kind}=${values.join(",")}` : kind;
  });
}

/** The compile targets of the release, with the OS each runs on. */
export const COMPILE_TARGETS: readonly { target: string; os: Os }[] = [
  { target: "x86_64-unknown-linux-gnu", os: "linux" },
  { target: "aarch64-unknown-linux-gnu", os: "linux" },
  { target: "x86_64-apple-darwin", os: "darwin" },
  { target: "aarch64-apple-darwin", os: "darwin" },
  { target: "x86_64-pc-windows-msvc", os: "windows" },
];

/**
 * The flags a compiled binary for an OS embeds: everything its commands may
 * need there (the default collector, its fallback, process paths and names),
 * and nothing else. A compiled binary cannot be granted more at run time, so
 * `--input FILE` there reads stdin (`--input - < FILE`).
 */
export function compileFlags(os: Os): string[] {
  const needs = autoCollectorOrder(os).flatMap((collector) => collectorPermissions(collector, os));
  return denoFlags(needs);
}
