/**
 * Connection events as OCSF Network Activity (class 4001) records, for
 * Amazon Security Lake, Splunk and every pipeline that speaks OCSF.
 *
 * @module
 */
import type { AddressInfo } from "../model/address_info.ts";
import { isLocalAddress } from "../model/address_scope.ts";
import type { Connection } from "../model/connection.ts";
import { connectionCommunityId, type FlowEnd, flowEnds, flowExtras, IANA_PROTOCOL } from "../model/flow.ts";
import type { HostIdentity } from "../model/host_identity.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import {
  alertRule,
  baseName,
  type FlowEvent,
  listedParts,
  offsetMinutes,
  type RecordContext,
  RULE_NAMES,
} from "./_flow_event.ts";

/** The OCSF schema version the records follow (and are validated against in tests). */
export const OCSF_VERSION = "1.8.0";

const CATEGORY_UID = 4;
const CLASS_UID = 4001;

type Doc = Record<string, unknown>;

/** Network Activity's activities conntrail reports. */
const ACTIVITIES = {
  open: [1, "Open"],
  close: [2, "Close"],
  traffic: [6, "Traffic"],
  listen: [7, "Listen"],
} as const;

const SEVERITIES = {
  info: [1, "Informational"],
  warning: [3, "Medium"],
  error: [4, "High"],
} as const;

const OS_TYPES: Readonly<Record<string, readonly [number, string]>> = {
  linux: [200, "Linux"],
  windows: [100, "Windows"],
  darwin: [300, "macOS"],
  android: [201, "Android"],
  solaris: [400, "Solaris"],
  aix: [401, "AIX"],
};

function activity(event: FlowEvent, c: Connection): readonly [number, string] {
  const listening = c.direction === "listening" || c.remote_ip === null;
  switch (event.event) {
    case "NEW":
      return listening ? ACTIVITIES.listen : ACTIVITIES.open;
    case "CLOSED":
      return ACTIVITIES.close;
    case "SNAPSHOT":
      return listening ? ACTIVITIES.listen : ACTIVITIES.traffic;
    case "STATE":
    case "ALERT":
      return ACTIVITIES.traffic;
  }
}

function endpoint(end: FlowEnd, info: AddressInfo, domain: string | null): Doc {
  const doc: Doc = { ip: end.ip };
  if (end.port !== null) doc.port = end.port;
  if (end.local) return doc;
  if (info.hostname) doc.hostname = info.hostname;
  if (domain !== null) doc.domain = domain;
  if (info.country) doc.location = { country: info.country };
  if (info.asn !== undefined && info.asn !== null) {
    doc.autonomous_system = info.as_org ? { number: info.asn, name: info.as_org } : { number: info.asn };
  }
  return doc;
}

function connectionInfo(c: Connection): Doc {
  const loopback = /^(127\.|::1$)/;
  const remote = c.remote_ip;
  const local = remote !== null && loopback.test(c.local_ip) && loopback.test(remote);
  const [directionId, direction] = local
    ? [4, "Local"]
    : c.direction === "outgoing"
    ? [2, "Outbound"]
    : c.direction === "incoming" || c.direction === "listening"
    ? [1, "Inbound"]
    : [0, "Unknown"];
  const info: Doc = {
    direction_id: directionId,
    direction,
    protocol_num: IANA_PROTOCOL[c.protocol],
    protocol_name: c.protocol.toLowerCase(),
    protocol_ver_id: c.family,
    protocol_ver: `Internet Protocol version ${c.family}`,
  };
  if (remote !== null) {
    const [boundaryId, boundary] = local
      ? [1, "Localhost"]
      : isLocalAddress(remote)
      ? [2, "Internal"]
      : [3, "External"];
    info.boundary_id = boundaryId;
    info.boundary = boundary;
  }
  const community = connectionCommunityId(c);
  if (community !== null) info.community_uid = community;
  return info;
}

function actor(c: Connection): Doc | null {
  if (c.pid === null && c.process_name === null && c.process_path === null && c.user === null) return null;
  const doc: Doc = {};
  if (c.pid !== null || c.process_name !== null || c.process_path !== null) {
    const process: Doc = {};
    if (c.pid !== null) process.pid = c.pid;
    if (c.process_name !== null) process.name = c.process_name;
    if (c.process_path !== null) {
      process.path = c.process_path;
      process.file = {
        name: baseName(c.process_path),
        path: c.process_path,
        type_id: 8,
        type: "Executable File",
      };
    }
    if (c.user !== null) process.user = { name: c.user };
    // OCSF asks a process for a pid, uid or cpid: without a pid there is no process object to give.
    if (process.pid !== undefined) doc.process = process;
  }
  if (c.user !== null) doc.user = { name: c.user };
  return Object.keys(doc).length === 0 ? null : doc;
}

/** The device, or null when its name is unknown (OCSF asks a device for a name, ip or uid). */
function device(host: HostIdentity): Doc | null {
  if (host.hostname === null) return null;
  const doc: Doc = { type_id: 0, type: "Unknown", hostname: host.hostname, name: host.hostname };
  const os = OS_TYPES[host.os];
  doc.os = os === undefined
    ? { name: host.os, type_id: 99, type: "Other" }
    : { name: os[1], type_id: os[0], type: os[1] };
  return doc;
}

