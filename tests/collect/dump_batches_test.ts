import { deepStrictEqual, ok } from "node:assert/strict";
import { BATCH, dumpBatches } from "../../lib/collect/dump_batches.ts";
import { type RunTool, toolRunner } from "../../lib/collect/run_tool.ts";
import { concatBytes } from "../../lib/model/concat_bytes.ts";
import { parseInetDiagDump } from "../../lib/parse/inet_diag.ts";
import { createTcpDump } from "../../lib/collect/ss_tcp_dump.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { SocketOwnerIndex } from "../../lib/parse/socket_walk.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { hasTool } from "../open_sockets.ts";

Deno.test({
  name:
    "dumpBatches() with the real ss: 1,201 sockets of this process made a batch at a time from the dump's columns, as the dump read whole gives them, each with its owner, path and user",
  ignore: Deno.build.os !== "linux" || !hasTool("ss"),
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    const clients: Deno.Conn[] = [];
    const accepted: Deno.Conn[] = [];
    try {
      for (let i = 0; i < 600; i++) {
        clients.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        accepted.push(await listener.accept());
      }
      // The real ss's dump, a copy of it kept to be read whole as well.
      const real = toolRunner(denoPlatform().programs);
      const copies: Uint8Array[] = [];
      const run: RunTool = (command, args, options) =>
        real(command, args, {
          ...options,
          onChunk: (chunk) => {
            copies.push(chunk.slice());
            options?.onChunk?.(chunk);
          },
        });
      const dump = createTcpDump({ run, now: () => 0, traffic: false, bufferDump: false });
      const { columns, skipped } = await dump.readColumns(null);
      deepStrictEqual(skipped, []);
      const ours = (s: Socket) => s.local_port === port || s.remote_port === port;
      const whole = parseInetDiagDump(concatBytes(copies)).sockets;
      deepStrictEqual(whole.filter(ours).length, 1_201);
      // Every socket of the dump is this process's (a walk would say so), its program /bin/x, its user "me".
      const pids = new SocketOwnerIndex();
      for (const s of whole) if (s.inode) pids.add(s.inode, Deno.pid);
      let unowned = -1;
      const more = dumpBatches(
        columns,
        {
          pids,
          names: new Map([[Deno.pid, "deno"]]),
          paths: new Map([[Deno.pid, "/bin/x"]]),
          userNames: new Map([[String(Deno.uid()), "me"]]),
        },
        (count) => unowned = count,
      );
      deepStrictEqual(more.listeners.filter(ours).map((s) => [s.local_ip, s.status]), [[
        "127.0.0.1",
        "LISTEN",
      ]]);
      ok(more.listeners.every((s) => s.status === "LISTEN"));
      const batches = [...more.batches];
      ok(batches.length >= Math.ceil(1_201 / BATCH), `${batches.length} batches of ${BATCH}`);
      const most = BATCH;
      ok(
        batches.every((batch) => batch.length > 0 && batch.length <= most),
        batches.map((b) => b.length).join(),
      );
      const read = batches.flat();
      deepStrictEqual(
        read.map((s) => [s.local_port, s.remote_port, s.status, s.inode]),
        whole.map((s) => [
          s.local_port,
          s.remote_port,
          s.status,
          s.inode,
        ]),
      );
      const named = read.filter(ours);
      deepStrictEqual(named.length, 1_201);
      ok(
        named.every((s) =>
          s.pid === Deno.pid && s.process_name === "deno" && s.process_path === "/bin/x" && s.user === "me"
        ),
      );
      deepStrictEqual(unowned, 0);
    } finally {
      for (const conn of [...clients, ...accepted]) conn.close();
      listener.close();
    }
  },
});
