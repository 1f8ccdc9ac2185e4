import { deepStrictEqual } from "node:assert/strict";
import { runSnapshot } from "../../lib/cli/snapshot_command.ts";
import { parseArgs } from "../../lib/cli/parse_args.ts";
import type { Collector, CollectResult } from "../../lib/collect/collector.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { fakePlatform } from "../platform/_fake_platform.ts";

function socket(local_port: number, status: string): Socket {
  return {
    protocol: "TCP",
    family: 4,
    local_ip: "127.0.0.1",
    local_port,
    remote_ip: status === "LISTEN" ? null : "127.0.0.1",
    remote_port: status === "LISTEN" ? null : 5000,
    status,
    pid: null,
    process_name: null,
    process_path: null,
    user: null,
    inode: local_port,
  };
}

/**
 * What `conntrail snapshot <args>` writes, stdout and stderr in the order written, from a reading handed over
 * whole (`batched` false) or in batches, the note and the skipped line known only once the last batch is read.
 */
async function written(args: string[], batched: boolean): Promise<string[]> {
  const result: CollectResult = { sockets: [socket(80, "LISTEN")], skipped: [], notes: ["a note"] };
  const rest = [socket(80, "ESTABLISHED")];
  if (!batched) {
    result.sockets.push(...rest);
    result.skipped.push({ line: "x", reason: "not a socket" });
  } else {
    result.notes.length = 0;
    result.more = {
      listeners: [],
      batches: (function* () {
        yield rest;
        result.notes.push("a note");
        result.skipped.push({ line: "x", reason: "not a socket" });
      })(),
    };
  }
  const collector: Collector = { name: "fake", collect: () => Promise.resolve(result) };
  const platform = fakePlatform({});
  const order: string[] = [];
  const io = {
    ...platform,
    collector,
    stdout: (text: string) => (order.push("stdout"), platform.stdout(text)),
    stderr: (text: string) => void order.push(text.trim()),
  };
  const command = parseArgs(["snapshot", ...args]);
  if (command.kind !== "snapshot") throw new Error(`not a snapshot: ${args.join(" ")}`);
  deepStrictEqual(await runSnapshot(command.options, io), 0);
  return order.filter((line, i) => line !== "stdout" || order[i - 1] !== "stdout");
}

Deno.test("runSnapshot() says a reading's notes before its output, as read whole, unless the output is written a batch at a time (every format but the table)", async () => {
  const notes = ["note: a note", "note: skipped 1 line of collector output: not a socket (1)"];
  for (const format of ["table", "csv", "json", "ndjson", "ecs", "ocsf"]) {
    deepStrictEqual(await written(["--format", format], false), [...notes, "stdout"], format);
  }
  deepStrictEqual(await written(["--format", "table"], true), [...notes, "stdout"], "table");
  for (const format of ["csv", "json", "ndjson", "ecs", "ocsf"]) {
    deepStrictEqual(await written(["--format", format], true), ["stdout", ...notes], format);
  }
});
