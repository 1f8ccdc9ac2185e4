import { deepStrictEqual, ok } from "node:assert/strict";
import { InetDiagMemory, InetDiagReader } from "../../lib/parse/inet_diag.ts";
import { parseProcNet } from "../../lib/parse/proc_net.ts";
import { ProcTcpRows } from "../../lib/parse/proc_net_tcp.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { fixture } from "../fixture.ts";
import { socketFields } from "./_socket_fields.ts";
import { hasTool, openSockets, socketControl } from "../open_sockets.ts";

/** The rows of a /proc/net/tcp or tcp6 text read through ProcTcpRows and the dump's reader. */
function readRows(text: string, memory?: InetDiagMemory): { sockets: Socket[]; rejected: string[] } {
  const rows = new ProcTcpRows();
  const rejected: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.trimStart().startsWith("sl")) continue;
    if (!rows.addLine(line)) rejected.push(line);
  }
  const reader = new InetDiagReader(memory === undefined ? {} : { memory });
  rows.readBy(reader);
  return { sockets: reader.end().sockets, rejected };
}

Deno.test("ProcTcpRows reads real /proc/net/tcp and tcp6 captures as parseProcNet does", () => {
  for (
    const [name, family] of [["proc-net-tcp_debian12.txt", 4], ["proc-net-tcp6_debian12.txt", 6]] as const
  ) {
    const text = fixture(name);
    const { sockets, rejected } = readRows(text);
    const expected = parseProcNet(text, { protocol: "TCP", family }).sockets;
    deepStrictEqual(rejected, []);
    ok(sockets.length > 0);
    deepStrictEqual(sockets.map(socketFields), expected.map(socketFields));
  }
});

Deno.test("ProcTcpRows rejects a line that is not a row, and adds nothing for it", () => {
  const row =
    "   3: 0100007F:992F 0100007F:D756 01 00000000:00000000 00:00000000 00000000     0        0 7211 1";
  const junk = [
    "",
    "nonsense",
    row.replace("992F", "99ZF"),
    row.replace("0100007F:992F", "0100007X:992F"),
    row.slice(0, 60),
    row.replace(" 7211 ", " 99999999999 "),
  ];
  const rows = new ProcTcpRows();
  deepStrictEqual(junk.map((line) => rows.addLine(line)), junk.map(() => false));
  deepStrictEqual([rows.addLine(row), rows.count], [true, 1]);
});

Deno.test("ProcTcpRows with the dump's memory: an unchanged row is the same object, TIME_WAIT (no inode) too, a new state a new one", () => {
  const memory = new InetDiagMemory();
  const established =
    "   3: 0100007F:992F 0100007F:D756 01 00000000:00000000 00:00000000 00000000  1000        0 7211 1";
  const timeWait =
    "   4: 0100007F:D758 0100007F:992F 06 00000000:00000000 03:00001770 00000000     0        0 0 3";
  const first = readRows(`${established}\n${timeWait}`, memory).sockets;
  // The queues and the timer move between readings: the same sockets.
  const again =
    readRows(`${established.replace("00000000:00000000", "00000010:00000000")}\n${timeWait}`, memory)
      .sockets;
  deepStrictEqual([again[0] === first[0], again[1] === first[1]], [true, true]);
  deepStrictEqual([first[1]?.status, first[1]?.inode, first[1]?.user], ["TIME_WAIT", 0, null]);
  const closing = readRows(established.replace(" 01 ", " 08 "), memory).sockets;
  deepStrictEqual([closing[0] === first[0], closing[0]?.status], [false, "CLOSE_WAIT"]);
});

Deno.test({
  name:
    "ProcTcpRows: a real cat of /proc/net/tcp and tcp6 reads as the real ss -taD - dump of the same sockets",
  ignore: Deno.build.os !== "linux" || !hasTool("ss") || !hasTool("python3"),
  fn: async () => {
    const held = await openSockets();
    const control = socketControl();
    try {
      // A connection closed by its client leaves the client's side in TIME_WAIT.
      const closed = await control.open("127.0.0.1");
      await control.close(closed.id);
      const ports = [
        held.tcp4_listen,
        held.tcp4_client,
        held.tcp6_listen,
        held.tcp6_client,
        held.half_listen,
        held.half_client,
        closed.port,
        closed.client_port,
      ];
      const ours = (s: Socket) => ports.includes(s.local_port);
      const byKey = (sockets: Socket[]) =>
        sockets.filter(ours).map(socketFields).sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
      const cat = new Deno.Command("cat", { args: ["/proc/net/tcp", "/proc/net/tcp6"] });
      const dump = new Deno.Command("ss", { args: ["-taD", "-"] });
      // Read until both agree and the closed connection's client is in TIME_WAIT: the states settle.
      let fromProc: unknown[][] = [];
      let fromDump: unknown[][] = [];
      for (let attempt = 0; attempt < 50; attempt++) {
        fromProc = byKey(readRows(new TextDecoder().decode((await cat.output()).stdout)).sockets);
        const reader = new InetDiagReader();
        reader.push((await dump.output()).stdout);
        fromDump = byKey(reader.end().sockets);
        if (
          JSON.stringify(fromProc) === JSON.stringify(fromDump) && fromProc.some((f) => f[5] === "TIME_WAIT")
        ) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      deepStrictEqual(fromProc, fromDump);
      const statuses = new Set(fromProc.map((f) => f[5]));
      for (const status of ["LISTEN", "ESTABLISHED", "TIME_WAIT"]) {
        ok(statuses.has(status), `${status}: ${[...statuses]}`);
      }
      ok(fromProc.some((f) => f[0] === 6), "an IPv6 socket");
    } finally {
      await control.stop();
      await held.close();
    }
  },
});
