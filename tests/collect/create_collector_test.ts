import { deepStrictEqual, rejects } from "node:assert/strict";
import { createCollector } from "../../lib/collect/create_collector.ts";
import type { RunTool } from "../../lib/collect/run_tool.ts";
import { ToolError } from "../../lib/model/errors.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const NETSTAT_ROW =
  "tcp        0      0 127.0.0.1:5000          127.0.0.1:80            ESTABLISHED 0 1 42/curl\n";

function runWithout(missing: string[], calls: string[]): RunTool {
  return (command) => {
    calls.push(command);
    if (missing.includes(command)) {
      return Promise.reject(new ToolError(`cannot find "${command}" on PATH`, { notFound: true }));
    }
    const stdout = command === "netstat"
      ? "Proto Recv-Q Send-Q Local Address Foreign Address State User Inode PID/Program name\n" + NETSTAT_ROW
      : "";
    return Promise.resolve({ stdout, stderr: "", code: 0 });
  };
}

Deno.test("createCollector('auto') falls back from ss to netstat on Linux, says so once, and runs on without find", async () => {
  const calls: string[] = [];
  const collector = createCollector("auto", {
    platform: { ...platform, os: "linux" },
    run: runWithout(["ss", "find"], calls),
  });
  const first = await collector.collect();
  deepStrictEqual(collector.name, "netstat");
  deepStrictEqual(first.sockets[0]?.process_name, "curl");
  deepStrictEqual(first.sockets[0]?.process_path, null);
  deepStrictEqual(first.notes, [
    '"ss" is not installed; using netstat instead',
    'process paths are left out: install "find" to read them',
  ]);
  const second = await collector.collect();
  deepStrictEqual(second.notes, []);
  deepStrictEqual(calls.filter((c) => c === "ss").length, 1);
});

Deno.test("createCollector('auto') reports the last missing tool when none is installed", async () => {
  const collector = createCollector("auto", {
    platform: { ...platform, os: "linux" },
    run: runWithout(["ss", "netstat"], []),
  });
  await rejects(collector.collect(), /cannot find "netstat"/);
});

Deno.test("createCollector() does not fall back from a collector the user named", async () => {
  const collector = createCollector("ss", {
    platform: { ...platform, os: "linux" },
    run: runWithout(["ss"], []),
  });
  await rejects(collector.collect(), /cannot find "ss"/);
});

Deno.test("createCollector({ traffic }) gives null counters and says why where the collector has none", async () => {
  const calls: string[] = [];
  const linux = await createCollector("auto", {
    platform: { ...platform, os: "linux" },
    run: runWithout(["ss"], calls),
    traffic: true,
  })
    .collect();
  deepStrictEqual([linux.sockets[0]?.bytes_sent, linux.sockets[0]?.bytes_received], [null, null]);
  deepStrictEqual(
    linux.notes.includes(
      "byte counters are left out: netstat has none; the ss collector reads them (`--collector ss`)",
    ),
    true,
  );
  const windows = await createCollector("netstat", {
    platform: { ...platform, os: "windows" },
    run: runWithout([], calls),
    traffic: true,
  })
    .collect();
  deepStrictEqual(
    windows.notes.at(-1),
    "byte counters are left out: Windows keeps no per-connection byte counters that netstat or Get-NetTCPConnection show",
  );
  const off = await createCollector("netstat", {
    platform: { ...platform, os: "linux" },
    run: runWithout([], calls),
  }).collect();
  deepStrictEqual("bytes_sent" in (off.sockets[0] ?? {}), false);
});
