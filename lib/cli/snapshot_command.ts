import { UsageError } from "./usage_error.ts";
import { filterConnections, STATUS_WORDS, statusFromUser } from "../model/connection_filter.ts";
import { listenersOf, toConnections, toConnectionsInPlace } from "../model/direction.ts";
import type { Connection } from "../model/connection.ts";
import { type CollectResult, socketBatches } from "../collect/collector.ts";
import { isoWithOffset } from "../model/timestamp.ts";
import { connectionBatchesJsonChunks, connectionsNdjsonChunks } from "../render/connections_json.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import type { SnapshotOptions } from "./parse_args.ts";
import { skippedSummary } from "./skipped_summary.ts";
import { type CommandIo, warnLine } from "./command_io.ts";
import { collectorOf } from "./command_collector.ts";

/** The filters a snapshot was given, as the flags that set them. */
function filterFlags(options: SnapshotOptions): string {
  return [
    options.proto === undefined ? null : `--proto ${options.proto}`,
    options.state === undefined ? null : `--state ${safeTerminalText(options.state)}`,
    options.pid === undefined ? null : `--pid ${options.pid}`,
    options.process === undefined ? null : `--process ${JSON.stringify(safeTerminalText(options.process))}`,
    options.listening ? null : "--no-listening",
  ].filter((flag) => flag !== null).join(" ");
}

/** Every connection of `batches`, in one array. */
function allOf(batches: Iterable<Connection[]>): Connection[] {
  let all: Connection[] | null = null;
  for (const batch of batches) {
    if (all === null) all = batch;
    else for (let i = 0; i < batch.length; i++) all.push(batch[i]!);
  }
  return all ?? [];
}

/** A reading's notes, and one that counts the lines it skipped. */
function sayNotes(result: Pick<CollectResult, "notes" | "skipped">, warn: (line: string) => void): void {
  for (const note of result.notes) warn(`note: ${safeTerminalText(note)}`);
  const skipped = skippedSummary(result.skipped);
  if (skipped !== null) warn(`note: ${skipped}`);
}

/** `conntrail snapshot`: read the sockets once, filter, and print them in the asked-for format. */
export async function runSnapshot(options: SnapshotOptions, io: CommandIo): Promise<number> {
  const warn = warnLine(io);
  if (options.state !== undefined && statusFromUser(options.state) === null) {
    throw new UsageError(`unknown state "${options.state}"; use one of ${STATUS_WORDS.join(", ")}`);
  }
  // Opened first, so a history that cannot be written stops the run before anything is printed.
  // History (SQLite), CSV and ECS/OCSF modules are imported only by the runs that use them: a plain snapshot
  // is a one-shot command whose start-up is a large part of its cost. The names of history's environment
  // variables too: environment.ts imports every store (node:path) and the reputation settings
  // (dotenv, CommonJS) to list them.
  let store = null;
  if (options.save) {
    const [{ openCommandHistory }, { historyEnv }] = await Promise.all([
      import("./history_config.ts"),
      import("./environment.ts"),
    ]);
    store = await openCommandHistory(options, { ...io, env: io.readEnv(historyEnv(io.os)).values }, "write");
  }
  const takenAt = io.now();
  const timestamp = isoWithOffset(takenAt);
  // Read once; the table shows no process path, so unless the snapshot is saved no `find` runs for them. The
  // reading may hand its sockets over in batches (see CollectResult.more): JSON and NDJSON are written a batch at
  // a time, and no socket outlives its batch.
  const result = await collectorOf(options, io, {
    once: true,
    processPaths: options.format !== "table" || options.save,
  }).collect({ batches: true });
  const listeners = listenersOf(
    result.more === undefined ? result.sockets : [...result.sockets, ...result.more.listeners],
  );
  const filter = {
    proto: options.proto,
    state: options.state,
    pid: options.pid,
    process: options.process,
    listening: options.listening,
  };
  let socketsRead = 0;
  // Unless saved, the sockets become the connections (no copies; they keep an inode no writer here shows).
  function* connectionBatches(): Generator<Connection[]> {
    for (const sockets of socketBatches(result)) {
      socketsRead += sockets.length;
      const connections = options.save
        ? toConnections(sockets, timestamp, undefined, listeners)
        : toConnectionsInPlace(sockets, timestamp, listeners);
      yield filterConnections(connections, filter);
    }
  }
  // Every connection at once for the table (its widths come from every row) and for a history, which saves them
  // all; the other formats are written a batch at a time.
  const streamed = !options.save && options.format !== "table";
  const connections = streamed ? [] : allOf(connectionBatches());
  const batches = () => streamed ? connectionBatches() : [connections];
  // Before the output, as a reading read whole says them (`| head` ends the run at its first lines), unless the
  // output is written a batch at a time: the skipped lines and notes of batches are known once all are read.
  const notesAfter = streamed && result.more !== undefined;
  if (!notesAfter) sayNotes(result, warn);
  const render = { traffic: options.traffic };
  switch (options.format) {
    case "table": {
      // An empty table says why: what the filters left out, or that the source listed nothing.
      const filters = filterFlags(options);
      const none = socketsRead === 0
        ? `no TCP or UDP sockets ${options.input === undefined ? "were found" : "are in the input"}\n`
        : `no connections match ${filters} (${socketsRead} sockets read)\n`;
      if (connections.length === 0) await io.stdout(none);
      else {
        const { connectionsTableChunks } = await import("../render/connections_table.ts");
        // Written as it is rendered: `conntrail snapshot | head` returns at once.
        for (const chunk of connectionsTableChunks(connections, render)) await io.stdout(chunk);
      }
      break;
    }
    // The others are written chunk by chunk too: the whole text of a large snapshot is never held.
    case "json":
      for (const chunk of connectionBatchesJsonChunks(batches(), render)) await io.stdout(chunk);
      break;
    case "ndjson":
      for (const batch of batches()) {
        for (const chunk of connectionsNdjsonChunks(batch, render)) await io.stdout(chunk);
      }
      break;
    case "csv": {
      const { connectionBatchesCsvChunks } = await import("../render/connections_csv.ts");
      for (const chunk of connectionBatchesCsvChunks(batches(), render)) await io.stdout(chunk);
      break;
    }
    case "ecs":
    case "ocsf": {
      const [{ snapshotRecordChunks }, { openRecordContext }] = await Promise.all([
        import("../render/event_record.ts"),
        import("./record_context.ts"),
      ]);
      const context = openRecordContext(io, warn);
      for (const chunk of snapshotRecordChunks(options.format, batches(), context)) await io.stdout(chunk);
      break;
    }
  }
  if (notesAfter) sayNotes(result, warn);
  if (store !== null) {
    try {
      const saved = await store.saveSnapshot(takenAt.getTime(), connections);
      warn(`saved snapshot ${saved.id} (${saved.connections} connections) in ${store.location}`);
    } finally {
      await store.close();
    }
  }
  return 0;
}
