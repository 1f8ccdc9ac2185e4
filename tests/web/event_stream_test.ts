import { deepStrictEqual, match } from "node:assert/strict";
import { EventStream } from "../../lib/web/event_stream.ts";

Deno.test("EventStream sends the state first, then every update, and refuses pages over the cap", async () => {
  const events = new EventStream({ maxClients: 1, initial: () => [{ event: "state", data: { n: 0 } }] });
  const stream = events.open();
  deepStrictEqual(events.open(), null);
  events.publish("update", { n: 1 });
  const reader = stream!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes('"n":1')) text += (await reader.read()).value ?? "";
  match(text, /^retry: 2000\n\nevent: state\ndata: \{"n":0\}\n\nevent: update\ndata: \{"n":1\}\n\n$/);
  await reader.cancel();
  deepStrictEqual(events.size, 0);
  const again = events.open();
  deepStrictEqual(again === null, false);
  events.close();
});

Deno.test("EventStream drops a page that stops reading before its backlog passes the bound", async () => {
  const events = new EventStream({
    maxClients: 4,
    initial: () => [{ event: "state", data: {} }],
    maxBacklogBytes: 10_000,
  });
  const stalled = events.open()!;
  const big = { text: "x".repeat(6000) };
  events.publish("update", big);
  deepStrictEqual([events.size, events.dropped], [1, 0]);
  events.publish("update", big);
  events.publish("update", big);
  deepStrictEqual([events.size, events.dropped], [0, 1]);
  await stalled.cancel().catch(() => {});
  events.close();
});
