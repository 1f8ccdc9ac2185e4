import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { BlocklistIndex } from "../../lib/enrich/blocklist_index.ts";
import type { ThreatSources } from "../../lib/enrich/threat_verdict.ts";
import type { Reputation } from "../../lib/model/risk.ts";
import { AlertWatch } from "../../lib/monitor/alert_watch.ts";
import { parseBlocklist } from "../../lib/parse/blocklist.ts";
import { connection } from "./_connections.ts";

function sources(overrides: Partial<ThreatSources> = {}): ThreatSources {
  const index = new BlocklistIndex([{
    name: "ips.txt",
    list: parseBlocklist("# list\n8.8.8.0/24\n10.0.0.0/8\n"),
  }]);
  return { blocklists: () => index, reputation: null, expected: null, includePrivate: false, ...overrides };
}

function reputation(risk_level: Reputation["risk_level"], abuse_score: number | null): Reputation {
  return { risk_level, abuse_score, country: null, checked_at: 0 };
}

Deno.test("AlertWatch raises one alert per (remote, process) per run, with the list entry", () => {
  const watch = new AlertWatch(sources());
  const curl = connection({ remote_ip: "8.8.8.8", pid: 4242, process_name: "curl" });
  const first = watch.check([
    curl,
    connection({ remote_ip: "8.8.8.8", local_port: 50001, pid: 4242, process_name: "curl" }),
  ]);
  deepStrictEqual(first.map((e) => [e.event, e.reason, e.severity, e.details]), [
    ["ALERT", "blocklist ips.txt:2 8.8.8.0/24", "error", { blocklist: "ips.txt:2 8.8.8.0/24" }],
  ]);
  strictEqual(watch.check([curl]).length, 0);
  // Another process talking to the same address is its own alert.
  strictEqual(watch.check([connection({ remote_ip: "8.8.8.8", pid: 77, process_name: "wget" })]).length, 1);
  deepStrictEqual([...watch.met], ["blocklisted"]);
  deepStrictEqual([watch.isAlerted("8.8.8.8"), watch.isAlerted("8.8.4.4")], [true, false]);
});

Deno.test("AlertWatch leaves private addresses alone unless --include-private, and never alerts on listeners", () => {
  const lan = connection({ remote_ip: "10.1.2.3" });
  strictEqual(new AlertWatch(sources()).check([lan]).length, 0);
  strictEqual(new AlertWatch(sources({ includePrivate: true })).check([lan]).length, 1);
  const listening = connection({
    remote_ip: null,
    remote_port: null,
    direction: "listening",
    status: "LISTEN",
  });
  strictEqual(new AlertWatch(sources({ includePrivate: true })).check([listening]).length, 0);
});

Deno.test("AlertWatch alerts on SUSPICIOUS and MALICIOUS reputation, and judges a connection once its answer arrives", () => {
  const known = new Map<string, Reputation>([["1.1.1.1", reputation("SUSPICIOUS", 30)]]);
  const watch = new AlertWatch(sources({ reputation: (ip) => known.get(ip) ?? null }));
  const early = connection({ remote_ip: "9.9.9.9", timestamp: "2026-11-21T14:30:01.000+00:00" });
  const alerts = watch.check([connection({ remote_ip: "1.1.1.1" }), early]);
  deepStrictEqual(alerts.map((e) => [e.reason, e.severity, e.details]), [
    ["reputation SUSPICIOUS (AbuseIPDB score 30)", "warning", { risk_level: "SUSPICIOUS", abuse_score: 30 }],
  ]);
  deepStrictEqual([...watch.met], ["suspicious"]);
  // 9.9.9.9's answer arrives after its connection closed: the alert still comes, stamped when it was seen.
  known.set("9.9.9.9", reputation("MALICIOUS", 95));
  const late = watch.check([]);
  deepStrictEqual(late.map((e) => [e.reason, e.connection.timestamp]), [
    ["reputation MALICIOUS (AbuseIPDB score 95)", "2026-11-21T14:30:01.000+00:00"],
  ]);
  deepStrictEqual([...watch.met].sort(), ["malicious", "suspicious"]);
  // SAFE and UNKNOWN are no reason to alert.
  known.set("4.4.4.4", reputation("SAFE", 0));
  known.set("5.5.5.5", reputation("UNKNOWN", null));
  strictEqual(
    watch.check([connection({ remote_ip: "4.4.4.4" }), connection({ remote_ip: "5.5.5.5" })]).length,
    0,
  );
});

