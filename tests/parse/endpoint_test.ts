import { deepStrictEqual } from "node:assert/strict";
import { normalizeIp, parseEndpoint } from "../../lib/parse/endpoint.ts";

Deno.test("parseEndpoint() reads every address shape the tools print", () => {
  const cases: [string, ":" | ".", [string, number, number | null] | null][] = [
    ["*:*", ":", ["0.0.0.0", 4, null]],
    ["[::]:*", ":", ["::", 6, null]],
    [":::22", ":", ["::", 6, 22]],
    ["::1:47126", ":", ["::1", 6, 47126]],
    ["0.0.0.0%virbr0:67", ":", ["0.0.0.0", 4, 67]],
    ["[fe80::f5d1:8bf7:c410:e325%64]:52284", ":", ["fe80::f5d1:8bf7:c410:e325", 6, 52284]],
    ["[::ffff:192.0.2.1]:443", ":", ["192.0.2.1", 4, 443]],
    ["127.0.0.53%lo:domain", ":", ["127.0.0.53", 4, 53]],
    ["fe80::1%lo0.48126", ".", ["fe80::1", 6, 48126]],
    ["192.168.1.221.5486", ".", ["192.168.1.221", 4, 5486]],
    ["2600:1700:bab0:d.5", ".", null], // a column netstat cut short
    ["host.example:80", ":", null],
    ["1.2.3.4:99999", ":", null],
  ];
  for (const [text, separator, expected] of cases) {
    const endpoint = parseEndpoint(text, { separator });
    deepStrictEqual(endpoint === null ? null : [endpoint.ip, endpoint.family, endpoint.port], expected, text);
  }
});

Deno.test("normalizeIp() writes IPv6 in canonical lower case", () => {
  deepStrictEqual(normalizeIp("2001:DB8:0:0:0:0:0:1"), { ip: "2001:db8::1", family: 6 });
  deepStrictEqual(normalizeIp("999.1.1.1"), null);
});
