import { deepStrictEqual } from "node:assert/strict";
import { normalizeStatus } from "../../lib/model/status.ts";

Deno.test("normalizeStatus() gives one word per state whichever tool spelled it", () => {
  const spellings: [string, string][] = [
    ["ESTAB", "ESTABLISHED"], // ss
    ["SYN-RECV", "SYN_RECEIVED"], // ss
    ["SYN_RECV", "SYN_RECEIVED"], // netstat on Linux
    ["SYN_RCVD", "SYN_RECEIVED"], // macOS
    ["FIN-WAIT-2", "FIN_WAIT_2"], // ss
    ["FIN_WAIT2", "FIN_WAIT_2"], // netstat on Linux, lsof
    ["TIME-WAIT", "TIME_WAIT"],
    ["LISTENING", "LISTEN"], // Windows
    ["CLOSED", "CLOSE"], // Windows, macOS
    ["UNCONN", "CLOSE"], // ss for a TCP socket in TCP_CLOSE
    ["nonsense", "UNKNOWN"],
  ];
  for (const [raw, word] of spellings) deepStrictEqual(normalizeStatus(raw, "TCP", true), word, raw);
});

Deno.test("normalizeStatus() reads UDP as CONNECTED or UNCONNECTED by its peer alone", () => {
  deepStrictEqual(normalizeStatus("ESTAB", "UDP", true), "CONNECTED");
  deepStrictEqual(normalizeStatus("UNCONN", "UDP", false), "UNCONNECTED");
  deepStrictEqual(normalizeStatus("", "UDP", true), "CONNECTED");
});
