import { deepStrictEqual } from "node:assert/strict";
import {
  clock,
  count,
  dateTime,
  endpoint,
  ipSortKey,
  paceStatus,
  span,
  visibleText,
} from "../../web/format.js";

Deno.test("ipSortKey() orders addresses by number: IPv4 before IPv6, 127.20.0.2 before 127.20.0.100", () => {
  const ips = [
    "::1",
    "127.20.0.100",
    "10.0.0.1",
    "2001:db8::1",
    "127.20.0.2",
    "::ffff:1.2.3.4",
    "fe80::1%eth0",
  ];
  deepStrictEqual([...ips].sort((a, b) => ipSortKey(a) < ipSortKey(b) ? -1 : 1), [
    "10.0.0.1",
    "127.20.0.2",
    "127.20.0.100",
    "::1",
    "::ffff:1.2.3.4",
    "2001:db8::1",
    "fe80::1%eth0",
  ]);
  deepStrictEqual(ipSortKey("2001:db8::1"), "6" + "20010db8" + "0".repeat(23) + "1");
  deepStrictEqual(ipSortKey("::ffff:1.2.3.4") === ipSortKey("0:0:0:0:0:ffff:102:304"), true);
  deepStrictEqual(ipSortKey(null) > ipSortKey("ffff::"), true);
});

Deno.test("endpoint() and span() write addresses and durations short", () => {
  deepStrictEqual([endpoint("::1", 53), endpoint("10.0.0.1", null), endpoint(null, null)], [
    "[::1]:53",
    "10.0.0.1",
    "*",
  ]);
  deepStrictEqual([span(0.184), span(12), span(600), span(7200)], ["0.18s", "12s", "10m", "2h"]);
});

Deno.test("count(), clock() and dateTime() write numbers and local times without Intl", () => {
  deepStrictEqual([count(7), count(1234), count(21034), count(1234567)], [
    "7",
    "1,234",
    "21,034",
    "1,234,567",
  ]);
  const at = new Date(2026, 11, 2, 9, 5, 7).getTime();
  deepStrictEqual([clock(at), clock(at, { minutes: true }), dateTime(at)], [
    "09:05:07",
    "09:05",
    "2026-12-02 09:05:07",
  ]);
  deepStrictEqual([clock(null), clock("not a time"), dateTime(undefined)], ["", "", "-"]);
});

Deno.test("paceStatus() counts one tick in the singular and quotes the slowest poll of the last minute", () => {
  const pace = { tick_ms: 1000, poll_ms: 250 };
  deepStrictEqual(paceStatus(pace, { missed: 1, slowestMs: 1400 }), {
    text: "1 tick had no poll in the last minute (the slowest poll in it took 1.4s; the time unit is 1s)",
    kind: "slow",
  });
  deepStrictEqual(
    paceStatus(pace, { missed: 1200, slowestMs: 17_000 }).text,
    "1,200 ticks had no poll in the last minute (the slowest poll in it took 17s; the time unit is 1s)",
  );
  deepStrictEqual(paceStatus(pace, { missed: 0, slowestMs: 17_000 }), {
    text: "a poll takes 0.25s of 1s",
    kind: "live",
  });
  deepStrictEqual(paceStatus({ tick_ms: 1000, poll_ms: 1400 }, { missed: 3, slowestMs: 1400 }), {
    text: "a poll takes 1.4s, more than the 1s time unit",
    kind: "slow",
  });
});

Deno.test("visibleText() shows controls and bidi overrides as escapes, and leaves other text alone", () => {
  deepStrictEqual(visibleText("invoice\u202egpj.exe"), "invoice\\u202egpj.exe");
  deepStrictEqual(visibleText("a\u2066b\u2069\x1b[2J\n\x9b"), "a\\u2066b\\u2069\\x1b[2J\\x0a\\x9b");
  deepStrictEqual(visibleText("名前 é 😀 <img src=x>"), "名前 é 😀 <img src=x>");
});
