import type { RiskLevel } from "../model/risk.ts";
import { durationText } from "../model/duration.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import { historyTableChunks, renderHistoryCsv, renderHistoryJson } from "../render/history_report.ts";
import type { AddressOrder, HistoryStore } from "../store/history_store.ts";
import { findHistory, historyAddress } from "../store/history_queries.ts";
import { type HistoryFlags, openCommandHistory } from "./history_config.ts";
import { type CommandIo, warnLine } from "./command_io.ts";
import { historyEnv } from "./environment.ts";
import type { HISTORY_FORMATS } from "./parse_args.ts";

/** Options of `conntrail history`. */
export interface HistoryOptions extends HistoryFlags {
  ip?: string;
  /** `--since`: milliseconds back from now. */
  since?: number;
  risk?: RiskLevel;
  process?: string;
  format: typeof HISTORY_FORMATS[number];
  /** At most this many addresses; 0 for all. */
  limit: number;
  /** `--sort recent|bytes`. */
  sort?: AddressOrder;
}

/** Options of `conntrail history prune`. */
export interface PruneOptions extends HistoryFlags {
  /** Milliseconds. */
  olderThan: number;
}

/** The variables that locate history, the run's clock in milliseconds, and one line for stderr. */
function historyIo(io: CommandIo) {
  return { env: io.readEnv(historyEnv(io.os)).values, now: () => io.now().getTime(), warn: warnLine(io) };
}

async function withStore<T>(
  store: HistoryStore | null,
  work: (store: HistoryStore) => Promise<T>,
): Promise<T | null> {
  if (store === null) return null;
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** The filters a history query was given, as the flags that set them. */
function filterFlags(options: HistoryOptions): string {
  const flags = [
    options.since === undefined ? null : `--since ${durationText(options.since)}`,
    options.risk === undefined ? null : `--risk ${options.risk}`,
    options.process === undefined ? null : `--process ${JSON.stringify(safeTerminalText(options.process))}`,
  ].filter((flag) => flag !== null);
  return flags.join(" ");
}

/** `conntrail history [IP]`: what the history store knows, filtered, as a table, JSON or CSV. */
export async function runHistory(options: HistoryOptions, io: CommandIo): Promise<number> {
  const { env, now, warn } = historyIo(io);
  const ip = options.ip === undefined ? undefined : historyAddress(options.ip);
  const store = await openCommandHistory(options, { ...io, env }, "read");
  const found = await withStore(store, (store) =>
    findHistory(store, {
      ...(ip === undefined ? {} : { ip }),
      ...(options.since === undefined ? {} : { since: now() - options.since }),
      ...(options.risk === undefined ? {} : { risk: options.risk }),
      ...(options.process === undefined ? {} : { process: options.process }),
      ...(options.limit === 0 ? {} : { limit: options.limit }),
      ...(options.sort === undefined ? {} : { sort: options.sort }),
    }));
  if (found === null) warn("note: no history yet; the monitor records it (run `conntrail`)");
  const { entries, total } = found ?? { entries: [], total: 0 };
  if (ip !== undefined && entries.length === 0 && found !== null) {
    warn(
      `note: ${ip} is not in the history${
        options.since || options.risk || options.process ? " (with these filters)" : ""
      }`,
    );
  }
  switch (options.format) {
    case "table":
      if (entries.length > 0) {
        for (const chunk of historyTableChunks(entries, total)) await io.stdout(chunk);
      } else if (found !== null && ip === undefined) {
        // An empty table says why: what the filters left out, or that nothing is recorded yet.
        const filters = filterFlags(options);
        await io.stdout(
          filters === ""
            ? "the history holds no addresses yet\n"
            : `no address in the history matches ${filters}\n`,
        );
      }
      break;
    case "json":
      await io.stdout(renderHistoryJson(entries, total));
      break;
    case "csv":
      await io.stdout(renderHistoryCsv(entries));
      break;
  }
  return 0;
}

/** `conntrail history prune --older-than DUR`: forget what was last seen before then. */
export async function runPrune(options: PruneOptions, io: CommandIo): Promise<number> {
  const { env, now } = historyIo(io);
  const store = await openCommandHistory(options, { ...io, env }, "write");
  const counts = await withStore(store, (store) => store.prune(now() - options.olderThan));
  if (counts === null) return 0;
  await io.stdout(
    `pruned ${counts.addresses} addresses, ${counts.connections} connections, ${counts.alerts} alerts and ` +
      `${counts.snapshots} snapshots from ${store?.location}\n`,
  );
  return 0;
}
