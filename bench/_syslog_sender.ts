/**
 * One sender for bench/syslog_bench.ts, run as its own process so its CPU and
 * memory are its own: renders N connection events (NEW, outgoing, with
 * country and AS) in a format and sends them through the real syslog sink,
 * a poll of 1,000 events at a time, never letting the queue pass its bound
 * (each poll waits while more than half the bound is queued, as a monitor
 * whose receiver keeps up would). Prints what it did as JSON.
 *
 * Usage: deno run --allow-all bench/_syslog_sender.ts FORMAT udp|tcp PORT N
 */
import type { Connection } from "../lib/model/connection.ts";
import { SyslogOutput } from "../lib/monitor/syslog_output.ts";
import { parseSyslogUrl } from "../lib/parse/syslog_url.ts";
import type { EventFormat } from "../lib/render/event_record.ts";
import { SYSLOG_QUEUE_LIMIT, SyslogSink } from "../lib/store/syslog_sink.ts";
import { syslogConnector } from "../lib/store/syslog_transport.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";

const platform = denoPlatform();
const connect = syslogConnector(platform.network);

const [format = "ecs", transport = "tcp", port = "514", count = "100000"] = Deno.args;
const N = Number(count);
const POLL = 1_000;

function connection(n: number): Connection {
  const v = 0x0b000000 + n;
  return {
    timestamp: "2026-11-21T14:30:16.250+01:00",
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: 1024 + (n % 60_000),
    remote_ip: `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`,
    remote_port: 443,
    status: "ESTABLISHED",
    direction: "outgoing",
    pid: 4211,
    process_name: "firefox",
    process_path: "/usr/lib/firefox/firefox",
    user: "ana",
  };
}

const sink = new SyslogSink(parseSyslogUrl(`${transport}://127.0.0.1:${port}`), { note: () => {}, connect });
const output = new SyslogOutput([sink], {
  format: format as EventFormat,
  describe: () => ({ hostname: "host.example.org", country: "US", asn: 15169, as_org: "Google LLC" }),
  context: {
    host: { hostname: "bench", os: "linux", arch: "x86_64" },
    product: { name: "conntrail", version: "bench" },
  },
  procId: Deno.pid,
});
const at = new Date();
const started = performance.now();
for (let i = 0; i < N; i += POLL) {
  const events = [];
  for (let j = i; j < Math.min(N, i + POLL); j++) {
    events.push({ event: "NEW" as const, connection: connection(j) });
  }
  await output.onPoll(events, null, at);
  while (sink.queued > SYSLOG_QUEUE_LIMIT / 2) await new Promise((resolve) => setTimeout(resolve, 1));
}
await output.close();
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ ...sink.stats, seconds }));