Deno.test("AlertWatch reports outgoing connections outside --expect as UNEXPECTED, loopback and incoming aside", () => {
  const allowed = new BlocklistIndex([{
    name: "allowed.txt",
    list: parseBlocklist("140.82.112.0/20\n"),
    resolved: new Map([["104.16.0.1", "registry.npmjs.org"]]),
  }]);
  const watch = new AlertWatch(
    sources({ blocklists: () => null, expected: () => allowed, expectedName: "allowed.txt" }),
  );
  const alerts = watch.check([
    connection({ remote_ip: "140.82.113.3" }),
    connection({ remote_ip: "104.16.0.1" }),
    connection({ remote_ip: "127.0.0.1" }),
    connection({ remote_ip: "1.2.3.4", direction: "incoming" }),
    connection({ remote_ip: "93.184.216.34", process_name: "curl" }),
  ]);
  deepStrictEqual(alerts.map((e) => [e.connection.remote_ip, e.reason, e.severity]), [
    ["93.184.216.34", "UNEXPECTED destination (not in allowed.txt)", "warning"],
  ]);
  deepStrictEqual([...watch.met], ["unexpected"]);
});

Deno.test("AlertWatch judges only fresh connections until a list changes or a minute passes", () => {
  let index = new BlocklistIndex([{ name: "ips.txt", list: parseBlocklist("9.9.9.9\n") }]);
  const watch = new AlertWatch(sources({ blocklists: () => index }));
  const old = connection({ remote_ip: "8.8.8.8" });
  deepStrictEqual(watch.check([old], 0).length, 0);
  // With the same index, only fresh connections are judged.
  const edited = new BlocklistIndex([{ name: "ips.txt", list: parseBlocklist("9.9.9.9\n8.8.8.8\n") }]);
  const fresh = connection({ remote_ip: "9.9.9.9" });
  deepStrictEqual(watch.check([old, fresh], 1_000, [fresh]).map((e) => e.connection.remote_ip), ["9.9.9.9"]);
  // A rebuilt index is a change: every connection is judged again.
  index = edited;
  deepStrictEqual(watch.check([old, fresh], 2_000, []).map((e) => e.connection.remote_ip), ["8.8.8.8"]);
  // And without a change, a minute later, too.
  const later = connection({ remote_ip: "8.8.4.4", pid: 9 });
  const expanded = new BlocklistIndex([{ name: "ips.txt", list: parseBlocklist("8.8.4.0/24\n") }]);
  const watchLater = new AlertWatch(sources({ blocklists: () => expanded }));
  deepStrictEqual(watchLater.check([], 0).length, 0);
  deepStrictEqual(watchLater.check([later], 30_000, []).length, 0);
  deepStrictEqual(watchLater.check([later], 61_000, []).length, 1);
});

function expectOnly(text: string, names: Map<string, string>): ThreatSources {
  const expected = new BlocklistIndex([{ name: "expect.txt", list: parseBlocklist(text) }]);
  return sources({
    expected: () => expected,
    expectedName: "expect.txt",
    names: (ip) => {
      const domain = names.get(ip);
      return domain === undefined ? null : { domain, chain: [domain], until: Infinity };
    },
  });
}

