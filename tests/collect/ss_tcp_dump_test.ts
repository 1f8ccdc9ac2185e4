import { deepStrictEqual, ok } from "node:assert/strict";
import {
  createTcpDump,
  DUMP_BUFFER_ARGS,
  DUMP_BUFFER_FROM,
  dumpFamilies,
  FAMILY_CHECK_EVERY,
} from "../../lib/collect/ss_tcp_dump.ts";
import { type RunTool, toolRunner } from "../../lib/collect/run_tool.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { hasTool } from "../open_sockets.ts";
import { ToolError } from "../../lib/model/errors.ts";

/** An empty `ss -D` dump: its end-of-dump message (NLMSG_DONE) alone. */
function emptyDump(): Uint8Array {
  const done = new DataView(new ArrayBuffer(16));
  done.setUint32(0, 16, true);
  done.setUint16(4, 3, true);
  return new Uint8Array(done.buffer);
}

/** A runner that dumps nothing and records each command line; `stdbuf` fails as `stdbuf` says. */
function recording(stdbuf: "runs" | "missing"): { run: RunTool; ran: string[] } {
  const ran: string[] = [];
  const run: RunTool = (command, args, options) => {
    ran.push([command, ...args].join(" "));
    if (command === "stdbuf" && stdbuf === "missing") {
      return Promise.reject(new ToolError('cannot find "stdbuf" on PATH', { notFound: true }));
    }
    options?.onChunk?.(emptyDump());
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  };
  return { run, ran };
}

Deno.test("createTcpDump() asks for the one family the summary counts, and for both every FAMILY_CHECK_EVERY readings", async () => {
  const { run, ran } = recording("runs");
  const dump = createTcpDump({ run, now: () => 100_000, traffic: true, bufferDump: false });
  for (let i = 0; i < FAMILY_CHECK_EVERY; i++) await dump.read({ ipv4: 3, ipv6: 0, timeWait: 0 }, true, 10);
  deepStrictEqual(ran, [...Array(FAMILY_CHECK_EVERY - 1).fill("ss -taiD - -4"), "ss -taiD -"]);
  ran.length = 0;
  await dump.read({ ipv4: 3, ipv6: 0, timeWait: 0 }, false, 10); // without counters: no tcp_info
  deepStrictEqual(ran, ["ss -taD - -4"]);
  deepStrictEqual(dumpFamilies(null), []);
});

Deno.test("createTcpDump() reads a dump of DUMP_BUFFER_FROM sockets through stdbuf, and plain ss once stdbuf cannot run", async () => {
  const buffered = recording("runs");
  const dump = createTcpDump({ run: buffered.run, now: () => 0, traffic: false, bufferDump: true });
  await dump.read(null, false, DUMP_BUFFER_FROM - 1);
  await dump.read(null, false, DUMP_BUFFER_FROM);
  deepStrictEqual(buffered.ran, ["ss -taD -", ["stdbuf", ...DUMP_BUFFER_ARGS, "ss", "-taD", "-"].join(" ")]);
  const missing = recording("missing");
  const fallback = createTcpDump({ run: missing.run, now: () => 0, traffic: false, bufferDump: true });
  await fallback.read(null, false, DUMP_BUFFER_FROM);
  await fallback.read(null, false, DUMP_BUFFER_FROM);
  deepStrictEqual(missing.ran, [
    ["stdbuf", ...DUMP_BUFFER_ARGS, "ss", "-taD", "-"].join(" "),
    "ss -taD -",
    "ss -taD -",
  ]);
});

Deno.test({
  name: "createTcpDump().listeners() with the real ss: the listening sockets alone, with their real inodes",
  ignore: Deno.build.os !== "linux" || !hasTool("ss"),
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    const client = await Deno.connect({ hostname: "127.0.0.1", port });
    const accepted = await listener.accept();
    try {
      const run = toolRunner(denoPlatform().programs);
      const { stdout } = await run("ss", ["-tlneH", "sport", "=", `:${port}`]);
      const inode = Number(/ ino:(\d+)/.exec(stdout)?.[1]);
      ok(inode > 0, `ss -tlneH lists the listener: ${stdout}`);
      const dump = createTcpDump({ run, now: () => 0, traffic: false, bufferDump: false });
      const { sockets, skipped } = await dump.listeners();
      deepStrictEqual(skipped, []);
      const ours = sockets.filter((s) => s.local_port === port || s.remote_port === port);
      deepStrictEqual(ours.map((s) => [s.local_ip, s.status, s.inode]), [["127.0.0.1", "LISTEN", inode]]);
      ok(sockets.every((s) => s.status === "LISTEN"), "no connection among them");
    } finally {
      client.close();
      accepted.close();
      listener.close();
    }
  },
});
