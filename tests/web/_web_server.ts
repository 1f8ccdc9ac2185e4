/**
 * `conntrail serve`'s request handler on a real loopback server, with an
 * empty live view, for tests that speak raw HTTP to it.
 */
import { Tracker } from "../../lib/monitor/tracker.ts";
import { accessPolicy } from "../../lib/web/access_policy.ts";
import { EventStream } from "../../lib/web/event_stream.ts";
import { LiveView } from "../../lib/web/live_view.ts";
import { webHandler } from "../../lib/web/web_handler.ts";
import { MemoryStore } from "../../lib/store/memory_store.ts";

/** A running handler: its port, its log lines, the errors Deno.serve caught (none expected), and raw HTTP. */
export interface WebServer {
  port: number;
  log: string[];
  uncaught: unknown[];
  /** Send raw bytes, read the answer until the server closes or a whole response is in. */
  raw(request: string | Uint8Array): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

export function startWebServer(): WebServer {
  const tracker = new Tracker({ width: 20, groupBy: "process", maxClosedRows: 10 });
  const live = new LiveView(tracker, {
    timeUnitSeconds: 1,
    width: 20,
    describe: () => ({}),
    risk: () => ({}),
    publish: () => {},
  });
  const events = new EventStream({ maxClients: 2, initial: () => live.stateEvents() });
  // A history to query, holding one connection and one saved snapshot.
  const history = new MemoryStore();
  const connection = {
    timestamp: "2026-11-21T14:30:16.000+00:00",
    protocol: "TCP" as const,
    family: 4 as const,
    local_ip: "10.0.0.2",
    local_port: 50000,
    remote_ip: "203.0.113.7",
    remote_port: 443,
    status: "ESTABLISHED",
    direction: "outgoing" as const,
    pid: 42,
    process_name: "curl",
    process_path: null,
    user: null,
  };
  void history.record([{ kind: "opened", at: Date.now(), connection, info: {} }]);
  void history.saveSnapshot(Date.now(), [connection]);
  void history.saveSnapshot(Date.now(), []);
  const log: string[] = [];
  const uncaught: unknown[] = [];
  let port = 0;
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      onListen: (addr) => (port = addr.port),
      onError: (error) => {
        uncaught.push(error);
        return new Response("uncaught", { status: 500 });
      },
    },
    webHandler({
      live,
      events,
      history: () => history,
      policy: () => accessPolicy("127.0.0.1", port, null),
      now: Date.now,
      log: (line) => log.push(line),
    }),
  );
  port = (server.addr as Deno.NetAddr).port;
  return {
    get port() {
      return port;
    },
    log,
    uncaught,
    async raw(request) {
      const connection = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await connection.write(typeof request === "string" ? new TextEncoder().encode(request) : request);
        const chunks: Uint8Array[] = [];
        const buffer = new Uint8Array(64 * 1024);
        for (;;) {
          const n = await connection.read(buffer).catch(() => null);
          if (n === null) break;
          chunks.push(buffer.slice(0, n));
          const text = new TextDecoder().decode(Uint8Array.from(chunks.flatMap((c) => [...c])));
          const length = Number(text.match(/\r\ncontent-length: (\d+)/i)?.[1] ?? NaN);
          const head = text.indexOf("\r\n\r\n");
          if (
            head >= 0 && Number.isFinite(length) &&
            new TextEncoder().encode(text.slice(head + 4)).length >= length
          ) {
            break;
          }
        }
        const text = new TextDecoder().decode(Uint8Array.from(chunks.flatMap((c) => [...c])));
        return { status: Number(text.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0), text };
      } finally {
        connection.close();
      }
    },
    close: () => server.shutdown(),
  };
}
