import { deepStrictEqual, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { runMonitorCommand, sparseCounters } from "../../lib/cli/monitor_command.ts";
import { io, options, scripted, socket } from "./_monitor_io.ts";

/** A download over three polls, then the socket goes (between polls), with a UDP socket beside it. */
function download() {
  const tcp = (sent: number, received: number) =>
    socket("198.51.100.1", 50000, { bytes_sent: sent, bytes_received: received });
  const udp = socket("192.0.2.53", 50001, {
    protocol: "UDP",
    status: "CONNECTED",
    remote_port: 53,
    bytes_sent: null,
    bytes_received: null,
  });
  return scripted([[tcp(0, 0), udp], [tcp(1_000, 2_097_152), udp], [tcp(2_000, 4_194_304), udp], [udp]]);
}

Deno.test("monitor --traffic --format ndjson: CLOSED carries the last counters, STATUS the machine's", async () => {
  const run = io(download());
  await runMonitorCommand(
    options(["--count", "10", "-t", "0.01", "--format", "ndjson", "--traffic"]),
    run.io,
  );
  const events = run.stdout().trim().split("\n").map((line) => JSON.parse(line));
  const closed = events.find((e) => e.event === "CLOSED");
  deepStrictEqual([closed?.remote_ip, closed?.bytes_sent, closed?.bytes_received], [
    "198.51.100.1",
    2_000,
    4_194_304,
  ]);
  const udp = events.find((e) => e.event === "NEW" && e.protocol === "UDP");
  deepStrictEqual([udp?.bytes_sent, udp?.bytes_received], [null, null]);
  const status = events.find((e) => e.event === "STATUS");
  deepStrictEqual([status?.bytes_sent, status?.bytes_received], [2_000, 4_194_304]);
  ok(typeof status?.bytes_received_per_second === "number");
  match(run.stderr(), /conntrail: 10 polls .* \| sent 1\.95 KiB, received 4\.00 MiB/);
});

Deno.test("monitor --traffic: the scroll line, the logs and the export carry the bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const export_ = join(dir, "timeline.txt");
    const run = io(download());
    await runMonitorCommand(
      options([
        "--count",
        "5",
        "-t",
        "0.01",
        "--traffic",
        "--log-dir",
        dir,
        "--log-format",
        "txt",
        "--log-format",
        "csv",
        "-o",
        export_,
      ]),
      run.io,
    );
    const closedLine = run.stdout().split("\n").find((line) => line.includes("CLOSED")) ?? "";
    match(
      closedLine,
      /CLOSED → 198\.51\.100\.1 ESTABLISHED:443 firefox \(4211\) from :50000 after \S+ sent 1\.95 KiB, received 4\.00 MiB$/,
    );
    const files = [...Deno.readDirSync(dir)].map((f) => f.name);
    const txt = Deno.readTextFileSync(
      join(dir, files.find((f) => f.endsWith(".txt") && f.startsWith("connections")) ?? ""),
    );
    match(txt, /CLOSED TCP .* \| Bytes sent: 2000 \| Bytes received: 4194304/);
    const csv = Deno.readTextFileSync(join(dir, files.find((f) => f.endsWith(".csv")) ?? "")).trim().split(
      "\n",
    );
    ok(csv[0]?.includes(",user,bytes_sent,bytes_received,event,"), csv[0]);
    ok(csv.some((line) => line.includes(",2000,4194304,CLOSED,")), csv.join("\n"));
    const exported = Deno.readTextFileSync(export_);
    match(exported, /Sent: 1\.95 KiB \| Received: 4\.00 MiB/);
    match(exported, /Traffic \(bytes in the connections' kernel counters\)\n {2}Sent: 1\.95 KiB \(2000 B\)/);
    match(exported, / 1\. 198\.51\.100\.1 {2}sent 1\.95 KiB, received 4\.00 MiB/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sparseCounters() reads the counters every 10th poll only in scroll mode on Linux with ss, without -o", () => {
  const sparse = (args: string[], refresh = false, os = "linux") =>
    sparseCounters(options(args), refresh, os);
  deepStrictEqual(
    [
      sparse(["--scroll"]),
      sparse(["--scroll", "--format", "ecs"]),
      sparse(["--scroll", "--collector", "ss"]),
      // The dashboard: rates per row per poll, idle cells.
      sparse([], true),
      // The export's timeline marks each time unit idle or active by the bytes it moved.
      sparse(["--scroll", "-o", "timeline.txt"]),
      sparse(["--scroll", "--no-traffic"]),
      sparse(["--scroll", "--collector", "proc"]),
      sparse(["--scroll"], false, "darwin"),
    ],
    [true, true, true, false, false, false, false, false],
  );
});
