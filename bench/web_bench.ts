/**
 * The web page's hot paths at 10,000 established loopback connections
 * (20,000 sockets) plus 1,000 connected UDP sockets, each group against
 * `ss -tunap` run in the same process at the same moment (the baseline):
 *
 *   filter: `captureFilters` over every live connection (what `conntrail filter` and "select all" build)
 *   poll:   one poll's work for the page, `LiveView.onPoll` with every connection new, then serialised
 *           as the `update` event the stream sends
 *   state:  `LiveView.state()` serialised: what a page gets when it connects
 */
import { createSsCollector } from "../lib/collect/ss_collector.ts";
import { toolRunner } from "../lib/collect/run_tool.ts";
import { captureFilters } from "../lib/model/capture_filter.ts";
import { toConnections } from "../lib/model/direction.ts";
import { Tracker } from "../lib/monitor/tracker.ts";
import { sseEvent } from "../lib/web/event_stream.ts";
import { LiveView } from "../lib/web/live_view.ts";
import { startSocketFarm } from "./_socket_farm.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const CONNECTIONS = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 10_000);
const UDP = Number(Deno.env.get("BENCH_UDP") ?? 1_000);
const farm = await startSocketFarm(CONNECTIONS, UDP);
globalThis.addEventListener("unload", () => farm.stop());

const connections = toConnections(
  (await createSsCollector({ platform }).collect()).sockets,
  new Date().toISOString(),
);
const filters = captureFilters(connections);
console.log(
  `${connections.length.toLocaleString("en")} connections: ${
    filters.clauses.toLocaleString("en")
  } filter clauses, ` +
    `BPF ${filters.bpf.length.toLocaleString("en")} characters`,
);

function pagePoll(): { view: LiveView; bytes: number } {
  const tracker = new Tracker({ width: 60, groupBy: "process", maxClosedRows: 2000 });
  let bytes = 0;
  const view = new LiveView(tracker, {
    timeUnitSeconds: 1,
    width: 60,
    describe: () => ({ country: null, asn: null, as_org: null }),
    risk: () => ({}),
    publish: (event, data) => (bytes += sseEvent(event, data).length),
  });
  const at = new Date();
  const events = tracker.update(connections, at);
  view.onPoll(events, null, at);
  return { view, bytes };
}
const { view, bytes } = pagePoll();
console.log(
  `first update event ${(bytes / 1024).toFixed(0)} KiB, state event ${
    (sseEvent("state", view.state()).length / 1024).toFixed(0)
  } KiB`,
);

const ssBaseline = async () => {
  await toolRunner(platform.programs)("ss", ["-tunap"]);
};
for (const group of ["filter", "poll", "state"]) {
  Deno.bench({ name: "ss -tunap (baseline)", group, baseline: true, fn: ssBaseline });
}
Deno.bench({
  name: "captureFilters, every connection",
  group: "filter",
  fn: () => void captureFilters(connections),
});
Deno.bench({ name: "LiveView poll, every connection new", group: "poll", fn: () => void pagePoll() });
Deno.bench({
  name: "LiveView.state() as an event",
  group: "state",
  fn: () => void sseEvent("state", view.state()),
});