Deno.test("AlertWatch judges --expect by the domain asked: *. wildcards pass, others are UNEXPECTED naming the domain", () => {
  const names = new Map([["203.0.113.10", "api.allowed.example"], ["203.0.113.20", "api.blocked.example"]]);
  const watch = new AlertWatch(expectOnly("*.allowed.example\n", names));
  const allowed = connection({ remote_ip: "203.0.113.10", domain: "api.allowed.example" });
  const blocked = connection({ remote_ip: "203.0.113.20", local_port: 50001 });
  const alerts = watch.check([allowed, blocked]);
  deepStrictEqual(alerts.map((e) => [e.reason, e.connection.remote_ip, e.connection.domain]), [
    ["UNEXPECTED destination api.blocked.example (not in expect.txt)", "203.0.113.20", "api.blocked.example"],
  ]);
  deepStrictEqual([...watch.met], ["unexpected"]);
});

Deno.test("AlertWatch waits one check for a name before calling a connection UNEXPECTED", () => {
  const names = new Map<string, string>();
  const watch = new AlertWatch(expectOnly("*.allowed.example\n", names));
  const early = connection({ remote_ip: "203.0.113.10", timestamp: "2026-11-21T14:30:01.000+00:00" });
  deepStrictEqual(watch.check([early], 1_000, [early]), []);
  // The DNS answer was read after the poll that saw the connection: the next check knows the name.
  names.set("203.0.113.10", "api.allowed.example");
  deepStrictEqual(watch.check([early], 2_000, []), []);
  const stranger = connection({ remote_ip: "203.0.113.30", local_port: 50002 });
  deepStrictEqual(watch.check([stranger], 3_000, [stranger]), []);
  deepStrictEqual(watch.check([stranger], 4_000, []).map((e) => e.reason), [
    "UNEXPECTED destination (not in expect.txt)",
  ]);
});

Deno.test("AlertWatch judges host:port entries on the remote port", () => {
  const names = new Map([["203.0.113.10", "api.example.com"]]);
  const watch = new AlertWatch(expectOnly("api.example.com:443\n", names));
  const https = connection({ remote_ip: "203.0.113.10", remote_port: 443, domain: "api.example.com" });
  const plain = connection({
    remote_ip: "203.0.113.10",
    remote_port: 80,
    local_port: 50001,
    pid: 5,
    domain: "api.example.com",
  });
  deepStrictEqual(watch.check([https, plain]).map((e) => e.connection.remote_port), [80]);
});

Deno.test("AlertWatch matches block-list domains against the domain and its CNAME chain", () => {
  const index = new BlocklistIndex([{ name: "ips.txt", list: parseBlocklist("tracker.example\n") }]);
  const watch = new AlertWatch(sources({
    blocklists: () => index,
    names: () => ({ domain: "shop.example", chain: ["shop.example", "tracker.example"], until: Infinity }),
  }));
  // A public address: private and special ones (documentation ranges included) are not matched against lists.
  const alerts = watch.check([connection({ remote_ip: "1.2.3.4", domain: "shop.example" })]);
  deepStrictEqual(alerts.map((e) => e.reason), ["blocklist ips.txt:1 tracker.example"]);
});

Deno.test("AlertWatch judges connections that differ only in their remote port once, unless a list has host:port entries", () => {
  const asked: string[] = [];
  const clean = reputation("SAFE", 0);
  // 50 incoming connections from one address and process, each from its own port.
  const incoming = Array.from(
    { length: 50 },
    (_, i) => connection({ remote_ip: "9.9.9.9", remote_port: 40000 + i, direction: "incoming" }),
  );
  const plain = new AlertWatch(sources({ reputation: (ip) => (asked.push(ip), clean) }));
  deepStrictEqual(plain.check(incoming, 0), []);
  deepStrictEqual(asked.length, 1);
  // A host:port entry makes the port part of the verdict: each port is judged, and the listed one alerts.
  asked.length = 0;
  const ported = new BlocklistIndex([{ name: "ports.txt", list: parseBlocklist("9.9.9.9:40007\n") }]);
  const watch = new AlertWatch(
    sources({ blocklists: () => ported, reputation: (ip) => (asked.push(ip), clean) }),
  );
  deepStrictEqual(watch.check(incoming, 0).map((e) => e.connection.remote_port), [40007]);
  // Each port up to the listed one; after its alert the (remote, process) pair is not judged again.
  deepStrictEqual(asked.length, 8);
});
