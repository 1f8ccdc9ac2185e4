import { deepStrictEqual } from "node:assert/strict";
import { BlocklistIndex } from "../../lib/enrich/blocklist_index.ts";
import type { ThreatSources } from "../../lib/enrich/threat_verdict.ts";
import { pollAlerts, type ThreatIntel } from "../../lib/cli/threat_intel.ts";
import { AlertWatch } from "../../lib/monitor/alert_watch.ts";
import { parseBlocklist } from "../../lib/parse/blocklist.ts";
import { connection } from "../monitor/_connections.ts";

Deno.test("pollAlerts() stamps a connection judged again a minute later with that poll's time, not the stamp it was first listed with", () => {
  let index = new BlocklistIndex([{ name: "ips.txt", list: parseBlocklist("9.9.9.9\n") }]);
  const sources: ThreatSources = {
    blocklists: () => index,
    reputation: null,
    expected: null,
    includePrivate: false,
  };
  let refreshed = 0;
  // Only refreshSoon is used by the hook: the lists are the index above.
  const threat = { sources, refreshSoon: () => refreshed++ } as unknown as ThreatIntel;
  const alerts = pollAlerts(threat, new AlertWatch(sources));
  // Unchanged since the first poll: the collector's memory gives the same object, stamped then.
  const open = connection({ remote_ip: "8.8.8.8", timestamp: "2026-11-21T14:30:00.000+00:00" });
  deepStrictEqual(
    alerts([open], [{ event: "NEW", connection: open }], new Date("2026-11-21T14:30:00.000Z")),
    [],
  );
  index = new BlocklistIndex([{ name: "ips.txt", list: parseBlocklist("8.8.8.8\n") }]);
  const raised = alerts([open], [], new Date("2026-11-21T14:31:05.000Z"));
  deepStrictEqual(raised.map((e) => [e.event, e.connection.remote_ip, e.connection.timestamp]), [
    ["ALERT", "8.8.8.8", "2026-11-21T14:31:05.000+00:00"],
  ]);
  deepStrictEqual(open.timestamp, "2026-11-21T14:30:00.000+00:00");
  deepStrictEqual(refreshed, 2);
});
