/**
 * A child process for the kill tests: writes batches of history events to a
 * store as fast as it can and prints `committed N` after each batch is
 * stored, until it is killed.
 *
 * Usage: deno run -A _history_writer.ts sqlite|json PATH FIRST BATCH
 */
import type { HistoryEvent, HistoryStore } from "../../lib/store/history_store.ts";
import { SqliteStore } from "../../lib/store/sqlite_store.ts";
import { openDatabase } from "../sqlite_opener.ts";
import { JsonStore } from "../../lib/store/json_store.ts";
import { jsonFilesIn } from "./_json_files.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();

/** The i-th connection the writer opens: its own local port, one of 65,536 remote addresses. */
export function nthOpened(i: number): HistoryEvent {
  return {
    kind: "opened",
    at: 1_700_000_000_000 + i,
    info: { country: "ZZ" },
    connection: {
      timestamp: "",
      protocol: "TCP",
      family: 4,
      local_ip: "10.0.0.2",
      local_port: i,
      remote_ip: `198.18.${(i >> 8) & 255}.${i & 255}`,
      remote_port: 443,
      status: "ESTABLISHED",
      direction: "outgoing",
      pid: 1,
      process_name: "writer",
      process_path: null,
      user: null,
    },
  };
}

if (import.meta.main) {
  const [kind, path = "", firstText = "0", batchText = "100"] = Deno.args;
  const store: HistoryStore = kind === "json"
    ? await JsonStore.open(jsonFilesIn(path), platform.files)
    : SqliteStore.open(path, { openDatabase });
  const batch = Number(batchText);
  const encoder = new TextEncoder();
  for (let next = Number(firstText);; next += batch) {
    await store.record(Array.from({ length: batch }, (_, k) => nthOpened(next + k)));
    Deno.stdout.writeSync(encoder.encode(`committed ${next + batch}\n`));
  }
}
