import { deepStrictEqual } from "node:assert/strict";
import { syslogMessage } from "../../lib/render/syslog_message.ts";

const HEADER = {
  facility: 16,
  severity: 6,
  timestamp: "2026-11-21T14:30:16.250+01:00",
  hostname: "ws1",
  appName: "conntrail",
  procId: 4242,
  msgId: "NEW",
};

Deno.test("syslogMessage() writes PRI, version 1, the header fields and the message after the nil SD", () => {
  deepStrictEqual(
    syslogMessage(HEADER, '{"x":"a b"}'),
    '<134>1 2026-11-21T14:30:16.250+01:00 ws1 conntrail 4242 NEW - {"x":"a b"}',
  );
  deepStrictEqual(syslogMessage({ ...HEADER, facility: 16, severity: 3 }, "m").slice(0, 5), "<131>");
});

Deno.test("syslogMessage() makes header fields printable ASCII, cuts them to RFC 5424 lengths, nil when empty", () => {
  const message = syslogMessage({
    ...HEADER,
    hostname: "wö rk\x1b[31m" + "h".repeat(300),
    appName: "",
    procId: null,
    msgId: "x".repeat(40),
    timestamp: "yesterday",
  }, "m");
  const [pri, time, host, app, proc, msgid, sd, body] = message.split(" ");
  deepStrictEqual([pri, time, app, proc, sd, body], ["<134>1", "-", "-", "-", "-", "m"]);
  deepStrictEqual(host?.length, 255);
  deepStrictEqual(host?.slice(0, 10), "w__rk_[31m");
  deepStrictEqual(msgid, "x".repeat(32));
});
