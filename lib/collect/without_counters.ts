import type { Collector, CollectRequest, CollectResult } from "./collector.ts";

/**
 * A collector whose source has no byte counters, for `--traffic`: every
 * socket gets `bytes_sent` and `bytes_received` `null` (unknown, never a
 * guess), and each reading carries `note`, which says why and what would
 * read them.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { withoutCounters } from "./without_counters.ts";
 * const socket = { protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", pid: null, process_name: null,
 *   process_path: null, user: null, inode: null };
 * const inner = { name: "lsof", collect: () => Promise.resolve({ sockets: [{ ...socket }], skipped: [], notes: [] }) };
 * const result = await withoutCounters(inner, "lsof has none").collect();
 * deepStrictEqual([result.sockets[0]?.bytes_sent, result.notes], [null, ["byte counters are left out: lsof has none"]]);
 * ```
 */
export function withoutCounters(collector: Collector, note: string): Collector {
  return {
    get name() {
      return collector.name;
    },
    async close() {
      await collector.close?.();
    },
    async collect(request?: CollectRequest): Promise<CollectResult> {
      const result = await collector.collect(request);
      for (const socket of result.sockets) {
        socket.bytes_sent ??= null;
        socket.bytes_received ??= null;
      }
      result.notes.push(`byte counters are left out: ${note}`);
      return result;
    },
  };
}
