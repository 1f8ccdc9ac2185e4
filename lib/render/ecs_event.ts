/**
 * Connection events as Elastic Common Schema documents, for Elasticsearch,
 * OpenSearch and every pipeline that speaks ECS.
 *
 * @module
 */
import type { AddressInfo } from "../model/address_info.ts";
import { connectionCommunityId, type FlowEnd, flowEnds, flowExtras, IANA_PROTOCOL } from "../model/flow.ts";
import type { Connection } from "../model/connection.ts";
import type { HostIdentity } from "../model/host_identity.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import { alertRule, type FlowEvent, listedParts, type RecordContext, RULE_NAMES } from "./_flow_event.ts";

/** The ECS version the documents follow (and are validated against in tests). */
export const ECS_VERSION = "9.4.0";

type Doc = Record<string, unknown>;

const DIRECTIONS: Readonly<Record<Connection["direction"], string>> = {
  outgoing: "egress",
  incoming: "ingress",
  // A listening socket waits for connections in.
  listening: "ingress",
  unknown: "unknown",
};

const OS_TYPES: Readonly<Record<string, string>> = {
  linux: "linux",
  darwin: "macos",
  windows: "windows",
  android: "android",
  freebsd: "unix",
  netbsd: "unix",
  openbsd: "unix",
  solaris: "unix",
  illumos: "unix",
  aix: "unix",
};

/** Elastic's detection severities: 47 medium, 73 high. */
const ALERT_SEVERITY = { warning: 47, error: 73 } as const;

function endpoint(end: FlowEnd, info: AddressInfo, domain: string | null): Doc {
  const doc: Doc = { ip: end.ip, address: end.ip };
  if (end.port !== null) doc.port = end.port;
  if (end.local) return doc;
  const name = domain ?? info.hostname ?? null;
  if (name) doc.domain = name;
  if (info.country) doc.geo = { country_iso_code: info.country };
  if (info.asn !== undefined && info.asn !== null) {
    const as: Doc = { number: info.asn };
    if (info.as_org) as.organization = { name: info.as_org };
    doc.as = as;
  }
  return doc;
}

function hostDoc(host: HostIdentity): Doc {
  const doc: Doc = {
    os: { type: OS_TYPES[host.os] ?? "unix", platform: host.os },
    architecture: host.arch,
  };
  if (host.hostname !== null) {
    doc.hostname = host.hostname;
    doc.name = host.hostname;
  }
  return doc;
}

function eventDoc(event: FlowEvent, c: Connection): Doc {
  const listening = c.direction === "listening" || c.remote_ip === null;
  const base: Doc = { module: "conntrail", dataset: "conntrail.connection" };
  switch (event.event) {
    case "NEW":
      return {
        kind: "event",
        category: ["network"],
        type: listening ? ["start"] : ["start", "connection"],
        action: listening ? "socket-listening" : "connection-opened",
        ...base,
      };
    case "CLOSED":
      return {
        kind: "event",
        category: ["network"],
        type: listening ? ["end"] : ["end", "connection"],
        action: listening ? "socket-closed" : "connection-closed",
        ...base,
      };
    case "STATE":
      return {
        kind: "event",
        category: ["network"],
        type: ["connection", "info"],
        action: "connection-state-changed",
        ...base,
      };
    case "SNAPSHOT":
      return {
        kind: "state",
        category: ["network"],
        type: listening ? ["info"] : ["connection", "info"],
        action: "connection-observed",
        ...base,
      };
    case "ALERT":
      // conntrail watches and never blocks: an alert is about a connection that was allowed.
      return {
        kind: "alert",
        category: ["network", "intrusion_detection"],
        type: ["connection", "allowed"],
        action: `${alertRule(event)}-alert`,
        ...base,
        severity: ALERT_SEVERITY[event.severity ?? "error"],
        ...(event.reason === undefined ? {} : { reason: event.reason }),
      };
  }
}

function alertFields(event: ConnectionEvent, remote: string | null, remoteField: string): Doc {
  const rule = alertRule(event);
  const fields: Doc = {
    rule: {
      name: RULE_NAMES[rule],
      category: rule,
      ruleset: "conntrail",
      ...(event.reason === undefined ? {} : { description: event.reason }),
    },
  };
  if (remote === null || rule === "unexpected") return fields;
  const details = event.details ?? {};
  const indicator: Doc = { type: remote.includes(":") ? "ipv6-addr" : "ipv4-addr", ip: remote };
  if (rule === "blocklist" && details.blocklist !== undefined) {
    const listed = listedParts(details.blocklist);
    indicator.provider = listed?.list ?? details.blocklist;
    indicator.description = `listed in ${details.blocklist}`;
  } else {
    indicator.provider = "AbuseIPDB";
    indicator.confidence = details.risk_level === "MALICIOUS" ? "High" : "Medium";
    indicator.description = event.reason ?? `reputation ${details.risk_level}`;
  }
  fields.threat = {
    enrichments: [{
      indicator,
      matched: { atomic: remote, field: remoteField, type: "indicator_match_rule" },
    }],
  };
  return fields;
}

