/**
 * The syslog sink against real receivers on loopback: a TCP server this test
 * runs (stopped and started again on the same port), one that never reads, and
 * a UDP socket. Every wait is for an event (a message received, a note said).
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import dgram from "node:dgram";
import { parseSyslogUrl } from "../../lib/parse/syslog_url.ts";
import { SyslogSink } from "../../lib/store/syslog_sink.ts";
import { syslogConnector } from "../../lib/store/syslog_transport.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();
const connect = syslogConnector(platform.network);

const FAST = { firstMs: 10, maxMs: 100 };

/** A TCP syslog receiver that splits octet-counted frames. */
class FrameServer {
  readonly messages: string[] = [];
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Deno.Conn>();
  readonly #waiters: { count: number; resolve: () => void }[] = [];
  readonly accepting: Promise<void>;

  constructor(port = 0) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port });
    this.accepting = this.#accept();
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(): Promise<void> {
    for await (const conn of this.#listener) {
      this.#conns.add(conn);
      this.#read(conn).finally(() => this.#conns.delete(conn));
    }
  }

  async #read(conn: Deno.Conn): Promise<void> {
    let buffered = new Uint8Array(0);
    const decoder = new TextDecoder();
    try {
      for await (const chunk of conn.readable) {
        const joined = new Uint8Array(buffered.length + chunk.length);
        joined.set(buffered);
        joined.set(chunk, buffered.length);
        buffered = joined;
        for (;;) {
          const space = buffered.indexOf(32);
          if (space < 0) break;
          const length = Number(decoder.decode(buffered.subarray(0, space)));
          if (buffered.length < space + 1 + length) break;
          this.messages.push(decoder.decode(buffered.subarray(space + 1, space + 1 + length)));
          buffered = buffered.slice(space + 1 + length);
        }
        this.#settle();
      }
    } catch {
      // Closed by stop().
    }
  }

  #settle(): void {
    for (const waiter of [...this.#waiters]) {
      if (this.messages.length >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  received(count: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push({ count, resolve });
      this.#settle();
    });
  }

  async stop(): Promise<void> {
    this.#listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await this.accepting.catch(() => {});
  }
}

