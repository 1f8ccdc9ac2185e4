import { deepStrictEqual, throws } from "node:assert/strict";
import { parseSyslogUrl, syslogNetHosts } from "../../lib/parse/syslog_url.ts";

Deno.test("parseSyslogUrl() reads udp, tcp and tls URLs with names, IPv4 and bracketed IPv6, default ports", () => {
  deepStrictEqual(parseSyslogUrl("udp://10.0.0.5"), {
    transport: "udp",
    host: "10.0.0.5",
    port: 514,
    url: "udp://10.0.0.5:514",
  });
  deepStrictEqual(parseSyslogUrl("TCP://Logs.Example.org:601/"), {
    transport: "tcp",
    host: "Logs.Example.org",
    port: 601,
    url: "tcp://Logs.Example.org:601",
  });
  deepStrictEqual(parseSyslogUrl("tls://[2001:db8::5]:6514"), {
    transport: "tls",
    host: "2001:db8::5",
    port: 6514,
    url: "tls://[2001:db8::5]:6514",
  });
  deepStrictEqual(parseSyslogUrl("tls://siem.internal").port, 6514);
});

Deno.test("parseSyslogUrl() refuses other schemes, paths, credentials, bad hosts and ports", () => {
  for (
    const [text, message] of [
      ["http://logs.example.org", /starts with udp:\/\/, tcp:\/\/ or tls:\/\/, not http:\/\//],
      ["logs.example.org:514", /is not a syslog URL/],
      ["tcp://user@logs.example.org", /is not a syslog URL/],
      ["tcp://logs.example.org/path", /is not a syslog URL/],
      ["tcp://logs.example.org:0", /the port must be 1 to 65535/],
      ["tcp://logs.example.org:70000", /the port must be 1 to 65535/],
      ["udp://bad_host$:514", /is not a syslog URL|is not a host name/],
      ["udp://-bad.example", /is not a host name/],
      ["udp://[not-v6]", /is not a host name/],
      ["udp://", /is not a host name/],
    ] as const
  ) {
    throws(
      () => parseSyslogUrl(text),
      (error: Error) => error instanceof SyntaxError && message.test(error.message),
    );
  }
});

Deno.test("syslogNetHosts() scopes TCP and TLS to host:port, UDP IPs with the local bind, UDP names unscoped", () => {
  deepStrictEqual(syslogNetHosts(parseSyslogUrl("tls://siem.internal")), ["siem.internal:6514"]);
  deepStrictEqual(syslogNetHosts(parseSyslogUrl("udp://10.0.0.5")), ["10.0.0.5:514", "0.0.0.0:0"]);
  deepStrictEqual(syslogNetHosts(parseSyslogUrl("udp://[::1]:5514")), ["[::1]:5514", "[::]:0"]);
  deepStrictEqual(syslogNetHosts(parseSyslogUrl("udp://siem.internal")), null);
});
