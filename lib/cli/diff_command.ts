import { UsageError } from "./usage_error.ts";
import { loadDiff } from "../store/history_queries.ts";
import { diffTableChunks, renderDiffJson, snapshotListChunks } from "../render/diff_report.ts";
import { type HistoryFlags, openCommandHistory } from "./history_config.ts";
import type { CommandIo } from "./command_io.ts";
import { historyEnv } from "./environment.ts";

/** Options of `conntrail diff`. */
export interface DiffOptions extends HistoryFlags {
  /** Snapshot ids; default the last two. */
  from?: number;
  to?: number;
  format: "table" | "json";
  /** `--list`: show the saved snapshots instead. */
  list: boolean;
}

/** `conntrail diff [A] [B]`: what changed between two saved snapshots (default: the last two). */
export async function runDiff(options: DiffOptions, io: CommandIo): Promise<number> {
  const store = await openCommandHistory(
    options,
    { ...io, env: io.readEnv(historyEnv(io.os)).values },
    "read",
  );
  if (store === null) {
    throw new UsageError("no saved snapshots; run `conntrail snapshot --save` to save one");
  }
  try {
    const saved = await store.snapshots();
    if (options.list) {
      for (const chunk of snapshotListChunks(saved)) await io.stdout(chunk);
      return 0;
    }
    const { diff, from, to } = await loadDiff(store, saved, options);
    if (options.format === "json") await io.stdout(renderDiffJson(diff, from, to));
    else for (const chunk of diffTableChunks(diff, from, to)) await io.stdout(chunk);
    return 0;
  } finally {
    await store.close();
  }
}
