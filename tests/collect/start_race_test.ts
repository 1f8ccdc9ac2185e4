import { deepStrictEqual } from "node:assert/strict";
import { startRace } from "../../lib/collect/start_race.ts";

const never = new Promise<never>(() => {});

Deno.test("startRace() tells a tool that said it is ready from one that exited, ran out of time or was stopped", async () => {
  const stop = new AbortController();
  deepStrictEqual(
    await startRace(Promise.resolve(), never, { timeoutMs: 60_000, stop: stop.signal }),
    "ready",
  );
  deepStrictEqual(await startRace(never, Promise.resolve({ code: 1 }), { timeoutMs: 60_000 }), { code: 1 });
  deepStrictEqual(await startRace(never, never, { timeoutMs: 0 }), "timeout");
  const stopping = startRace(never, never, { timeoutMs: 60_000, stop: stop.signal });
  stop.abort();
  deepStrictEqual(await stopping, "stopped");
  // Stopped before it is asked: at once, even for a tool that is ready.
  deepStrictEqual(
    await startRace(Promise.resolve(), never, { timeoutMs: 60_000, stop: stop.signal }),
    "stopped",
  );
});
