import type { EgressAlert, EgressDestination, EgressPort, EgressSummary } from "../model/egress.ts";
import { verdictWord } from "../model/egress.ts";
import { markdownCode, markdownText } from "./markdown_text.ts";
import { thousands } from "../model/thousands.ts";

/** Rows shown per table: a job summary holds at most 1 MiB, and nobody reads further. */
const MAX_ALERT_ROWS = 200;
const MAX_DESTINATION_ROWS = 1000;
const MAX_PROCESSES_SHOWN = 5;

function plural(n: number, word: string, many = `${word}s`): string {
  return `${thousands(n)} ${n === 1 ? word : many}`;
}

function durationText(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

/** `2026-11-21T14:30:16.000+00:00` → `14:30:16` (the machine's local time, as recorded). */
function timeOf(iso: string): string {
  return /T(\d\d:\d\d:\d\d)/.exec(iso)?.[1] ?? iso;
}

/** `2026-11-21T14:30:16.000+00:00` → `2026-11-21 14:30:16 +00:00`. */
function dateTimeOf(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?$/.exec(iso);
  return m === null ? iso : `${m[1]} ${m[2]}${m[3] === undefined ? "" : ` ${m[3] === "Z" ? "UTC" : m[3]}`}`;
}

function portText(port: EgressPort): string {
  return `${port.port}/${port.protocol.toLowerCase()}`;
}

function processName(name: string | null): string {
  return name === null ? "unknown" : markdownCode(name);
}

function processesText(names: readonly (string | null)[]): string {
  const shown = names.slice(0, MAX_PROCESSES_SHOWN).map(processName).join(", ");
  return names.length > MAX_PROCESSES_SHOWN ? `${shown} +${names.length - MAX_PROCESSES_SHOWN}` : shown;
}

function placeText(d: Pick<EgressDestination, "country" | "asn" | "as_org">): string {
  const as = d.asn === null ? null : `AS${d.asn}${d.as_org === null ? "" : ` ${markdownText(d.as_org)}`}`;
  const parts = [d.country === null ? null : markdownText(d.country), as].filter((p) => p !== null);
  return parts.length === 0 ? "—" : parts.join(" · ");
}

function destinationVerdict(d: EgressDestination, expect: string | null): string {
  if (d.conditions.length > 0) {
    const words = (["unexpected", "blocklisted", "malicious", "suspicious"] as const)
      .filter((c) => d.conditions.includes(c) && !(c === "suspicious" && d.conditions.includes("malicious")));
    return `**${words.map((c) => c.toUpperCase()).join(", ")}**`;
  }
  return expect === null ? "—" : "expected";
}

function destinationName(d: EgressDestination): string {
  const name = markdownCode(d.name);
  if (!d.isDomain) return name;
  const shown = d.addresses.slice(0, 3).map(markdownCode).join(", ");
  return `${name} (${shown}${d.addresses.length > 3 ? ` +${d.addresses.length - 3}` : ""})`;
}

function alertRow(alert: EgressAlert): string {
  const process = alert.process_name === null && alert.pid === null
    ? "unknown"
    : `${processName(alert.process_name)}${alert.pid === null ? "" : ` (${alert.pid})`}`;
  const destination = alert.destination === alert.address
    ? markdownCode(alert.address)
    : `${markdownCode(alert.destination)} (${markdownCode(alert.address)})`;
  const port = alert.port === null ? "—" : `${alert.port}/${alert.protocol.toLowerCase()}`;
  return `| **${verdictWord(alert.conditions)}** | ${process} | ${destination} | ${port} | ` +
    `${markdownText(alert.reason)} | ${timeOf(alert.seen)} |`;
}

function destinationRow(d: EgressDestination, expect: string | null): string {
  const ports = d.ports.length === 0 ? "—" : d.ports.map(portText).join(", ");
  return `| ${destinationName(d)} | ${ports} | ${processesText(d.processes)} | ${placeText(d)} | ` +
    `${timeOf(d.first_seen)} | ${destinationVerdict(d, expect)} | ${thousands(d.connections)} |`;
}

/** Destinations an alert was about first, each part in the order first seen. */
function alertedFirst(destinations: readonly EgressDestination[]): EgressDestination[] {
  return [
    ...destinations.filter((d) => d.conditions.length > 0),
    ...destinations.filter((d) => d.conditions.length === 0),
  ];
}

function headline(summary: EgressSummary): string[] {
  const processes = new Set(summary.destinations.flatMap((d) => d.processes).filter((p) => p !== null));
  const unexpected = summary.destinations.filter((d) => d.conditions.includes("unexpected")).length;
  const alertCount = summary.alerts.length + summary.droppedAlerts;
  const destinationCount = summary.destinations.length + summary.droppedDestinations;
  const counts = [
    plural(destinationCount, "destination"),
    plural(summary.connections, "outgoing connection"),
    plural(processes.size, "process", "processes"),
    plural(alertCount, "alert"),
  ].join(", ");
  const expect = summary.expect === null
    ? "No `--expect` list: every destination is listed, none judged."
    : `Checked against ${markdownCode(summary.expect)}: ${
      unexpected === 0
        ? "every destination expected."
        : `**${plural(unexpected, "destination")} UNEXPECTED.**`
    }`;
  const span = Date.parse(summary.ended) - Date.parse(summary.started);
  const watched =
    `Watched from ${dateTimeOf(summary.started)} to ${timeOf(summary.ended)} (${
      durationText(Number.isNaN(span) ? 0 : span)
    }).` + (summary.loopback > 0 ? ` ${plural(summary.loopback, "connection")} to loopback not listed.` : "");
  return [`**${counts}.** ${expect}`, "", watched];
}

/**
 * The egress report in Markdown, for `GITHUB_STEP_SUMMARY` and `--report`:
 * a headline with the counts, the alerts, then one row per destination
 * (domain or address, ports, processes, country and AS, first seen, verdict
 * against `--expect`, connections). Every untrusted string is escaped.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { renderEgressReport } from "./egress_report.ts";
 * const report = renderEgressReport({
 *   started: "2026-11-21T14:30:00.000+00:00", ended: "2026-11-21T14:32:10.000+00:00",
 *   destinations: [{ name: "198.51.100.7", isDomain: false, addresses: ["198.51.100.7"],
 *     ports: [{ protocol: "TCP", port: 443 }], processes: ["curl"], country: null, asn: null, as_org: null,
 *     first_seen: "2026-11-21T14:30:01.000+00:00", connections: 2, conditions: [] }],
 *   alerts: [], connections: 2, loopback: 0, expect: "allowed.txt", droppedDestinations: 0, droppedAlerts: 0,
 * });
 * ok(report.includes("| `198.51.100.7` | 443/tcp | `curl` | — | 14:30:01 | expected | 2 |"));
 * ```
 */
export function renderEgressReport(summary: EgressSummary): string {
  const lines = ["## conntrail: where this run connected", "", ...headline(summary), ""];
  const alertCount = summary.alerts.length + summary.droppedAlerts;
  lines.push(`### Alerts (${thousands(alertCount)})`, "");
  if (alertCount === 0) {
    lines.push("None.", "");
  } else {
    lines.push(
      "| verdict | process | destination | port | reason | seen |",
      "| --- | --- | --- | --- | --- | --- |",
      ...summary.alerts.slice(0, MAX_ALERT_ROWS).map(alertRow),
      "",
    );
    const more = alertCount - Math.min(summary.alerts.length, MAX_ALERT_ROWS);
    if (more > 0) lines.push(`…and ${plural(more, "more alert")} (every alert is in the NDJSON output).`, "");
  }
  const destinationCount = summary.destinations.length + summary.droppedDestinations;
  lines.push(`### Destinations (${thousands(destinationCount)})`, "");
  if (destinationCount === 0) {
    lines.push("No outgoing connections were seen.", "");
  } else {
    lines.push(
      "| destination | ports | processes | country / AS | first seen | verdict | connections |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...alertedFirst(summary.destinations).slice(0, MAX_DESTINATION_ROWS).map((d) =>
        destinationRow(d, summary.expect)
      ),
      "",
    );
    const more = destinationCount - Math.min(summary.destinations.length, MAX_DESTINATION_ROWS);
    if (more > 0) lines.push(`…and ${plural(more, "more destination")} not shown.`, "");
  }
  return lines.join("\n");
}