/**
 * One event as an ECS document: `@timestamp`, `ecs.version`, `event.*`,
 * `network.*` with the Community ID, `source`/`destination` (the remote end
 * with its name, country and AS), `process`, `user`, `host`, and for alerts
 * `rule` and the matched indicator under `threat.enrichments`. Conntrail's own
 * words (event, status) are kept under `conntrail.*`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ecsEvent } from "./ecs_event.ts";
 * const connection = { timestamp: "2026-11-21T14:30:16.000+00:00", protocol: "TCP" as const, family: 4 as const,
 *   local_ip: "10.0.0.2", local_port: 50000, remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED",
 *   direction: "outgoing" as const, pid: 4211, process_name: "firefox", process_path: "/usr/bin/firefox",
 *   user: "ana" };
 * const context = { host: { hostname: "ws1", os: "linux", arch: "x86_64" },
 *   product: { name: "conntrail", version: "0.1.0" } };
 * const doc = ecsEvent({ event: "NEW", connection }, { country: "US", asn: 15169, as_org: "Google LLC" }, context);
 * deepStrictEqual(doc.network, { transport: "tcp", type: "ipv4", iana_number: "6", direction: "egress",
 *   community_id: "1:zgc8wVr6ytV/5IsBx/Dbbe8wMBo=" });
 * deepStrictEqual(doc.destination, { ip: "8.8.8.8", address: "8.8.8.8", port: 443,
 *   geo: { country_iso_code: "US" }, as: { number: 15169, organization: { name: "Google LLC" } } });
 * ```
 */
export function ecsEvent(event: FlowEvent, info: AddressInfo, context: RecordContext): Doc {
  const c = event.connection;
  const ends = flowEnds(c);
  const extras = flowExtras(c);
  const network: Doc = {
    transport: c.protocol === "TCP" ? "tcp" : "udp",
    type: c.family === 6 ? "ipv6" : "ipv4",
    iana_number: String(IANA_PROTOCOL[c.protocol]),
    direction: DIRECTIONS[c.direction],
  };
  const community = connectionCommunityId(c);
  if (community !== null) network.community_id = community;
  const doc: Doc = {
    "@timestamp": c.timestamp,
    ecs: { version: ECS_VERSION },
    event: eventDoc(event, c),
    network,
  };
  // A closed connection's life: ECS durations are nanoseconds.
  const end = Date.parse(c.timestamp);
  if (event.event === "CLOSED" && event.duration_s !== undefined && !Number.isNaN(end)) {
    const lived = Math.round(event.duration_s * 1000);
    Object.assign(doc.event as Doc, {
      duration: lived * 1_000_000,
      start: new Date(end - lived).toISOString(),
      end: new Date(end).toISOString(),
    });
  }
  const remote = c.remote_ip;
  const source = ends.source === null ? null : endpoint(ends.source, info, extras.domain);
  const destination = endpoint(ends.destination, info, extras.domain);
  if (extras.bytes_sent !== null || extras.bytes_received !== null) {
    const sent = extras.bytes_sent ?? 0;
    const received = extras.bytes_received ?? 0;
    network.bytes = sent + received;
    // The source sends what the local end sent when the local end is the source.
    const localIsSource = ends.source?.local === true;
    if (source !== null) source.bytes = localIsSource ? sent : received;
    destination.bytes = localIsSource ? received : sent;
  }
  if (source !== null) doc.source = source;
  doc.destination = destination;
  if (c.pid !== null || c.process_name !== null || c.process_path !== null) {
    const process: Doc = {};
    if (c.pid !== null) process.pid = c.pid;
    if (c.process_name !== null) process.name = c.process_name;
    if (c.process_path !== null) process.executable = c.process_path;
    doc.process = process;
  }
  if (c.user !== null) doc.user = { name: c.user };
  doc.host = hostDoc(context.host);
  doc.agent = { type: context.product.name, version: context.product.version };
  const related: Doc = { ip: remote === null || remote === c.local_ip ? [c.local_ip] : [c.local_ip, remote] };
  if (c.user !== null) related.user = [c.user];
  doc.related = related;
  if (event.event === "ALERT") {
    const remoteField = ends.source !== null && !ends.source.local ? "source.ip" : "destination.ip";
    Object.assign(doc, alertFields(event, remote, remoteField));
  }
  const own: Doc = { event: event.event, status: c.status };
  if (event.event === "STATE" && event.previous_status !== undefined) {
    own.previous_status = event.previous_status;
  }
  if (event.event === "ALERT" && event.details !== undefined) Object.assign(own, event.details);
  doc.conntrail = own;
  return doc;
}
