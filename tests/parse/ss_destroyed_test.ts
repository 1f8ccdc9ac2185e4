import { deepStrictEqual } from "node:assert/strict";
import { parseSsDestroyedLine } from "../../lib/parse/ss_destroyed.ts";
import { splitLines } from "../../lib/parse/parse_result.ts";
import { fixture } from "../fixture.ts";

const CAPTURE = fixture("ss-E-tinOH_iproute2-6.1_debian12.txt");

Deno.test("parseSsDestroyedLine() reads each destroyed connection's final counters from a real ss -E -tinOH, the peer's FIN counted as the kernel counts it", () => {
  const read = splitLines(CAPTURE).filter((line) => line !== "").map((line) => parseSsDestroyedLine(line));
  deepStrictEqual(read, [
    // Client first: it sent 123,456 and was sent 777; the server's FIN came before its end (one more).
    { key: "TCP 127.0.0.1 50680 127.0.0.1 37191", sent: 123_456, received: 778 },
    { key: "TCP 127.0.0.1 37191 127.0.0.1 50680", sent: 777, received: 123_457 },
    null, // the listener
    // The client that aborted: its address, its peer's port and its counters cleared; what is left of its key.
    { aborted: "TCP * 41520 127.0.0.1 *" },
    // The accepted side that got the reset: no FIN, so exactly what was sent.
    { key: "TCP 127.0.0.1 36215 127.0.0.1 41520", sent: 50, received: 1_000 },
    null,
    { key: "TCP 127.0.0.1 34344 127.0.0.1 40999", sent: 5_000, received: 1 },
    // It sent nothing: ss prints no bytes_sent, which is zero.
    { key: "TCP 127.0.0.1 40999 127.0.0.1 34344", sent: 0, received: 5_001 },
    null,
  ]);
});

Deno.test("parseSsDestroyedLine() says why for a line that is not a socket, and skips a blank one", () => {
  deepStrictEqual(parseSsDestroyedLine(""), null);
  deepStrictEqual(
    typeof parseSsDestroyedLine("Cannot open netlink socket: Operation not permitted"),
    "string",
  );
  deepStrictEqual(
    parseSsDestroyedLine(
      "UNCONN 0 0 127.0.0.1:1 127.0.0.1:2 bytes_sent:100000000000000000000000 bytes_received:1",
    ),
    "a byte counter out of range",
  );
  // A cut line (a killed ss) has no counters to trust.
  deepStrictEqual(parseSsDestroyedLine("UNCONN 1      0      127.0.0.1:50680 127.0.0.1:37"), null);
});
