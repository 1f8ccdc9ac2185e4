import { deepStrictEqual, throws } from "node:assert/strict";
import { parseLsof } from "../../lib/parse/lsof.ts";
import { parseLsofTable } from "../../lib/parse/lsof_table.ts";
import { fixture } from "../fixture.ts";

Deno.test("parseLsof() reads -F field output with states, IPv6 and UDP", () => {
  const { sockets, skipped } = parseLsof(fixture("lsof-F_lsof-4.95_debian12.txt"));
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 11);
  deepStrictEqual(
    sockets.every((s) => s.pid === 3100 && s.process_name === "python3" && s.user === "root"),
    true,
  );
  const v6 = sockets.find((s) => s.family === 6 && s.status === "LISTEN");
  deepStrictEqual(v6?.local_ip, "::1");
  const udp = sockets.filter((s) => s.protocol === "UDP").map((s) => s.status).sort();
  deepStrictEqual(udp, ["CONNECTED", "UNCONNECTED"]);
  deepStrictEqual(sockets.find((s) => s.local_port === 34842)?.status, "FIN_WAIT_2");
});

Deno.test("parseLsof() keeps a name with spaces and skips a broken process record", () => {
  const { sockets, skipped } = parseLsof(
    "pabc\ncbad\nf3\ntIPv4\nPTCP\nn1.2.3.4:5\np9\ncGoogle Chrome Helper\nf4\ntIPv4\nPTCP\nn10.0.0.1:5->1.1.1.1:443\nTST=ESTABLISHED\n",
  );
  deepStrictEqual(sockets[0]?.process_name, "Google Chrome Helper");
  deepStrictEqual(skipped.map((s) => s.reason), ["unreadable pid"]);
});

Deno.test("parseLsof() throws SyntaxError on text that is not lsof -F output", () => {
  throws(() => parseLsof("this is\nnot lsof at all\n"), SyntaxError);
});

Deno.test("parseLsofTable() reads Linux lsof -i -n -P with decimal DEVICE and connected UDP", () => {
  const { sockets, skipped } = parseLsofTable(fixture("lsof-i-n-P_lsof-4.95.txt"));
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 11);
  const udp = sockets.find((s) => s.protocol === "UDP");
  deepStrictEqual([udp?.status, udp?.remote_port], ["CONNECTED", 47125]);
});

Deno.test("parseLsofTable() reads macOS rows: hex DEVICE, no state, scoped IPv6, duplicate descriptors", () => {
  const { sockets } = parseLsofTable(fixture("lsof-n-P-i_rows.txt"));
  deepStrictEqual(sockets.length, 5); // fd 198 and 203 are one socket
  deepStrictEqual(sockets[2]?.status, "UNKNOWN");
  deepStrictEqual(sockets[3]?.local_ip, "fe80:4::aede:48ff:fe00:1122");
});
