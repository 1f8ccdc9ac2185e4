import { deepStrictEqual } from "node:assert/strict";
import { DumpColumns, tcpSocket } from "../../lib/parse/dump_columns.ts";

Deno.test("DumpColumns grows past its room and gives back every socket as added, by range, the listening ones apart", () => {
  const columns = new DumpColumns(0);
  const added = Array.from(
    { length: 1_000 },
    (_, i) =>
      i % 10 === 0 ? tcpSocket(6, "::", 8_000 + i, null, null, "LISTEN", "0", 10_000 + i) : tcpSocket(
        4,
        "127.0.0.1",
        40_000 + i,
        "10.0.0.1",
        443,
        "ESTABLISHED",
        i % 3 ? "root" : null,
        2 ** 32 - 1 - i,
      ),
  );
  for (const s of added) {
    columns.add(s.family, s.local_ip, s.local_port, s.remote_ip, s.remote_port, s.status, s.user, s.inode!);
  }
  deepStrictEqual(columns.length, 1_000);
  deepStrictEqual(columns.sockets(0, 1_000), added);
  deepStrictEqual([...columns.sockets(0, 333), ...columns.sockets(333, 5_000)], added);
  deepStrictEqual([columns.sockets(1_000, 1_500), columns.sockets(7, 7)], [[], []]);
  deepStrictEqual(columns.listeners(), added.filter((s) => s.status === "LISTEN"));
  // Each made afresh: a batch's objects are its own.
  deepStrictEqual(columns.sockets(0, 1)[0] !== columns.sockets(0, 1)[0], true);
});
