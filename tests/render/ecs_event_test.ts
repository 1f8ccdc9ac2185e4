import { deepStrictEqual, ok } from "node:assert/strict";
import { ECS_VERSION, ecsEvent } from "../../lib/render/ecs_event.ts";
import { ECS_SCHEMA, ecsProblems } from "./_ecs_schema.ts";
import {
  CONTEXT,
  GOOGLE,
  INCOMING,
  LISTENING,
  NAMELESS_CONTEXT,
  OUTGOING,
  SAMPLES,
} from "./_flow_samples.ts";

type Doc = Record<string, Record<string, unknown>>;

Deno.test("ecsEvent() writes documents that validate against ECS for every event shape", () => {
  deepStrictEqual(ECS_SCHEMA.version, ECS_VERSION);
  for (const { name, event, info } of SAMPLES) {
    for (const context of [CONTEXT, NAMELESS_CONTEXT]) {
      const doc = JSON.parse(JSON.stringify(ecsEvent(event, info, context)));
      deepStrictEqual(ecsProblems(doc), [], name);
    }
  }
});

Deno.test("ecsProblems() finds what breaks ECS (the check can fail)", () => {
  const good = JSON.parse(JSON.stringify(ecsEvent({ event: "NEW", connection: OUTGOING }, GOOGLE, CONTEXT)));
  const broken = structuredClone(good);
  delete broken["@timestamp"];
  broken.network.iana_number = 6;
  broken.event.type = ["start", "creation"];
  broken.event.category = "network";
  broken.source.port = "50000";
  broken.destination.ip = "dns.google";
  broken.network.direction = "outgoing";
  broken.made_up = { field: 1 };
  deepStrictEqual(ecsProblems(broken), [
    "event.category: ECS normalises this field to an array",
    "network.iana_number: keyword must be a string, not 6",
    'source.port: long must be an integer, not "50000"',
    "destination.ip: not an IP: dns.google",
    "made_up.field: not an ECS 9.4.0 field",
    "@timestamp: required",
    'event.type: "creation" is expected by none of the categories network',
    'network.direction: "outgoing" is not one of ECS\'s values',
  ]);
});

Deno.test("ecsEvent() maps an outgoing connection: egress, local source, remote destination with geo and AS", () => {
  const doc = ecsEvent({ event: "NEW", connection: OUTGOING }, GOOGLE, CONTEXT) as Doc;
  deepStrictEqual(doc["@timestamp"], OUTGOING.timestamp);
  deepStrictEqual(doc.ecs, { version: ECS_VERSION });
  deepStrictEqual(doc.event, {
    kind: "event",
    category: ["network"],
    type: ["start", "connection"],
    action: "connection-opened",
    module: "conntrail",
    dataset: "conntrail.connection",
  });
  deepStrictEqual(doc.network, {
    transport: "tcp",
    type: "ipv4",
    iana_number: "6",
    direction: "egress",
    community_id: "1:zgc8wVr6ytV/5IsBx/Dbbe8wMBo=",
  });
  deepStrictEqual(doc.source, { ip: "10.0.0.2", address: "10.0.0.2", port: 50000 });
  deepStrictEqual(doc.destination, {
    ip: "8.8.8.8",
    address: "8.8.8.8",
    port: 443,
    domain: "dns.google",
    geo: { country_iso_code: "US" },
    as: { number: 15169, organization: { name: "Google LLC" } },
  });
  deepStrictEqual(doc.process, { pid: 4211, name: "firefox", executable: "/usr/lib/firefox/firefox" });
  deepStrictEqual(doc.user, { name: "ana" });
  deepStrictEqual(doc.host, {
    hostname: "ws1.example.org",
    name: "ws1.example.org",
    os: { type: "linux", platform: "linux" },
    architecture: "x86_64",
  });
  deepStrictEqual(doc.related, { ip: ["10.0.0.2", "8.8.8.8"], user: ["ana"] });
  deepStrictEqual(doc.conntrail, { event: "NEW", status: "ESTABLISHED" });
});

