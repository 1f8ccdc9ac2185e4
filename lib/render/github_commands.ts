/**
 * GitHub Actions workflow commands (`::group::`, `::warning title=…::`),
 * escaped so that no untrusted name can end a command or start another.
 *
 * @module
 */
import { verdictWord } from "../model/egress.ts";
import { rowAddress, servicePort } from "../model/direction.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import { safeTerminalText } from "./terminal_text.ts";

/** A command's message: `%`, CR and LF escaped as the runner expects. */
function escapeData(text: string): string {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** A command's property value: as a message, plus `:` and `,`. */
function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(":", "%3A").replaceAll(",", "%2C");
}

/**
 * The line that opens a folded group in the job log.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { githubGroup } from "./github_commands.ts";
 * deepStrictEqual(githubGroup("conntrail: 1,000 connections open at start"),
 *   "::group::conntrail: 1,000 connections open at start");
 * ```
 */
export function githubGroup(title: string): string {
  return `::group::${escapeData(safeTerminalText(title))}`;
}

/** The line that closes the group {@linkcode githubGroup} opened. */
export const GITHUB_END_GROUP = "::endgroup::";

/**
 * An alert as an annotation: the title is the verdict, the message names the
 * process, the destination (the domain when known, else the address), the
 * port and the reason — not the whole scroll line again.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { alertAnnotation } from "./github_commands.ts";
 * const connection = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2",
 *   local_port: 50000, remote_ip: "198.51.100.7", remote_port: 443, status: "ESTABLISHED",
 *   direction: "outgoing" as const, pid: 4211, process_name: "curl", process_path: null, user: null };
 * deepStrictEqual(
 *   alertAnnotation({ event: "ALERT", connection, severity: "warning", conditions: ["unexpected"],
 *     reason: "UNEXPECTED destination (not in allowed.txt)" }, null),
 *   "::warning title=conntrail%3A UNEXPECTED::curl (pid 4211) connected to 198.51.100.7 port 443/tcp: " +
 *     "UNEXPECTED destination (not in allowed.txt)",
 * );
 * ```
 */
export function alertAnnotation(event: ConnectionEvent, domain: string | null | undefined): string {
  const c = event.connection;
  const process = c.process_name === null ? "an unknown process" : safeTerminalText(c.process_name);
  const who = c.pid === null ? process : `${process} (pid ${c.pid})`;
  const address = rowAddress(c);
  const where = domain ? `${safeTerminalText(domain)} (${address})` : address;
  const port = servicePort(c);
  const verb = c.direction === "outgoing" ? "connected to" : "talked with";
  const message =
    `${who} ${verb} ${where}${port === null ? "" : ` port ${port}/${c.protocol.toLowerCase()}`}: ` +
    safeTerminalText(event.reason ?? "alert");
  const title = `conntrail: ${verdictWord(event.conditions ?? [])}`;
  return `::${event.severity ?? "error"} title=${escapeProperty(title)}::${escapeData(message)}`;
}
