import { deepStrictEqual, match } from "node:assert/strict";
import { SyslogOutput } from "../../lib/monitor/syslog_output.ts";
import { parseSyslogUrl } from "../../lib/parse/syslog_url.ts";
import type { EventFormat } from "../../lib/render/event_record.ts";
import { SyslogSink } from "../../lib/store/syslog_sink.ts";
import type { SyslogConnection } from "../../lib/store/syslog_transport.ts";
import { at, connection } from "./_connections.ts";

const CONTEXT = {
  host: { hostname: "ws1", os: "linux", arch: "x86_64" },
  product: { name: "conntrail", version: "0.1.0" },
};

/** A sink whose connection keeps what it is given, as one datagram per message. */
function recordingSink(): { sink: SyslogSink; datagrams: string[] } {
  const datagrams: string[] = [];
  const connection: SyslogConnection = {
    write(bytes) {
      datagrams.push(new TextDecoder().decode(bytes));
      return Promise.resolve();
    },
    broken: null,
    ended: new Promise(() => {}),
    close() {},
  };
  const sink = new SyslogSink(parseSyslogUrl("udp://127.0.0.1:514"), {
    note: () => {},
    connect: () => Promise.resolve(connection),
  });
  return { sink, datagrams };
}

const STATUS = {
  event: "STATUS" as const,
  timestamp: "t",
  active_rows: 1,
  connections: 1,
  unique_rows: 1,
  runtime_seconds: 10,
};

async function send(format: EventFormat) {
  const { sink, datagrams } = recordingSink();
  const output = new SyslogOutput([sink], { format, describe: () => ({}), context: CONTEXT, procId: 4242 });
  await output.onPoll(
    [
      { event: "NEW", connection: connection() },
      {
        event: "ALERT",
        connection: connection(),
        reason: "UNEXPECTED destination (not in allowed.txt)",
        severity: "warning",
        details: {},
      },
      {
        event: "ALERT",
        connection: connection(),
        reason: "blocklist ips.txt:1 203.0.113.7",
        severity: "error",
        details: { blocklist: "ips.txt:1 203.0.113.7" },
      },
    ],
    STATUS,
    at(0),
  );
  await output.close();
  return { datagrams, summary: output.summary() };
}

Deno.test("SyslogOutput sends one RFC 5424 message per event: MSGID the kind, severity by alert, JSON message", async () => {
  const { datagrams, summary } = await send("ndjson");
  const headers = datagrams.map((d) => d.slice(0, d.indexOf(" - ")));
  const stamp = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d\\d:\\d\\d";
  const expected = [["134", "NEW"], ["132", "ALERT"], ["131", "ALERT"], ["134", "STATUS"]];
  deepStrictEqual(headers.length, 4);
  headers.forEach((header, i) =>
    match(header, new RegExp(`^<${expected[i]?.[0]}>1 ${stamp} ws1 conntrail 4242 ${expected[i]?.[1]}$`))
  );
  deepStrictEqual(
    datagrams.map((d) => JSON.parse(d.slice(d.indexOf(" - ") + 3)).event),
    ["NEW", "ALERT", "ALERT", "STATUS"],
  );
  deepStrictEqual(summary, ["syslog udp://127.0.0.1:514: 4 events sent, 0 dropped"]);
});

Deno.test("SyslogOutput in ECS or OCSF sends no STATUS (neither schema has a record for it)", async () => {
  for (const format of ["ecs", "ocsf"] as const) {
    const { datagrams } = await send(format);
    deepStrictEqual(datagrams.map((d) => d.split(" ")[5]), ["NEW", "ALERT", "ALERT"], format);
  }
});
