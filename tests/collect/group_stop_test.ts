import { deepStrictEqual } from "node:assert/strict";
import { isRunStop } from "../../lib/collect/group_stop.ts";

Deno.test("isRunStop() waits for a stop that comes after the tool's exit (the signals reach the two in either order)", async () => {
  for (
    const exit of [{ code: 130, signal: "SIGINT" }, { code: 0, signal: null }, { code: 143, signal: null }]
  ) {
    const stop = new AbortController();
    const answer = isRunStop(exit, stop.signal, 60_000);
    stop.abort();
    deepStrictEqual(await answer, true, JSON.stringify(exit));
  }
});

Deno.test("isRunStop() is false for a tool that failed, one killed by another signal, and with no stop within the grace", async () => {
  const stop = new AbortController();
  stop.abort();
  deepStrictEqual(await isRunStop({ code: 1, signal: null }, stop.signal), false);
  deepStrictEqual(await isRunStop({ code: 137, signal: "SIGKILL" }, stop.signal), false);
  const never = new AbortController();
  deepStrictEqual(await isRunStop({ code: 130, signal: "SIGINT" }, never.signal, 10), false);
  deepStrictEqual(await isRunStop({ code: 0, signal: null }, undefined), false);
});
