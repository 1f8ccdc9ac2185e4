import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { createNetstatCollector } from "../../lib/collect/netstat_collector.ts";
import { oncePerInode } from "../../lib/collect/once_per_inode.ts";
import type { RunTool } from "../../lib/collect/run_tool.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = { ...denoPlatform(), os: "linux" as const };

Deno.test("oncePerInode() keeps the first of a repeated inode, every socket without one, and a clean list as is", () => {
  const socket = (inode: number | null, local_port = 5000) => ({ inode, local_port });
  const clean = [socket(1), socket(2), socket(0), socket(0), socket(null)];
  strictEqual(oncePerInode(clean), clean);
  deepStrictEqual(oncePerInode([socket(1), socket(2), socket(1, 6000), socket(0), socket(0)]), [
    socket(1),
    socket(2),
    socket(0),
    socket(0),
  ]);
});

Deno.test("the netstat collector lists a socket netstat printed twice once", async () => {
  // netstat reads /proc/net/tcp a page at a time: a table that changed between two reads repeats a line.
  const line =
    "tcp        0      0 127.0.0.1:34536         127.0.0.1:34475         ESTABLISHED 0          91234      4211/python3";
  const run: RunTool = (command) =>
    Promise.resolve({
      stdout: command === "netstat"
        ? "Active Internet connections (servers and established)\n" +
          "Proto Recv-Q Send-Q Local Address           Foreign Address         State       User       Inode      PID/Program name\n" +
          `${line}\n${line}\n`
        : "",
      stderr: "",
      code: 0,
    });
  const { sockets } = await createNetstatCollector({ platform, run }).collect();
  deepStrictEqual(sockets.map((s) => [s.local_port, s.remote_port, s.inode, s.pid]), [[
    34536,
    34475,
    91234,
    4211,
  ]]);
});
