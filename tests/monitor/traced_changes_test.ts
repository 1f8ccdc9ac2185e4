import { deepStrictEqual } from "node:assert/strict";
import { tracedChanges } from "../../lib/monitor/traced_changes.ts";
import { parseBpftraceTrace } from "../../lib/parse/bpftrace_trace.ts";
import { parseSs } from "../../lib/parse/ss.ts";
import { parseSsEvents } from "../../lib/parse/ss_events.ts";
import { isoWithOffset } from "../../lib/model/timestamp.ts";
import { fixture } from "../fixture.ts";

Deno.test("tracedChanges() stamps each event with its own time and keeps the hook's direction", () => {
  const { events } = parseBpftraceTrace(fixture("bpftrace-conntrail-trace_bpftrace-0.17_debian12.txt"));
  const changes = tracedChanges(events, [], () => true);
  deepStrictEqual(changes.length, events.length);
  const first = changes[0];
  deepStrictEqual(first?.connection.timestamp, isoWithOffset(new Date(events[0]?.at ?? 0)));
  deepStrictEqual(
    changes.filter((c) => c.kind === "open").every((c) => c.connection.direction !== "unknown"),
    true,
  );
  deepStrictEqual("inode" in (first?.connection ?? {}), false);
});

Deno.test("tracedChanges() derives ss -E directions from the poll's listeners, and applies the filters", () => {
  const { events } = parseSsEvents(fixture("ss-E-tunH-e_iproute2-6.1_debian12.txt"), 0);
  // The poll before saw the listener on 53709 (the one ss -E later reports closed).
  const polled = parseSs("tcp LISTEN 0 128 *:53709 *:*").sockets;
  const changes = tracedChanges(events, polled, (c) => c.protocol === "TCP");
  deepStrictEqual(
    changes.map((c) => [c.connection.local_port, c.connection.direction, c.keep]),
    [
      [57831, "outgoing", true],
      [57126, "outgoing", true],
      [53709, "incoming", true],
      [40414, "outgoing", true],
      // A closed socket without a peer: a listener or an unbound one, ss -E cannot tell.
      [53709, "unknown", true],
      [50443, "outgoing", false],
      [57831, "unknown", true],
    ],
  );
});
