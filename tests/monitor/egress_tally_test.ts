import { deepStrictEqual } from "node:assert/strict";
import { EgressTally } from "../../lib/monitor/egress_tally.ts";
import type { ConnectionEvent } from "../../lib/model/monitor_event.ts";
import { at, connection, listener } from "./_connections.ts";

const fresh = (overrides: Parameters<typeof connection>[0]): ConnectionEvent => ({
  event: "NEW",
  connection: connection(overrides),
});

Deno.test("EgressTally keeps one destination per address with its ports, processes, first sighting and count", () => {
  const tally = new EgressTally({
    describe: (ip) => ({ country: ip === "198.51.100.7" ? "NL" : null }),
    expect: null,
  });
  tally.record([
    fresh({ remote_ip: "198.51.100.7", remote_port: 443, process_name: "curl", timestamp: "T1" }),
    fresh({ remote_ip: "198.51.100.8", remote_port: 80, process_name: "git", timestamp: "T2" }),
  ]);
  tally.record([
    fresh({
      remote_ip: "198.51.100.7",
      remote_port: 8443,
      process_name: "git",
      local_port: 50001,
      timestamp: "T3",
    }),
    fresh({
      remote_ip: "198.51.100.7",
      remote_port: 443,
      process_name: "curl",
      local_port: 50002,
      timestamp: "T4",
    }),
    { event: "CLOSED", connection: connection({ remote_ip: "198.51.100.7" }) },
  ]);
  const summary = tally.summary(at(0), at(60));
  deepStrictEqual(
    summary.destinations.map((
      d,
    ) => [d.name, d.ports.map((p) => p.port), d.processes, d.first_seen, d.connections]),
    [["198.51.100.7", [443, 8443], ["curl", "git"], "T1", 3], ["198.51.100.8", [80], ["git"], "T2", 1]],
  );
  deepStrictEqual(summary.destinations.map((d) => d.country), ["NL", null]);
  deepStrictEqual(summary.connections, 4);
});

Deno.test("EgressTally leaves out incoming, listening and loopback connections, counting loopback", () => {
  const tally = new EgressTally({ describe: () => ({}), expect: null });
  tally.record([
    { event: "NEW", connection: listener(22) },
    fresh({ direction: "incoming", remote_ip: "198.51.100.1" }),
    fresh({ remote_ip: "127.0.0.53", remote_port: 53, protocol: "UDP" }),
    fresh({ remote_ip: "::1" }),
  ]);
  const summary = tally.summary(at(0), at(1));
  deepStrictEqual([summary.destinations.length, summary.connections, summary.loopback], [0, 0, 2]);
});

Deno.test("EgressTally names a destination by the domain asked for, with every address under it", () => {
  const tally = new EgressTally({
    describe: () => ({}),
    expect: null,
    domainOf: (c) => c.remote_ip?.startsWith("203.0.113.") ? "API.Example.com." : null,
  });
  tally.record([
    fresh({ remote_ip: "203.0.113.5" }),
    fresh({ remote_ip: "203.0.113.6" }),
    fresh({ remote_ip: "198.51.100.7" }),
  ]);
  deepStrictEqual(
    tally.summary(at(0), at(1)).destinations.map((d) => [d.name, d.isDomain, d.addresses]),
    [["api.example.com", true, ["203.0.113.5", "203.0.113.6"]], ["198.51.100.7", false, ["198.51.100.7"]]],
  );
});

Deno.test("EgressTally marks a destination with its alerts' conditions and lists the alerts", () => {
  const tally = new EgressTally({ describe: () => ({}), expect: "allowed.txt" });
  const unexpected = connection({
    remote_ip: "198.51.100.9",
    remote_port: 8080,
    process_name: "python3",
    pid: 77,
  });
  tally.record([
    { event: "NEW", connection: unexpected },
    fresh({ remote_ip: "198.51.100.1" }),
    {
      event: "ALERT",
      connection: unexpected,
      reason: "UNEXPECTED destination (not in allowed.txt)",
      severity: "warning",
      conditions: ["unexpected"],
    },
  ]);
  const summary = tally.summary(at(0), at(1));
  deepStrictEqual(summary.destinations.map((d) => [d.name, d.conditions]), [
    ["198.51.100.9", ["unexpected"]],
    ["198.51.100.1", []],
  ]);
  deepStrictEqual(summary.alerts.map((a) => [a.destination, a.port, a.process_name, a.pid, a.severity]), [
    ["198.51.100.9", 8080, "python3", 77, "warning"],
  ]);
  deepStrictEqual(summary.expect, "allowed.txt");
});

Deno.test("EgressTally keeps at most the bound of destinations and alerts, counting the rest", () => {
  const tally = new EgressTally({ describe: () => ({}), expect: null, maxDestinations: 2, maxAlerts: 1 });
  const events: ConnectionEvent[] = [1, 2, 3, 4].map((n) => fresh({ remote_ip: `198.51.100.${n}` }));
  for (const n of [1, 2, 3]) {
    events.push({ event: "ALERT", connection: connection({ remote_ip: `198.51.100.${n}` }), conditions: [] });
  }
  tally.record(events);
  const summary = tally.summary(at(0), at(1));
  deepStrictEqual(
    [summary.destinations.length, summary.droppedDestinations, summary.alerts.length, summary.droppedAlerts],
    [2, 2, 1, 2],
  );
  deepStrictEqual(summary.connections, 4);
});

Deno.test("EgressTally names the process a later poll learned for a connection reported without one", () => {
  // A socket waits at most 3 s for the walk that names its process; a CI job's connection reported before
  // then showed "unknown" in the summary and the learned expect file even after a walk named python3.
  const tally = new EgressTally({ describe: () => ({}), expect: null });
  const unowned = { remote_ip: "198.51.100.7", pid: null, process_name: null, process_path: null };
  tally.record([fresh({ ...unowned, local_port: 50001 }), fresh({ ...unowned, local_port: 50002 })]);
  deepStrictEqual(tally.summary(at(0), at(1)).destinations[0]?.processes, [null]);
  tally.ownersLearned([
    connection({ remote_ip: "198.51.100.7", local_port: 50001, process_name: "python3" }),
  ]);
  deepStrictEqual(
    tally.summary(at(0), at(2)).destinations[0]?.processes,
    ["python3", null],
    "one still unknown",
  );
  tally.ownersLearned([
    connection({ remote_ip: "198.51.100.7", local_port: 50002, process_name: "python3" }),
  ]);
  deepStrictEqual(tally.summary(at(0), at(3)).destinations[0]?.processes, ["python3"]);
  tally.ownersLearned([connection({ remote_ip: "198.51.100.7", local_port: 50003, process_name: "curl" })]);
  deepStrictEqual(
    tally.summary(at(0), at(4)).destinations[0]?.processes,
    ["python3"],
    "no unknown left to name",
  );
});
