/**
 * The Community ID of a real loopback connection, as conntrail writes it in
 * ECS and OCSF records (snapshot and monitor), against what an independent
 * implementation computes for it: Wireshark's (`tshark --enable-protocol
 * communityid`) on a capture of that very connection (taken by tcpdump, which
 * says when it is listening). Every record also validates against its
 * schema's required fields.
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { ecsProblems } from "./render/_ecs_schema.ts";
import { ocsfProblems } from "./render/_ocsf_schema.ts";
import { runConntrail } from "./conntrail_process.ts";
import { freshLoopback, hasTool, socketControl } from "./open_sockets.ts";

const IS_ROOT = Deno.build.os === "linux" && Deno.uid() === 0;
const READY = IS_ROOT && hasTool("tshark") && hasTool("tcpdump") && hasTool("ss") && hasTool("python3");

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** Capture the handshake of a connection to `ip:port` on loopback; resolves once tcpdump is listening. */
async function startCapture(file: string, ip: string, port: number): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("tcpdump", {
    args: ["-i", "lo", "-c", "3", "-U", "-w", file, `tcp and host ${ip} and port ${port}`],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tcpdump ended before listening: ${text}`);
    text += value;
  }
  // Keep draining stderr so tcpdump never blocks on it.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return child;
}

/** Wireshark's Community ID of each packet in a capture. */
async function tsharkCommunityIds(file: string): Promise<string[]> {
  const out = await new Deno.Command("tshark", {
    args: ["--enable-protocol", "communityid", "-r", file, "-T", "fields", "-e", "communityid"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((line) => line.trim()).filter((line) =>
    line !== ""
  );
}

Deno.test({
  name: "ECS and OCSF records of a real loopback connection carry the Community ID tshark computes for it",
  ignore: !READY,
  async fn() {
    const dir = await Deno.makeTempDir();
    const control = socketControl();
    try {
      const ip = freshLoopback();
      const port = freePort();
      const pcap = `${dir}/connection.pcap`;
      const capture = await startCapture(pcap, ip, port);
      const connection = await control.open(ip, port);
      await capture.status;
      const fromTshark = [...new Set(await tsharkCommunityIds(pcap))];
      deepStrictEqual(fromTshark.length, 1, `tshark gave ${fromTshark.join(", ")}`);
      const expected = fromTshark[0];
      match(expected ?? "", /^1:[A-Za-z0-9+/]{27}=$/);

      // Both sockets of the connection (the client's and the accepted one) are one flow: one ID.
      const ecs = await runConntrail(dir, [
        "snapshot",
        "--format",
        "ecs",
        "--no-listening",
        "--pid",
        String(control.pid),
      ]);
      deepStrictEqual(ecs.code, 0, ecs.stderr);
      const ecsDocs = ecs.stdout.trim().split("\n").map((line) => JSON.parse(line))
        .filter((doc) =>
          doc.source.ip === ip && [port, connection.client_port].includes(doc.destination.port)
        );
      deepStrictEqual(ecsDocs.length, 2, ecs.stdout);
      for (const doc of ecsDocs) {
        deepStrictEqual(doc.network.community_id, expected);
        deepStrictEqual(ecsProblems(doc), []);
      }
      deepStrictEqual(ecsDocs.map((doc) => doc.network.direction).sort(), ["egress", "ingress"]);

      const ocsf = await runConntrail(dir, ["snapshot", "--format", "ocsf", "--pid", String(control.pid)]);
      deepStrictEqual(ocsf.code, 0, ocsf.stderr);
      const records = ocsf.stdout.trim().split("\n").map((line) => JSON.parse(line))
        .filter((record) => record.dst_endpoint.ip === ip);
      for (const record of records) deepStrictEqual(ocsfProblems(record), [], JSON.stringify(record));
      const flows = records.filter((record) => record.src_endpoint !== undefined);
      deepStrictEqual(flows.length, 2);
      for (const record of flows) deepStrictEqual(record.connection_info.community_uid, expected);
      ok(
        records.some((record) => record.activity_id === 7 && record.dst_endpoint.port === port),
        "no Listen",
      );

      // The monitor's records of the same connection.
      const monitor = await runConntrail(dir, [
        "monitor",
        "--count",
        "1",
        "--store",
        "none",
        "--port",
        String(port),
        "--format",
        "ecs",
      ]);
      deepStrictEqual(monitor.code, 0, monitor.stderr);
      const events = monitor.stdout.trim().split("\n").map((line) => JSON.parse(line))
        .filter((doc) => doc.network.community_id !== undefined);
      deepStrictEqual(events.length, 2, monitor.stdout);
      for (const doc of events) {
        deepStrictEqual(doc.network.community_id, expected);
        deepStrictEqual(doc.event.action, "connection-opened");
        deepStrictEqual(ecsProblems(doc), []);
      }
      await control.close(connection.id);
    } finally {
      await control.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
