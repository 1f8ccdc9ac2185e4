import { deepStrictEqual } from "node:assert/strict";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { type LiveUpdate, LiveView } from "../../lib/web/live_view.ts";
import { connection } from "../monitor/_connections.ts";

function liveView(names: Map<string, string>) {
  const tracker = new Tracker({ width: 20, groupBy: "process", maxClosedRows: 100 });
  const updates: LiveUpdate[] = [];
  const view = new LiveView(tracker, {
    timeUnitSeconds: 1,
    width: 20,
    describe: (ip) => ({ hostname: names.get(ip) }),
    risk: () => ({}),
    publish: (update) => updates.push(update),
  });
  const poll = async (connections: ReturnType<typeof connection>[], second: number) => {
    const at = new Date(second * 1000);
    await view.onPoll(tracker.update(connections, at), null, at);
    return updates.at(-1)!;
  };
  return { view, poll };
}

Deno.test("LiveView publishes new, changed and closed connections, and treats TIME_WAIT as closed", async () => {
  const { view, poll } = liveView(new Map());
  const a = connection();
  const b = connection({ local_port: 50001 });
  const first = await poll([a, b], 0);
  deepStrictEqual(first.added.map((c) => c.local_port), [50000, 50001]);
  deepStrictEqual(first.processes.map((p) => [p.label, p.open, p.timeline.at(-1)]), [[
    "firefox (4211)",
    2,
    "▲",
  ]]);
  const second = await poll([{ ...a, status: "CLOSE_WAIT" }, { ...b, status: "TIME_WAIT" }], 1);
  deepStrictEqual(second.changed.map((c) => [c.local_port, c.status]), [[50000, "CLOSE_WAIT"]]);
  deepStrictEqual(second.removed.length, 1);
  const third = await poll([], 2);
  deepStrictEqual(third.removed.length, 1);
  deepStrictEqual(view.state().connections, []);
});

Deno.test("LiveView sends an address again only when what is known about it changes", async () => {
  const names = new Map<string, string>();
  const { view, poll } = liveView(names);
  const c = connection();
  deepStrictEqual((await poll([c], 0)).addresses, { "203.0.113.7": { hostname: undefined, alerted: false } });
  deepStrictEqual((await poll([c], 1)).addresses, {});
  names.set("203.0.113.7", "<img src=x onerror=alert(1)>");
  deepStrictEqual((await poll([c], 2)).addresses["203.0.113.7"]?.hostname, "<img src=x onerror=alert(1)>");
  deepStrictEqual(view.connections([view.state().connections[0]!.key, "no such key"]), [c]);
});

Deno.test("LiveView sends a connection again when a later poll names its process", async () => {
  const { view, poll } = liveView(new Map());
  const owned = connection();
  const first = await poll([{ ...owned, pid: null, process_name: null, process_path: null }], 0);
  deepStrictEqual(first.added.map((c) => c.process_key), ["- "]);
  const second = await poll([owned], 1);
  deepStrictEqual(second.changed.map((c) => [c.pid, c.process_name, c.process_key]), [[
    4211,
    "firefox",
    "4211 firefox",
  ]]);
  deepStrictEqual(view.state().connections.map((c) => c.process_name), ["firefox"]);
  deepStrictEqual((await poll([owned], 2)).changed, []);
});