Deno.test("ecsEvent() puts the remote peer of an incoming connection in source and the same Community ID both ways", () => {
  const doc = ecsEvent({ event: "CLOSED", connection: INCOMING }, {}, CONTEXT) as Doc;
  deepStrictEqual(doc.network?.direction, "ingress");
  deepStrictEqual(doc.network?.type, "ipv6");
  deepStrictEqual(doc.source?.ip, "2001:db8:ff::7");
  deepStrictEqual(doc.destination?.port, 22);
  deepStrictEqual(doc.event?.type, ["end", "connection"]);
  const reversed = ecsEvent(
    {
      event: "CLOSED",
      connection: {
        ...INCOMING,
        local_ip: "2001:db8:ff::7",
        local_port: 50123,
        remote_ip: "2001:db8::2",
        remote_port: 22,
        direction: "outgoing",
      },
    },
    {},
    CONTEXT,
  ) as Doc;
  deepStrictEqual(reversed.network?.community_id, doc.network?.community_id);
});

Deno.test("ecsEvent() gives a listening socket no source and no Community ID", () => {
  const doc = ecsEvent({ event: "NEW", connection: LISTENING }, {}, CONTEXT) as Doc;
  deepStrictEqual(doc.source, undefined);
  deepStrictEqual(doc.destination, { ip: "0.0.0.0", address: "0.0.0.0", port: 53 });
  deepStrictEqual(doc.network?.community_id, undefined);
  deepStrictEqual(doc.event?.type, ["start"]);
  deepStrictEqual(doc.process, undefined);
});

Deno.test("ecsEvent() writes a block-list alert as an ECS alert with its rule and matched indicator", () => {
  const alert = SAMPLES.find((s) => s.name === "ALERT blocklist");
  ok(alert);
  const doc = ecsEvent(alert.event, alert.info, CONTEXT) as Doc;
  deepStrictEqual(doc.event?.kind, "alert");
  deepStrictEqual(doc.event?.category, ["network", "intrusion_detection"]);
  deepStrictEqual(doc.event?.type, ["connection", "allowed"]);
  deepStrictEqual(doc.event?.severity, 73);
  deepStrictEqual(doc.event?.reason, "blocklist ips.txt:12 203.0.113.0/24");
  deepStrictEqual(doc.rule, {
    name: "Connection to a listed address",
    category: "blocklist",
    ruleset: "conntrail",
    description: "blocklist ips.txt:12 203.0.113.0/24",
  });
  deepStrictEqual(doc.threat, {
    enrichments: [{
      indicator: {
        type: "ipv4-addr",
        ip: "203.0.113.7",
        provider: "ips.txt",
        description: "listed in ips.txt:12 203.0.113.0/24",
      },
      matched: { atomic: "203.0.113.7", field: "destination.ip", type: "indicator_match_rule" },
    }],
  });
});

Deno.test("ecsEvent() matches a reputation alert on an incoming connection against source.ip", () => {
  const alert = SAMPLES.find((s) => s.name === "ALERT reputation on an incoming connection");
  ok(alert);
  const doc = ecsEvent(alert.event, alert.info, CONTEXT) as Doc;
  const enrichment = (doc.threat?.enrichments as Record<string, Record<string, unknown>>[])[0];
  deepStrictEqual(enrichment?.matched?.field, "source.ip");
  deepStrictEqual(enrichment?.indicator?.type, "ipv6-addr");
  deepStrictEqual(enrichment?.indicator?.confidence, "Medium");
  deepStrictEqual(doc.event?.severity, 47);
});

Deno.test("ecsEvent() names the domain asked for before the PTR name, and counts bytes by side", () => {
  const sample = SAMPLES.find((s) => s.name === "CLOSED with domain and byte counters");
  ok(sample);
  const doc = ecsEvent(sample.event, { ...GOOGLE, hostname: "ptr.example" }, CONTEXT) as Doc;
  deepStrictEqual(doc.destination?.domain, "dns.google");
  deepStrictEqual(doc.network?.bytes, 54200);
  deepStrictEqual(doc.source?.bytes, 1200);
  deepStrictEqual(doc.destination?.bytes, 53000);
  // How long it lived (duration_s 2.5): nanoseconds, and when it started and ended.
  deepStrictEqual([doc.event?.duration, doc.event?.start, doc.event?.end], [
    2_500_000_000,
    "2026-11-21T13:30:13.750Z",
    "2026-11-21T13:30:16.250Z",
  ]);
  const open = ecsEvent({ event: "NEW", connection: sample.event.connection }, GOOGLE, CONTEXT) as Doc;
  deepStrictEqual(open.event?.duration, undefined);
});
