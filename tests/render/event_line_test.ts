import { deepStrictEqual } from "node:assert/strict";
import { eventJson, eventLine } from "../../lib/render/event_line.ts";
import { logRecord } from "../../lib/render/log_records.ts";
import { connection, listener } from "../monitor/_connections.ts";

const at = new Date(2026, 10, 21, 14, 30, 16);

Deno.test("eventLine() tells two connections to the same place apart by the client's port", () => {
  const lines = [50000, 50001].map((port) =>
    eventLine({ event: "NEW", connection: connection({ remote_ip: "8.8.8.8", local_port: port }) }, {}, at)
  );
  deepStrictEqual(lines, [
    "[14:30:16] NEW → 8.8.8.8 ESTABLISHED:443 firefox (4211) from :50000",
    "[14:30:16] NEW → 8.8.8.8 ESTABLISHED:443 firefox (4211) from :50001",
  ]);
  // Coming in, the local port is the service's: the peer's port is what differs.
  const incoming = connection({
    direction: "incoming",
    local_port: 22,
    remote_ip: "198.51.100.7",
    remote_port: 51234,
    process_name: "sshd",
    pid: 812,
  });
  deepStrictEqual(
    eventLine({ event: "NEW", connection: incoming }, {}, at),
    "[14:30:16] NEW ← 198.51.100.7 ESTABLISHED:22 sshd (812) from :51234",
  );
  deepStrictEqual(
    eventLine({ event: "NEW", connection: listener(22) }, {}, at),
    "[14:30:16] NEW ○ 0.0.0.0 LISTEN:22 sshd (812)",
  );
});

Deno.test("CLOSED says how long the connection lasted: line, NDJSON duration_s, and each log format", () => {
  const event = { event: "CLOSED" as const, connection: connection(), duration_s: 3725.5 };
  deepStrictEqual(
    eventLine(event, {}, at),
    "[14:30:16] CLOSED → 203.0.113.7 ESTABLISHED:443 firefox (4211) from :50000 after 1h 2m",
  );
  deepStrictEqual(JSON.parse(eventJson(event, {})).duration_s, 3725.5);
  deepStrictEqual(logRecord(event, {}, "txt").trimEnd().endsWith("| Duration: 3725.5s"), true);
  // The domain column comes last (empty: no DNS answers were read).
  deepStrictEqual(logRecord(event, {}, "csv").trimEnd().endsWith(",3725.5,"), true);
  deepStrictEqual(JSON.parse(logRecord(event, {}, "json")).duration_s, 3725.5);
  // A NEW has no duration.
  deepStrictEqual(
    "duration_s" in JSON.parse(eventJson({ event: "NEW", connection: connection() }, {})),
    false,
  );
});
