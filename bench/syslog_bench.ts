/**
 * What the syslog sink sustains: 100,000 connection events rendered as ECS
 * or OCSF and sent over TCP (octet-counted) or UDP to a receiver on loopback
 * (in this process: it counts frames and datagrams), each sender a process of
 * its own under /usr/bin/time with the monitor's heap flags. Prints events/s, CPU (user + system) per 10,000
 * events above the same process sending nothing, and peak RSS; beside util-linux
 * `logger --tcp --octet-count` sending the same 100,000 pre-rendered ECS lines
 * (the baseline: a syslog client that renders nothing).
 */
import { fileURLToPath } from "node:url";
import dgram from "node:dgram";
import { MONITOR_V8_FLAGS } from "../lib/cli/permissions.ts";
import { ecsEvent } from "../lib/render/ecs_event.ts";

const SENDER = fileURLToPath(new URL("./_syslog_sender.ts", import.meta.url));
const N = Number(Deno.env.get("BENCH_EVENTS") ?? 100_000);

/** A TCP receiver counting octet-counted frames (or newline-ended lines, as logger may send). */
function tcpReceiver(): { port: number; count: () => number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let frames = 0;
  (async () => {
    for await (const conn of listener) {
      (async () => {
        let pending = new Uint8Array(0);
        for await (const chunk of conn.readable) {
          const joined = new Uint8Array(pending.length + chunk.length);
          joined.set(pending);
          joined.set(chunk, pending.length);
          let at = 0;
          for (;;) {
            const space = joined.indexOf(32, at);
            if (space < 0) break;
            let length = 0;
            for (let i = at; i < space; i++) length = length * 10 + (joined[i] as number) - 48;
            if (joined.length < space + 1 + length) break;
            frames++;
            at = space + 1 + length;
          }
          pending = joined.slice(at);
        }
      })().catch(() => {});
    }
  })().catch(() => {});
  return { port: listener.addr.port, count: () => frames, close: () => listener.close() };
}

async function udpReceiver(): Promise<{ port: number; count: () => number; close: () => void }> {
  const socket = dgram.createSocket("udp4");
  let datagrams = 0;
  socket.on("message", () => datagrams++);
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return { port: socket.address().port, count: () => datagrams, close: () => socket.close() };
}

interface Timed {
  user: number;
  system: number;
  rssMb: number;
  wall: number;
  stdout: string;
}

/** Run a command under /usr/bin/time, without blocking this process's receivers. */
async function timed(command: string, args: string[]): Promise<Timed> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "TIME %U %S %M %e", command, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  const line = stderr.split("\n").find((l) => l.startsWith("TIME "));
  if (!out.success || line === undefined) throw new Error(`${command} failed: ${stderr}`);
  const [user, system, rss, wall] = line.slice(5).split(" ").map(Number);
  return {
    user: user ?? 0,
    system: system ?? 0,
    rssMb: Math.round((rss ?? 0) / 1024),
    wall: wall ?? 0,
    stdout: new TextDecoder().decode(out.stdout),
  };
}

async function waitForCount(count: () => number, expected: number, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (count() < expected && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
}

const sender = (format: string, transport: string, port: number, events: number) =>
  timed(Deno.execPath(), [
    "run",
    "--allow-all",
    MONITOR_V8_FLAGS,
    SENDER,
    format,
    transport,
    String(port),
    String(events),
  ]);

const tcp = tcpReceiver();
const udp = await udpReceiver();
const idle = await sender("ecs", "tcp", tcp.port, 0);
const idleCpu = idle.user + idle.system;
const rows: string[] = [];
const report = (name: string, run: Timed, received: number, rate: number) => {
  const cpu = run.user + run.system - (name.startsWith("logger") ? 0 : idleCpu);
  rows.push(
    `${name.padEnd(34)} ${Math.round(rate).toLocaleString("en").padStart(9)} events/s  ` +
      `CPU ${(cpu / N * 10_000).toFixed(3)} s per 10,000  peak RSS ${run.rssMb} MB  received ${
        received.toLocaleString("en")
      }/${N.toLocaleString("en")}`,
  );
};

for (
  const [format, transport] of [["ecs", "tcp"], ["ocsf", "tcp"], ["ndjson", "tcp"], ["ecs", "udp"]] as const
) {
  const receiver = transport === "tcp" ? tcp : udp;
  const before = receiver.count();
  const run = await sender(format, transport, receiver.port, N);
  await waitForCount(() => receiver.count() - before, N, transport === "tcp" ? 60_000 : 2_000);
  const result = JSON.parse(run.stdout);
  report(`conntrail ${format} over ${transport}`, run, receiver.count() - before, N / result.seconds);
}

// Baseline: logger sending the same events, already rendered as ECS, one per line of a file.
const file = await Deno.makeTempFile({ suffix: ".ndjson" });
{
  const context = {
    host: { hostname: "bench", os: "linux", arch: "x86_64" },
    product: { name: "conntrail", version: "bench" },
  };
  const lines: string[] = [];
  for (let n = 0; n < N; n++) {
    const v = 0x0b000000 + n;
    lines.push(JSON.stringify(ecsEvent(
      {
        event: "NEW",
        connection: {
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
        },
      },
      { hostname: "host.example.org", country: "US", asn: 15169, as_org: "Google LLC" },
      context,
    )));
  }
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
}
const before = tcp.count();
const logger = await timed("logger", [
  "--tcp",
  "--octet-count",
  "--rfc5424",
  "-n",
  "127.0.0.1",
  "-P",
  String(tcp.port),
  "--size",
  "65536",
  "-t",
  "conntrail",
  "-f",
  file,
]);
await waitForCount(() => tcp.count() - before, N);
report("logger --tcp --octet-count (baseline)", logger, tcp.count() - before, N / logger.wall);
await Deno.remove(file);
tcp.close();
udp.close();

console.log(
  `syslog sink, ${N.toLocaleString("en")} events (CPU above an idle sender's ${idleCpu.toFixed(2)} s; ` +
    `an idle sender's peak RSS ${idle.rssMb} MB):\n  ` +
    rows.join("\n  "),
);
Deno.bench({ name: "syslog sink (see the lines above)", fn: () => {} });
