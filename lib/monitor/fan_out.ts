import type { ConnectionEvent, StatusEvent } from "../model/monitor_event.ts";
import type { MonitorOutput } from "./monitor_output.ts";
import type { PollInfo } from "../model/poll_info.ts";

/**
 * Several outputs as one: each gets every poll, in order, and each is closed
 * even when another fails to close.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { fanOut } from "./fan_out.ts";
 * const seen: string[] = [];
 * const output = (name: string) => ({
 *   onPoll: () => Promise.resolve(void seen.push(name)),
 *   close: () => Promise.resolve(void seen.push(`${name} closed`)),
 * });
 * const both = fanOut([output("page"), output("syslog")]);
 * await both.onPoll([], null, new Date());
 * await both.close();
 * deepStrictEqual(seen, ["page", "syslog", "page closed", "syslog closed"]);
 * ```
 */
export function fanOut(outputs: readonly MonitorOutput[]): MonitorOutput {
  if (outputs.length === 1 && outputs[0] !== undefined) return outputs[0];
  return {
    async onPoll(
      events: readonly ConnectionEvent[],
      status: StatusEvent | null,
      at: Date,
      info?: PollInfo,
    ): Promise<void> {
      for (const output of outputs) await output.onPoll(events, status, at, info);
    },
    async close(): Promise<void> {
      const results = await Promise.allSettled(outputs.map((output) => output.close()));
      const failed = results.find((result) => result.status === "rejected");
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    },
  };
}