function alertFields(event: ConnectionEvent, remote: string | null, remoteName: string): Doc {
  const rule = alertRule(event);
  const details = event.details ?? {};
  const fields: Doc = {
    is_alert: true,
    // conntrail watches and never blocks.
    action_id: 3,
    action: "Observed",
    disposition_id: 15,
    disposition: "Detected",
  };
  if (event.reason !== undefined) fields.message = event.reason;
  if (rule === "reputation") {
    fields.risk_level_id = details.risk_level === "MALICIOUS" ? 3 : 2;
    fields.risk_level = details.risk_level === "MALICIOUS" ? "High" : "Medium";
    if (typeof details.abuse_score === "number") fields.risk_score = details.abuse_score;
  }
  if (remote === null) return fields;
  const enrichment: Doc = { name: remoteName, value: remote, short_desc: RULE_NAMES[rule] };
  if (rule === "blocklist" && details.blocklist !== undefined) {
    const listed = listedParts(details.blocklist);
    enrichment.type = "blocklist";
    enrichment.provider = listed?.list ?? details.blocklist;
    enrichment.data = listed ?? { entry: details.blocklist };
  } else if (rule === "reputation") {
    enrichment.type = "reputation";
    enrichment.provider = "AbuseIPDB";
    enrichment.data = { risk_level: details.risk_level, abuse_score: details.abuse_score ?? null };
  } else {
    enrichment.type = "expected_destinations";
    enrichment.provider = "conntrail";
    enrichment.data = { reason: event.reason ?? "" };
  }
  fields.enrichments = [enrichment];
  return fields;
}

/**
 * One event as an OCSF Network Activity record: activity (1 Open, 2 Close,
 * 6 Traffic for state changes, alerts and snapshot rows, 7 Listen), class and
 * type ids, severity, `time` in milliseconds, `metadata`, `src_endpoint` and
 * `dst_endpoint` (the remote one with its names, country and AS),
 * `connection_info` with the Community ID, `actor.process` and `device`.
 * Alerts add the security-control profile (observed, detected) and the
 * matched list or reputation under `enrichments`. Conntrail's own words are
 * kept under `unmapped.conntrail`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ocsfEvent } from "./ocsf_event.ts";
 * const connection = { timestamp: "2026-11-21T14:30:16.000+00:00", protocol: "TCP" as const, family: 4 as const,
 *   local_ip: "10.0.0.2", local_port: 50000, remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED",
 *   direction: "outgoing" as const, pid: 4211, process_name: "firefox", process_path: "/usr/bin/firefox",
 *   user: "ana" };
 * const context = { host: { hostname: "ws1", os: "linux", arch: "x86_64" },
 *   product: { name: "conntrail", version: "0.1.0" } };
 * const record = ocsfEvent({ event: "NEW", connection }, {}, context);
 * deepStrictEqual([record.class_uid, record.activity_id, record.type_uid], [4001, 1, 400101]);
 * deepStrictEqual(record.time, Date.parse("2026-11-21T14:30:16Z"));
 * ```
 */
export function ocsfEvent(event: FlowEvent, info: AddressInfo, context: RecordContext): Doc {
  const c = event.connection;
  const [activityId, activityName] = activity(event, c);
  const [severityId, severity] = event.event === "ALERT"
    ? SEVERITIES[event.severity ?? "error"]
    : SEVERITIES.info;
  const ends = flowEnds(c);
  const extras = flowExtras(c);
  const time = Date.parse(c.timestamp);
  const record: Doc = {
    activity_id: activityId,
    activity_name: activityName,
    category_uid: CATEGORY_UID,
    category_name: "Network Activity",
    class_uid: CLASS_UID,
    class_name: "Network Activity",
    type_uid: CLASS_UID * 100 + activityId,
    type_name: `Network Activity: ${activityName}`,
    severity_id: severityId,
    severity,
    time: Number.isNaN(time) ? 0 : time,
    timezone_offset: offsetMinutes(c.timestamp),
    metadata: {
      product: {
        name: context.product.name,
        vendor_name: context.product.name,
        version: context.product.version,
      },
      version: OCSF_VERSION,
      profiles: event.event === "ALERT" ? ["host", "security_control"] : ["host"],
      log_name: "connections",
    },
  };
  // A closed connection's life: OCSF times are milliseconds.
  if (event.event === "CLOSED" && event.duration_s !== undefined && !Number.isNaN(time)) {
    const duration = Math.round(event.duration_s * 1000);
    Object.assign(record, { duration, start_time: time - duration, end_time: time });
  }
  if (ends.source !== null) record.src_endpoint = endpoint(ends.source, info, extras.domain);
  record.dst_endpoint = endpoint(ends.destination, info, extras.domain);
  record.connection_info = connectionInfo(c);
  if (extras.bytes_sent !== null || extras.bytes_received !== null) {
    const sent = extras.bytes_sent ?? 0;
    const received = extras.bytes_received ?? 0;
    const localIsSource = ends.source?.local === true;
    // OCSF counts bytes_out from the source to the destination.
    record.traffic = {
      bytes: sent + received,
      bytes_out: localIsSource ? sent : received,
      bytes_in: localIsSource ? received : sent,
    };
  }
  const who = actor(c);
  if (who !== null) record.actor = who;
  const host = device(context.host);
  if (host !== null) record.device = host;
  if (event.event === "ALERT") {
    const remoteName = ends.source !== null && !ends.source.local ? "src_endpoint.ip" : "dst_endpoint.ip";
    Object.assign(record, alertFields(event, c.remote_ip, remoteName));
  }
  const own: Doc = { event: event.event, status: c.status };
  if (event.event === "STATE" && event.previous_status !== undefined) {
    own.previous_status = event.previous_status;
  }
  record.unmapped = { conntrail: own };
  return record;
}
