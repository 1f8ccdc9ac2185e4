import { deepStrictEqual, ok } from "node:assert/strict";
import { OCSF_VERSION, ocsfEvent } from "../../lib/render/ocsf_event.ts";
import { OCSF_SCHEMA, ocsfProblems } from "./_ocsf_schema.ts";
import {
  CONTEXT,
  GOOGLE,
  INCOMING,
  LISTENING,
  LOOPBACK,
  NAMELESS_CONTEXT,
  OUTGOING,
  SAMPLES,
} from "./_flow_samples.ts";

type Doc = Record<string, Record<string, unknown>>;

Deno.test("ocsfEvent() writes records that validate against OCSF Network Activity for every event shape", () => {
  deepStrictEqual(OCSF_SCHEMA.version, OCSF_VERSION);
  for (const { name, event, info } of SAMPLES) {
    for (const context of [CONTEXT, NAMELESS_CONTEXT]) {
      const record = JSON.parse(JSON.stringify(ocsfEvent(event, info, context)));
      deepStrictEqual(ocsfProblems(record), [], name);
    }
  }
});

Deno.test("ocsfProblems() finds what breaks OCSF (the check can fail)", () => {
  const good = JSON.parse(JSON.stringify(ocsfEvent({ event: "NEW", connection: OUTGOING }, GOOGLE, CONTEXT)));
  const broken = structuredClone(good);
  delete broken.severity_id;
  broken.type_uid = 400199;
  broken.metadata.profiles = [];
  broken.connection_info.direction_id = 42;
  broken.dst_endpoint.port = "443";
  delete broken.src_endpoint;
  broken.dst_endpoint = { port: 443 };
  broken.made_up = true;
  const problems = ocsfProblems(broken);
  for (
    const expected of [
      "severity_id: required",
      "type_uid: must be class_uid * 100 + activity_id",
      'actor: belongs to the "host" profile, not in metadata.profiles',
      'device: belongs to the "host" profile, not in metadata.profiles',
      "connection_info.direction_id: 42 is not one of 0, 1, 2, 3, 4, 99",
      "dst_endpoint: needs at least one of ip, uid, name, hostname, svc_name, instance_uid, interface_uid, interface_name, domain",
      "made_up: not an attribute here",
    ]
  ) ok(problems.includes(expected), `missing "${expected}" in ${JSON.stringify(problems, null, 1)}`);
  const typed = structuredClone(good);
  typed.dst_endpoint.port = "443";
  typed.time = "2026-11-21";
  deepStrictEqual(ocsfProblems(typed), [
    "time: long_t must be an integer",
    "dst_endpoint.port: integer_t must be an integer",
  ]);
});

Deno.test("ocsfEvent() maps an outgoing connection: Open, endpoints, connection_info, actor, device", () => {
  const record = ocsfEvent({ event: "NEW", connection: OUTGOING }, GOOGLE, CONTEXT) as Doc;
  deepStrictEqual(
    [record.activity_id, record.activity_name, record.category_uid, record.class_uid, record.type_uid],
    [1, "Open", 4, 4001, 400101],
  );
  deepStrictEqual([record.severity_id, record.severity], [1, "Informational"]);
  deepStrictEqual(record.time, Date.parse(OUTGOING.timestamp));
  deepStrictEqual(record.timezone_offset, 60);
  deepStrictEqual(record.metadata, {
    product: { name: "conntrail", vendor_name: "conntrail", version: "0.1.0" },
    version: OCSF_VERSION,
    profiles: ["host"],
    log_name: "connections",
  });
  deepStrictEqual(record.src_endpoint, { ip: "10.0.0.2", port: 50000 });
  deepStrictEqual(record.dst_endpoint, {
    ip: "8.8.8.8",
    port: 443,
    hostname: "dns.google",
    location: { country: "US" },
    autonomous_system: { number: 15169, name: "Google LLC" },
  });
  deepStrictEqual(record.connection_info, {
    direction_id: 2,
    direction: "Outbound",
    protocol_num: 6,
    protocol_name: "tcp",
    protocol_ver_id: 4,
    protocol_ver: "Internet Protocol version 4",
    boundary_id: 3,
    boundary: "External",
    community_uid: "1:zgc8wVr6ytV/5IsBx/Dbbe8wMBo=",
  });
  deepStrictEqual(record.actor, {
    process: {
      pid: 4211,
      name: "firefox",
      path: "/usr/lib/firefox/firefox",
      file: { name: "firefox", path: "/usr/lib/firefox/firefox", type_id: 8, type: "Executable File" },
      user: { name: "ana" },
    },
    user: { name: "ana" },
  });
  deepStrictEqual(record.device, {
    type_id: 0,
    type: "Unknown",
    hostname: "ws1.example.org",
    name: "ws1.example.org",
    os: { name: "Linux", type_id: 200, type: "Linux" },
  });
  deepStrictEqual(record.unmapped, { conntrail: { event: "NEW", status: "ESTABLISHED" } });
});

