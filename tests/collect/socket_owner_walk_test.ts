import { deepStrictEqual, ok } from "node:assert/strict";
import { walkSocketOwners } from "../../lib/collect/socket_owner_walk.ts";
import { toolRunner } from "../../lib/collect/run_tool.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { hasTool } from "../open_sockets.ts";

const platform = denoPlatform();
const usable = Deno.build.os === "linux" && hasTool("find") && hasTool("ps") && hasTool("ss");

/** The inode of this process's TCP listener on `port`, as ss lists it. */
async function listenerInode(port: number): Promise<number> {
  const { stdout } = await new Deno.Command("ss", { args: ["-tlneH", `sport = :${port}`] }).output();
  const inode = /ino:(\d+)/.exec(new TextDecoder().decode(stdout))?.[1];
  if (inode === undefined) throw new Error(`ss does not list the listener on ${port}`);
  return Number(inode);
}

Deno.test({
  name:
    "walkSocketOwners names a real socket's process, and a process name with escapes and ')' stays one name",
  ignore: !usable,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    // A process that names itself with ESC, ')' and a space, holds a listener and says its port.
    const hostile = new Deno.Command("python3", {
      args: [
        "-c",
        "import socket,sys\n" +
        "open('/proc/self/comm','w').write('\\x1b[31mx) y')\n" +
        "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen()\n" +
        "print(s.getsockname()[1], flush=True); sys.stdin.read()",
      ],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    try {
      const reader = hostile.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      while (!said.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the process ended before it listened");
        said += value;
      }
      const [mine, theirs] = await Promise.all([
        listenerInode((listener.addr as Deno.NetAddr).port),
        listenerInode(Number(said.trim())),
      ]);
      const walk = await walkSocketOwners(toolRunner(platform.programs));
      deepStrictEqual(walk.pids.pidOf(mine), Deno.pid);
      deepStrictEqual(walk.names.get(Deno.pid), Deno.readTextFileSync("/proc/self/comm").trimEnd());
      deepStrictEqual(walk.pids.pidOf(theirs), hostile.pid);
      // ps shows what it cannot print as '?'; the name is whole, past ')' and the space.
      deepStrictEqual(walk.names.get(hostile.pid), "?[31mx) y");
      deepStrictEqual(walk.skipped, []);
      ok(walk.pids.size >= 2);
    } finally {
      listener.close();
      await hostile.stdin.close();
      await hostile.status;
    }
  },
});
