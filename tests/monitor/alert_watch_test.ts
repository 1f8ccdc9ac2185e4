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
