import { deepStrictEqual } from "node:assert/strict";
import { parseSsEventLine, parseSsEvents } from "../../lib/parse/ss_events.ts";
import { fixture } from "../fixture.ts";

Deno.test("parseSsEvents() reads real ss -E output as root (-e adds ino:0 sk:…) as closes", () => {
  const { events, skipped } = parseSsEvents(fixture("ss-E-tunH-e_iproute2-6.1_debian12.txt"), 1234);
  deepStrictEqual(skipped, []);
  deepStrictEqual(events.length, 7);
  deepStrictEqual(events.every((e) => e.kind === "close" && e.at === 1234 && e.direction === null), true);
  deepStrictEqual(events.every((e) => e.socket.pid === null && e.socket.inode === null), true);
  deepStrictEqual(
    events.map((e) => [e.socket.protocol, e.socket.local_port, e.socket.remote_ip, e.socket.status]),
    [
      ["TCP", 57831, "127.0.0.1", "CLOSE"],
      ["TCP", 57126, "127.0.0.1", "CLOSE"],
      ["TCP", 53709, "127.0.0.1", "CLOSE"],
      ["TCP", 40414, "127.0.0.1", "CLOSE"],
      ["TCP", 53709, null, "CLOSE"],
      ["UDP", 50443, "::1", "CONNECTED"],
      ["TCP", 57831, null, "CLOSE"],
    ],
  );
});

Deno.test("parseSsEvents() reads the non-root capture and skips the line cut short", () => {
  const { events, skipped } = parseSsEvents(fixture("ss-E-tunH_iproute2-6.1_debian12_nonroot.txt"), 0);
  deepStrictEqual(events.length, 7);
  deepStrictEqual(skipped, [{
    line: "tcp UNCONN 1      0      127.0.0.1:5",
    reason: "not a line of ss output",
  }]);
});

Deno.test("parseSsEventLine() reads mapped addresses as IPv4 and rejects other families", () => {
  const event = parseSsEventLine(
    "tcp UNCONN 1      0      [::ffff:127.0.0.1]:53709 [::ffff:127.0.0.1]:40414",
    5,
  );
  deepStrictEqual(typeof event === "object" && [event?.socket.family, event?.socket.local_ip], [
    4,
    "127.0.0.1",
  ]);
  deepStrictEqual(parseSsEventLine("   ", 0), null);
  deepStrictEqual(parseSsEventLine("nl UNCONN 0 0 rtnl:kernel *", 0), 'not a TCP or UDP socket ("nl")');
  deepStrictEqual(parseSsEventLine("\x1b[2Jgarbage", 0), "not a line of ss output");
});
