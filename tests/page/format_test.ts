import { deepStrictEqual } from "node:assert/strict";
import { endpoint, ipSortKey, span } from "../../web/format.js";

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
