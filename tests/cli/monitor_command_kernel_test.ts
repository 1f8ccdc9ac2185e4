import { deepStrictEqual, match, ok } from "node:assert/strict";
import { runMonitorCommand } from "../../lib/cli/monitor_command.ts";
import type { TraceSource } from "../../lib/collect/trace_source.ts";
import type { DnsAnswer } from "../../lib/model/dns_answer.ts";
import type { TraceEvent } from "../../lib/model/trace_event.ts";
import { parseDnsLine } from "../../lib/parse/tcpdump_dns.ts";
import { io, options, scripted, socket } from "./_monitor_io.ts";

/** A trace source that hands over these events once, and records that it was closed. */
function traceOf(events: TraceEvent[]): TraceSource & { closed: boolean } {
  const source = {
    name: "bpftrace",
    closed: false,
    drain: () => Promise.resolve(events.splice(0)),
    takeNotes: () => [],
    settle: () => Promise.resolve(),
    close: () => {
      source.closed = true;
      return Promise.resolve();
    },
  };
  return source;
}

const CAPTURED_ANSWER =
  "    127.18.53.1.53 > 127.0.0.1.40501: [bad udp cksum 0x33ed -> 0x6f4a!] 27277 q: A? " +
  "api.example.com. 2/0/0 api.example.com. [5m] CNAME edge.cdn.example.net., edge.cdn.example.net. [20s] A 203.0.113.7 (191)";

function answer(): DnsAnswer {
  const line = parseDnsLine(CAPTURED_ANSWER);
  if (line.kind !== "answer") throw new Error("the captured answer did not parse");
  return line.answer;
}

Deno.test("monitor --trace reports a connection the tracer saw between polls, with its process, and closes the tracer", async () => {
  const now = Date.now();
  const traced = {
    ...socket("198.51.100.7", 41000),
    pid: 77,
    process_name: "curl",
    process_path: null,
  };
  const trace = traceOf([
    { kind: "open", at: now - 2000, socket: traced, direction: "outgoing" },
    { kind: "close", at: now - 1990, socket: { ...traced, pid: null, process_name: null }, direction: null },
  ]);
  const run = io(scripted([[]]), {
    kernelEvents: {
      openTrace: () => Promise.resolve({ source: trace, note: "note: trace: bpftrace (test)" }),
    },
  });
  deepStrictEqual(
    await runMonitorCommand(options(["--count", "2", "-t", "0.01", "--format", "ndjson", "--trace"]), run.io),
    0,
  );
  const events = run.stdout().trim().split("\n").map((line) => JSON.parse(line));
  deepStrictEqual(events.map((e) => [e.event, e.local_port, e.pid, e.process_name]), [
    ["NEW", 41000, 77, "curl"],
    ["CLOSED", 41000, 77, "curl"],
  ]);
  match(run.stderr(), /note: trace: bpftrace \(test\)/);
  ok(trace.closed);
});

Deno.test("monitor --sniff-dns gives connections the domain asked; scroll lines prefer it to the PTR name", async () => {
  const run = io(scripted([[socket("203.0.113.7", 50000)]]), {
    // The PTR name of a CDN address names the CDN, not what the program asked for.
    resolver: () => Promise.resolve(["edge-7.cdn.example.net."]),
    kernelEvents: {
      startSniffer: (onAnswer) => {
        onAnswer(answer(), Date.now());
        return Promise.resolve({
          counts: { answers: 1, truncated: 0, skipped: 0 },
          close: () => Promise.resolve(),
        });
      },
    },
  });
  deepStrictEqual(
    await runMonitorCommand(
      options(["--count", "1", "-t", "0.01", "--sniff-dns", "--resolve-names"]),
      run.io,
    ),
    0,
  );
  match(
    run.stdout(),
    /NEW → api\.example\.com \(203\.0\.113\.7\) (\[[^\]]*\] )?ESTABLISHED:443 firefox \(4211\)/,
  );
  match(
    run.stderr(),
    /note: DNS: 1 answers read \(0 cut short, their complete records used\), 0 could not be read, 1 addresses named/,
  );

  const json = io(scripted([[socket("203.0.113.7", 50000), socket("198.51.100.1", 50001)]]), {
    kernelEvents: {
      startSniffer: (onAnswer) => {
        onAnswer(answer(), Date.now());
        return Promise.resolve({
          counts: { answers: 1, truncated: 0, skipped: 0 },
          close: () => Promise.resolve(),
        });
      },
    },
  });
  await runMonitorCommand(
    options(["--count", "1", "-t", "0.01", "--sniff-dns", "--format", "ndjson"]),
    json.io,
  );
  const events = json.stdout().trim().split("\n").map((line) => JSON.parse(line));
  deepStrictEqual(events.map((e) => [e.remote_ip, e.domain]), [["203.0.113.7", "api.example.com"], [
    "198.51.100.1",
    null,
  ]]);
});

Deno.test("monitor --sniff-dns without tcpdump runs on and says what it left out", async () => {
  const run = io(scripted([[socket("203.0.113.7", 50000)]]), {
    kernelEvents: {
      startSniffer: () =>
        Promise.resolve("tcpdump is not installed (Debian/Ubuntu: apt-get install tcpdump)"),
    },
  });
  deepStrictEqual(await runMonitorCommand(options(["--count", "1", "-t", "0.01", "--sniff-dns"]), run.io), 0);
  match(
    run.stderr(),
    /note: --sniff-dns is off: tcpdump is not installed \(Debian\/Ubuntu: apt-get install tcpdump\); connections have no domain/,
  );
});