Deno.test("ocsfEvent() activities: Listen for a listener, Close, Traffic for a state change, Local for loopback", () => {
  const activity = (record: Doc) => [record.activity_id, record.type_uid];
  deepStrictEqual(activity(ocsfEvent({ event: "NEW", connection: LISTENING }, {}, CONTEXT) as Doc), [
    7,
    400107,
  ]);
  const closed = ocsfEvent({ event: "CLOSED", connection: INCOMING }, {}, CONTEXT) as Doc;
  deepStrictEqual(activity(closed), [2, 400102]);
  deepStrictEqual(closed.src_endpoint?.ip, "2001:db8:ff::7");
  deepStrictEqual(closed.connection_info?.direction_id, 1);
  deepStrictEqual(closed.connection_info?.protocol_ver_id, 6);
  const state = ocsfEvent(
    { event: "STATE", connection: OUTGOING, previous_status: "SYN_SENT" },
    {},
    CONTEXT,
  ) as Doc;
  deepStrictEqual(activity(state), [6, 400106]);
  deepStrictEqual(state.unmapped, {
    conntrail: { event: "STATE", status: "ESTABLISHED", previous_status: "SYN_SENT" },
  });
  const loopback = ocsfEvent({ event: "NEW", connection: LOOPBACK }, {}, CONTEXT) as Doc;
  deepStrictEqual([loopback.connection_info?.direction_id, loopback.connection_info?.boundary_id], [4, 1]);
  // A process without a pid is no OCSF process; the name stays in the ECS record.
  deepStrictEqual(loopback.actor, { user: { name: "ana" } });
  const listener = ocsfEvent({ event: "NEW", connection: LISTENING }, {}, CONTEXT) as Doc;
  deepStrictEqual([listener.src_endpoint, listener.connection_info?.community_uid], [undefined, undefined]);
});

Deno.test("ocsfEvent() writes an alert with the security-control profile and the match as an enrichment", () => {
  const alert = SAMPLES.find((s) => s.name === "ALERT blocklist");
  ok(alert);
  const record = ocsfEvent(alert.event, alert.info, CONTEXT) as Doc;
  deepStrictEqual([record.severity_id, record.severity, record.activity_id], [4, "High", 6]);
  deepStrictEqual(record.metadata?.profiles, ["host", "security_control"]);
  deepStrictEqual(
    [record.is_alert, record.action_id, record.disposition_id, record.message],
    [true, 3, 15, "blocklist ips.txt:12 203.0.113.0/24"],
  );
  deepStrictEqual(record.enrichments, [{
    name: "dst_endpoint.ip",
    value: "203.0.113.7",
    short_desc: "Connection to a listed address",
    type: "blocklist",
    provider: "ips.txt",
    data: { list: "ips.txt", line: 12, entry: "203.0.113.0/24" },
  }]);
  const reputation = SAMPLES.find((s) => s.name === "ALERT reputation on an incoming connection");
  ok(reputation);
  const scored = ocsfEvent(reputation.event, reputation.info, CONTEXT) as Doc;
  deepStrictEqual([scored.severity_id, scored.risk_level_id, scored.risk_score], [3, 2, 30]);
  deepStrictEqual((scored.enrichments as unknown as Doc[])[0]?.name, "src_endpoint.ip");
});

Deno.test("ocsfEvent() keeps the domain asked for beside the PTR name, and traffic by direction", () => {
  const sample = SAMPLES.find((s) => s.name === "CLOSED with domain and byte counters");
  ok(sample);
  const record = ocsfEvent(sample.event, { ...GOOGLE, hostname: "ptr.example" }, CONTEXT) as Doc;
  deepStrictEqual([record.dst_endpoint?.hostname, record.dst_endpoint?.domain], [
    "ptr.example",
    "dns.google",
  ]);
  deepStrictEqual(record.traffic, { bytes: 54200, bytes_out: 1200, bytes_in: 53000 });
  // How long it lived (duration_s 2.5): milliseconds, ending at the event's time.
  const end = Date.parse("2026-11-21T14:30:16.250+01:00");
  deepStrictEqual([record.duration, record.start_time, record.end_time], [2500, end - 2500, end]);
  const open = ocsfEvent({ event: "NEW", connection: sample.event.connection }, GOOGLE, CONTEXT) as Doc;
  deepStrictEqual([open.duration, open.start_time, open.end_time], [undefined, undefined, undefined]);
});
