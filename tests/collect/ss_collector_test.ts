import { nextTurn } from "../waiting.ts";
import { deepStrictEqual, ok } from "node:assert/strict";
import { createSsCollector } from "../../lib/collect/ss_collector.ts";
import type { RunTool } from "../../lib/collect/run_tool.ts";
import { PermissionError } from "../../lib/model/errors.ts";

const ROW_A =
  'tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 users:(("curl",pid=42,fd=3)) uid:1000 ino:111 sk:1 <->';
const ROW_B =
  'tcp ESTAB 0 0 127.0.0.1:5001 127.0.0.1:80 users:(("wget",pid=43,fd=3)) uid:1000 ino:222 sk:2 <->';
const withoutOwners = (row: string) => row.replace(/users:\(\(.*?\)\) /, "");

/** A scripted `ss`/`find`: answers from the current rows and records every call. */
function scriptedRun(rows: () => string[], calls: string[][], options: { denyFind?: boolean } = {}): RunTool {
  return (command, args) => {
    calls.push([command, ...args]);
    if (command === "find") {
      if (options.denyFind) throw new PermissionError("denied", "--allow-run=find");
      const pids = args.filter((a) => a.startsWith("/proc/")).map((a) => a.split("/")[2]);
      return Promise.resolve({
        stdout: pids.map((p) => `/proc/${p}/exe\t/usr/bin/tool${p}\0`).join(""),
        stderr: "",
        code: 0,
      });
    }
    const withOwners = args.includes("-tunapeH");
    const text = rows().map((r) => withOwners ? r : withoutOwners(r)).join("\n");
    return Promise.resolve({ stdout: text, stderr: "", code: 0 });
  };
}

Deno.test("createSsCollector() runs ss -p once, then reuses owners by inode without -p", async () => {
  const calls: string[][] = [];
  const collector = createSsCollector({ run: scriptedRun(() => [ROW_A], calls), userNames: null });
  const first = await collector.collect();
  const second = await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), ["-tunapeH", "-tunaeH"]);
  deepStrictEqual([second.sockets[0]?.pid, second.sockets[0]?.process_name], [42, "curl"]);
  deepStrictEqual(second.sockets[0]?.process_path, "/usr/bin/tool42");
  deepStrictEqual(first.sockets[0]?.process_path, "/usr/bin/tool42");
  deepStrictEqual(calls.filter((c) => c[0] === "find").length, 1); // the path is cached per process
});

Deno.test("createSsCollector() runs ss -p again only when a socket's inode is new", async () => {
  const calls: string[][] = [];
  let rows = [ROW_A];
  const collector = createSsCollector({ run: scriptedRun(() => rows, calls), userNames: null });
  await collector.collect();
  await collector.collect();
  rows = [ROW_A, ROW_B];
  const third = await collector.collect();
  await collector.collect();
  deepStrictEqual(calls.filter((c) => c[0] === "ss").map((c) => c[1]), [
    "-tunapeH",
    "-tunaeH",
    "-tunaeH",
    "-tunapeH",
    "-tunaeH",
  ]);
  deepStrictEqual(third.sockets.map((s) => s.process_name), ["curl", "wget"]);
});

Deno.test("createSsCollector() caches sockets without a visible owner and says why once per run, truly", async () => {
  const orphan = "tcp LISTEN 0 128 0.0.0.0:2024 0.0.0.0:* ino:999 sk:3 <->";
  const orphan2 = "tcp LISTEN 0 128 0.0.0.0:2025 0.0.0.0:* ino:998 sk:4 <->";
  for (const root of [true, false, null]) {
    const calls: string[][] = [];
    let rows = [orphan];
    const collector = createSsCollector({ run: scriptedRun(() => rows, calls), userNames: null, root });
    const first = await collector.collect();
    const second = await collector.collect();
    rows = [orphan, orphan2];
    const third = await collector.collect();
    deepStrictEqual(calls.map((c) => c[1]), ["-tunapeH", "-tunaeH", "-tunaeH", "-tunapeH"]);
    deepStrictEqual([first.notes.length, second.notes, third.notes], [1, [], []], "said once per run");
    const note = first.notes[0] ?? "";
    ok(note.startsWith("1 socket shows no process: "), note);
    // Only a run that is not root is told to run as root.
    deepStrictEqual(note.includes("run as root"), root === false, note);
    deepStrictEqual(note.includes("network namespace"), true, note);
  }
});

Deno.test("createSsCollector() leaves paths null and names the flag when find may not run", async () => {
  const calls: string[][] = [];
  const collector = createSsCollector({
    run: scriptedRun(() => [ROW_A], calls, { denyFind: true }),
    userNames: new Map([["1000", "alice"]]),
  });
  const result = await collector.collect();
  deepStrictEqual(result.sockets[0]?.process_path, null);
  deepStrictEqual(result.sockets[0]?.user, "alice");
  deepStrictEqual(result.notes, [
    "process paths are left out: add --allow-run=find to read them from /proc/<pid>/exe",
  ]);
});

Deno.test("createSsCollector() never runs two ss at once", async () => {
  // Each ss run finishes only when the test lets it: overlapping calls would be seen running together.
  const finish: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const run: RunTool = async () => {
    running++;
    most = Math.max(most, running);
    await new Promise<void>((resolve) => finish.push(resolve));
    running--;
    return { stdout: "", stderr: "", code: 0 };
  };
  const collector = createSsCollector({ run, userNames: null });
  const all = Promise.all([collector.collect(), collector.collect(), collector.collect()]);
  let settled = false;
  all.then(() => (settled = true), () => (settled = true));
  while (!settled) {
    finish.shift()?.();
    await nextTurn();
  }
  await all;
  deepStrictEqual(most, 1);
});
