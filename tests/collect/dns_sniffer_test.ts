import { deepStrictEqual, ok } from "node:assert/strict";
import { startDnsSniffer } from "../../lib/collect/dns_sniffer.ts";
import { type StreamTool, toolStreamer } from "../../lib/collect/tool_stream.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { DnsNames } from "../../lib/enrich/dns_names.ts";
import { PermissionError } from "../../lib/model/errors.ts";
import { DNS_CONNECT, startDnsAnswerServer } from "../dns_answer_server.ts";
import { hasTool } from "../open_sockets.ts";

Deno.test("startDnsSniffer() says in one line why it cannot start", async () => {
  const denied: StreamTool = () => {
    throw new PermissionError('conntrail may not run "tcpdump"', "--allow-run=tcpdump");
  };
  deepStrictEqual(
    await startDnsSniffer({ onAnswer: () => {}, onNote: () => {}, stream: denied }),
    "conntrail may not run tcpdump (add --allow-run=tcpdump)",
  );
  const notRoot: StreamTool = (_command, _args, options) => {
    queueMicrotask(() =>
      options.onErrorLine?.("tcpdump: any: You don't have permission to perform this capture on that device")
    );
    return { exited: Promise.resolve({ code: 1, signal: null }), close: () => Promise.resolve() };
  };
  deepStrictEqual(
    await startDnsSniffer({ onAnswer: () => {}, onNote: () => {}, stream: notRoot }),
    "tcpdump: any: You don't have permission to perform this capture on that device (run as root)",
  );
});

Deno.test("startDnsSniffer() stopped while tcpdump starts ends tcpdump then and returns null", async () => {
  const stop = new AbortController();
  let started = 0;
  let closed = 0;
  const neverListens: StreamTool = () => {
    started++;
    queueMicrotask(() => stop.abort());
    let exit = () => {};
    const exited = new Promise<{ code: number; signal: string | null }>((resolve) =>
      exit = () => resolve({ code: 0, signal: "SIGTERM" })
    );
    return { exited, close: () => (closed++, exit(), exited.then(() => {})) };
  };
  const options = { onAnswer: () => {}, onNote: () => {}, stream: neverListens, stop: stop.signal };
  deepStrictEqual([await startDnsSniffer(options), started, closed], [null, 1, 1]);
  // Stopped before it is called: tcpdump is not started.
  deepStrictEqual([await startDnsSniffer(options), started], [null, 1]);
});

Deno.test({
  name: "startDnsSniffer() with the real tcpdump names an address by the name asked of a loopback resolver",
  ignore: Deno.build.os !== "linux" || Deno.uid() !== 0 || !hasTool("tcpdump") || !hasTool("python3"),
  async fn() {
    const server = await startDnsAnswerServer(["api.sniff.example=203.0.113.61@edge.cdn.example"]);
    const names = new DnsNames();
    const notes: string[] = [];
    const sniffer = await startDnsSniffer({
      stream: toolStreamer(denoPlatform().programs),
      onAnswer: (answer, at) => names.add(answer, at),
      onNote: (line) => notes.push(line),
    });
    try {
      ok(typeof sniffer !== "string" && sniffer !== null, String(sniffer));
      const asked = await new Deno.Command("python3", {
        args: [DNS_CONNECT, server.address, "api.sniff.example"],
      })
        .output();
      deepStrictEqual(JSON.parse(new TextDecoder().decode(asked.stdout)).ip, "203.0.113.61");
      // Wait for the answer to come through tcpdump: event-driven, bounded.
      for (let i = 0; i < 400 && names.lookup("203.0.113.61", Date.now()) === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      deepStrictEqual(names.lookup("203.0.113.61", Date.now())?.chain, [
        "api.sniff.example",
        "edge.cdn.example",
      ]);
      deepStrictEqual(notes, []);
      ok(sniffer.counts.answers >= 1);
    } finally {
      if (typeof sniffer !== "string") await sniffer?.close();
      await server.stop();
    }
  },
});
