import { deepStrictEqual, ok } from "node:assert/strict";
import { parseBpftraceTrace, parseTraceLine } from "../../lib/parse/bpftrace_trace.ts";
import { fixture } from "../fixture.ts";

const CAPTURE = "bpftrace-conntrail-trace_bpftrace-0.17_debian12.txt";

Deno.test("parseBpftraceTrace() reads a real capture: connects, accepts, closes, UDP, a failed connect", () => {
  const { events, skipped, readyAt } = parseBpftraceTrace(fixture(CAPTURE));
  deepStrictEqual(readyAt, 1796222988649);
  deepStrictEqual(events.length, 27);
  // The capture ends with a line cut short, as a killed tracer leaves it.
  deepStrictEqual(skipped, [{
    line: "connect 1796222990.703813 TCP 127.0.0.1 568",
    reason: "a connect line has 10 fields",
  }]);
  const python = events.filter((e) => e.socket.pid === 7585);
  ok(python.every((e) => e.socket.process_name === "python3" || e.socket.process_name?.startsWith("ev")));
  const [connect] = events.filter((e) => e.socket.local_port === 48512);
  deepStrictEqual(connect, {
    kind: "open",
    at: 1796222990694,
    direction: "outgoing",
    socket: {
      protocol: "TCP",
      family: 4,
      local_ip: "127.0.0.1",
      local_port: 48512,
      remote_ip: "127.0.0.1",
      remote_port: 46991,
      status: "ESTABLISHED",
      pid: 7585,
      process_name: "python3",
      process_path: null,
      user: "0",
      inode: null,
    },
  });
});

Deno.test("parseBpftraceTrace() reads accepts as incoming and IPv4-mapped addresses as IPv4", () => {
  const { events } = parseBpftraceTrace(fixture(CAPTURE));
  const mapped = events.find((e) => e.direction === "incoming" && e.socket.remote_port === 54572);
  deepStrictEqual([mapped?.socket.family, mapped?.socket.local_ip, mapped?.socket.remote_ip], [
    4,
    "127.0.0.1",
    "127.0.0.1",
  ]);
  const v6 = events.find((e) => e.direction === "incoming" && e.socket.family === 6);
  deepStrictEqual([v6?.socket.local_ip, v6?.socket.remote_ip], ["::1", "::1"]);
});

Deno.test("parseBpftraceTrace() reads a listener's close as a socket without a peer, and a failed connect", () => {
  const { events } = parseBpftraceTrace(fixture(CAPTURE));
  const listenerClose = events.find((e) =>
    e.kind === "close" && e.socket.local_port === 46877 && e.socket.remote_ip === null
  );
  deepStrictEqual(listenerClose?.socket.remote_port, null);
  const failed = events.filter((e) => e.socket.remote_port === 1);
  deepStrictEqual(failed.map((e) => [e.kind, e.socket.status]), [["open", "SYN_SENT"], ["close", "CLOSE"]]);
});

Deno.test("parseBpftraceTrace() reads UDP connects as CONNECTED and sendto flows as UNCONNECTED with their peer", () => {
  const { events } = parseBpftraceTrace(fixture(CAPTURE));
  const udp = events.filter((e) => e.socket.protocol === "UDP").map((e) => [
    e.socket.local_ip,
    e.socket.remote_ip,
    e.socket.remote_port,
    e.socket.status,
  ]);
  deepStrictEqual(udp, [
    ["0.0.0.0", "127.0.0.1", 9, "UNCONNECTED"],
    ["::", "::1", 9, "UNCONNECTED"],
    ["::1", "::1", 10, "CONNECTED"],
  ]);
});

Deno.test("parseTraceLine() keeps a hostile process name as it is (escapes decoded) for the renderers to make safe", () => {
  const { events } = parseBpftraceTrace(fixture(CAPTURE));
  const hostile = events.find((e) => e.socket.process_name?.startsWith("ev"));
  // prctl(PR_SET_NAME, "ev\x1b[31m\nil <b>"): the newline came as \x0a and did not end the line.
  deepStrictEqual(hostile?.socket.process_name, "ev\x1b[31m\nil <b>");
});

Deno.test("parseTraceLine() skips junk with a reason and ignores bpftrace's own lines", () => {
  deepStrictEqual(parseTraceLine(""), { kind: "ignored" });
  deepStrictEqual(parseTraceLine("Attaching 1 probe..."), { kind: "ignored" });
  deepStrictEqual(parseTraceLine("@udp_seen[0]: 1").kind, "skipped");
  deepStrictEqual(parseTraceLine("Lost 12 events").kind, "skipped");
  deepStrictEqual(
    parseTraceLine("close 1796222990.703066 TCP 127.0.0.1 34109 0.0.0.0 0 extra").kind,
    "skipped",
  );
  deepStrictEqual(parseTraceLine("close yesterday TCP 127.0.0.1 34109 0.0.0.0 0"), {
    kind: "skipped",
    reason: 'unreadable time "yesterday"',
  });
  deepStrictEqual(parseTraceLine("close 1796222990.703066 SCTP 127.0.0.1 1 127.0.0.1 2"), {
    kind: "skipped",
    reason: 'unknown protocol "SCTP"',
  });
  deepStrictEqual(parseTraceLine("close 1796222990.703066 TCP 127.0.0.999 1 127.0.0.1 2").kind, "skipped");
  deepStrictEqual(parseTraceLine("close 1796222990.703066 TCP 127.0.0.1 70000 127.0.0.1 2").kind, "skipped");
  deepStrictEqual(
    parseTraceLine("connect 1796222990.703066 TCP 127.0.0.1 1 127.0.0.1 2 x 0 curl").kind,
    "skipped",
  );
  deepStrictEqual(parseTraceLine("conntrail-trace ready soon").kind, "skipped");
});

Deno.test("parseTraceLine() reads CRLF lines and a name with spaces", () => {
  const line = parseTraceLine(
    "connect 1796222990.703066 TCP 10.0.0.2 40000 203.0.113.7 443 42 1000 Web Content\\x00\r",
  );
  deepStrictEqual(line.kind === "event" && [line.event.socket.process_name, line.event.socket.user], [
    "Web Content",
    "1000",
  ]);
});