/** Notes the sink says, with a way to wait for one. */
function noteRecorder() {
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  return {
    lines,
    note(line: string) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    said(pattern: RegExp): Promise<void> {
      if (lines.some((line) => pattern.test(line))) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test("SyslogSink sends octet-counted messages over TCP in order, multibyte text intact", async () => {
  const server = new FrameServer();
  const notes = noteRecorder();
  const sink = new SyslogSink(parseSyslogUrl(`tcp://127.0.0.1:${server.port}`), {
    note: notes.note,
    connect,
  });
  try {
    const sent = Array.from(
      { length: 500 },
      (_, i) => `<134>1 - - conntrail - NEW - {"n":${i},"name":"café ☕"}`,
    );
    for (const message of sent) sink.send(message);
    await server.received(sent.length);
    deepStrictEqual(server.messages, sent);
    deepStrictEqual(await sink.close(), { sent: 500, dropped: 0, queued: 0 });
    deepStrictEqual(notes.lines, []);
  } finally {
    await server.stop();
  }
});

Deno.test("SyslogSink keeps events while the receiver is away, up to its bound, and counts the rest as dropped", async () => {
  const port = freePort();
  const notes = noteRecorder();
  const sink = new SyslogSink(parseSyslogUrl(`tcp://127.0.0.1:${port}`), {
    connect,
    note: notes.note,
    maxQueued: 10,
    backoff: FAST,
  });
  let server: FrameServer | null = null;
  try {
    for (let i = 0; i < 15; i++) sink.send(`message ${i}`);
    await notes.said(/cannot connect/);
    await notes.said(/10 events \(0\.0 MiB\) are waiting; newer ones are dropped/);
    deepStrictEqual(sink.stats, { sent: 0, dropped: 5, queued: 10 });
    server = new FrameServer(port);
    await server.received(10);
    deepStrictEqual(server.messages, Array.from({ length: 10 }, (_, i) => `message ${i}`));
    await notes.said(/connected again; 10 events were waiting, 5 were dropped/);
    deepStrictEqual(await sink.close(), { sent: 10, dropped: 5, queued: 0 });
  } finally {
    await server?.stop();
  }
});

Deno.test("SyslogSink loses nothing within its bound when the receiver stops and starts again", async () => {
  let server = new FrameServer();
  const port = server.port;
  const notes = noteRecorder();
  const sink = new SyslogSink(parseSyslogUrl(`tcp://127.0.0.1:${port}`), {
    note: notes.note,
    backoff: FAST,
    connect,
  });
  try {
    for (let i = 0; i < 100; i++) sink.send(`before ${i}`);
    await server.received(100);
    const before = [...server.messages];
    await server.stop();
    // The sink notices at once that the receiver closed the connection, and writes nothing more into it.
    await notes.said(/connection lost \(the receiver closed the connection\)/);
    for (let i = 0; i < 50; i++) sink.send(`during ${i}`);
    server = new FrameServer(port);
    for (let i = 0; i < 50; i++) sink.send(`after ${i}`);
    await server.received(100);
    deepStrictEqual(before, Array.from({ length: 100 }, (_, i) => `before ${i}`));
    deepStrictEqual(server.messages, [
      ...Array.from({ length: 50 }, (_, i) => `during ${i}`),
      ...Array.from({ length: 50 }, (_, i) => `after ${i}`),
    ]);
    deepStrictEqual(await sink.close(), { sent: 200, dropped: 0, queued: 0 });
  } finally {
    await server.stop();
  }
});

Deno.test("SyslogSink.send() returns at once when the receiver does not read; memory stays within the bound", async () => {
  // A receiver that accepts and never reads: the kernel's buffers fill, then the writer waits.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  const notes = noteRecorder();
  const sink = new SyslogSink(parseSyslogUrl(`tcp://127.0.0.1:${listener.addr.port}`), {
    connect,
    note: notes.note,
    maxQueued: 1000,
  });
  try {
    const message = "x".repeat(4096);
    for (let i = 0; i < 5000; i++) sink.send(message);
    // 20 MB were offered; what is not in flight or in the kernel is at most the bound.
    ok(sink.queued <= 1000, `queued ${sink.queued}`);
    const stats = await sink.close(50);
    deepStrictEqual(stats.sent + stats.dropped, 5000);
    ok(stats.dropped >= 4000 - 1000, `dropped ${stats.dropped}`);
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("SyslogSink sends one datagram per message over UDP", async () => {
  const socket = dgram.createSocket("udp4");
  const received: string[] = [];
  let wake = () => {};
  socket.on("message", (data) => {
    received.push(new TextDecoder().decode(data));
    wake();
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const sink = new SyslogSink(parseSyslogUrl(`udp://127.0.0.1:${socket.address().port}`), {
    note: () => {},
    connect,
  });
  try {
    for (let i = 0; i < 20; i++) sink.send(`<134>1 - - conntrail - NEW - {"n":${i}}`);
    while (received.length < 20) await new Promise<void>((resolve) => (wake = resolve));
    deepStrictEqual(received.length, 20);
    ok(received.every((message, i) => message === `<134>1 - - conntrail - NEW - {"n":${i}}`));
    deepStrictEqual((await sink.close()).sent, 20);
  } finally {
    socket.close();
  }
});

Deno.test("SyslogSink.close() gives up after its grace when nobody listens, counting what was left", async () => {
  const notes = noteRecorder();
  const sink = new SyslogSink(parseSyslogUrl(`tcp://127.0.0.1:${freePort()}`), {
    connect,
    note: notes.note,
    backoff: FAST,
  });
  sink.send("one");
  sink.send("two");
  await notes.said(/cannot connect/);
  deepStrictEqual(await sink.close(100), { sent: 0, dropped: 2, queued: 0 });
  sink.send("after close");
  deepStrictEqual(sink.stats.dropped, 3);
});

Deno.test("SyslogSink also bounds the bytes it keeps: a large message past the byte bound is dropped", async () => {
  const port = freePort();
  const notes = noteRecorder();
  const sink = new SyslogSink(parseSyslogUrl(`tcp://127.0.0.1:${port}`), {
    connect,
    note: notes.note,
    maxQueuedBytes: 10_000,
    backoff: FAST,
  });
  sink.send("x".repeat(4000));
  sink.send("y".repeat(4000));
  sink.send("z".repeat(4000));
  sink.send("small");
  deepStrictEqual(sink.stats, { sent: 0, dropped: 1, queued: 3 });
  await notes.said(/2 events \(0\.0 MiB\) are waiting/);
  const server = new FrameServer(port);
  try {
    await server.received(3);
    deepStrictEqual(server.messages.map((m) => m[0]), ["x", "y", "s"]);
    deepStrictEqual(await sink.close(), { sent: 3, dropped: 1, queued: 0 });
  } finally {
    await server.stop();
  }
});
