import { deepStrictEqual } from "node:assert/strict";
import { HistoryRecorder } from "../../lib/monitor/history_recorder.ts";
import { MemoryStore } from "../../lib/store/memory_store.ts";
import type { HistoryEvent, HistoryStore } from "../../lib/store/history_store.ts";
import type { ConnectionEvent } from "../../lib/model/monitor_event.ts";
import type { Connection } from "../../lib/model/connection.ts";
import { at, connection as baseConnection } from "./_connections.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { SqliteStore } from "../../lib/store/sqlite_store.ts";
import { openDatabase } from "../sqlite_opener.ts";
import { tempDir } from "../temp_dir.ts";

const connection: Connection = baseConnection({
  timestamp: "2026-11-21T14:30:16.000+00:00",
  remote_ip: "8.8.8.8",
  pid: 1,
  process_name: "curl",
  process_path: null,
  user: null,
});

/** A store that records what it was given, and fails when told to. */
class ScriptedStore extends MemoryStore {
  batches: HistoryEvent[][] = [];
  failing = false;
  #waiters: (() => void)[] = [];
  override record(events: readonly HistoryEvent[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error("database or disk is full"));
    this.batches.push([...events]);
    for (const resolve of this.#waiters.splice(0)) resolve();
    return super.record(events);
  }
  /** Resolves when the next batch arrives. */
  nextBatch(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

const event = (kind: ConnectionEvent["event"], c: Connection = connection): ConnectionEvent => ({
  event: kind,
  connection: c,
});

Deno.test("HistoryRecorder.record() only buffers; the batch is written once the interval passes", async () => {
  const store = new ScriptedStore({ location: "scripted" });
  const recorder = new HistoryRecorder(store, {
    describe: () => ({ country: "US" }),
    note: () => {},
    fallback: () => new MemoryStore(),
    flushIntervalMs: 30,
  });
  const written = store.nextBatch();
  recorder.record([event("NEW"), event("STATE", { ...connection, status: "CLOSE_WAIT" })]);
  recorder.record([event("NEW", { ...connection, remote_ip: null, status: "LISTEN" })]);
  deepStrictEqual(store.batches.length, 0, "nothing written during the tick");
  // The interval's timer writes the batch by itself.
  await written;
  deepStrictEqual(store.batches.map((b) => b.map((e) => e.kind)), [["opened", "status"]]);
  // TIME_WAIT ends the conversation: history closes the connection then.
  recorder.record([event("STATE", { ...connection, status: "TIME_WAIT" })]);
  await recorder.close([], Date.parse(connection.timestamp) + 5000);
  deepStrictEqual(store.batches.map((b) => b.map((e) => e.kind)), [["opened", "status"], ["closed"]]);
  deepStrictEqual(recorder.written, 3);
  const [record] = await store.connections("8.8.8.8");
  deepStrictEqual([record?.status, record?.closed_at], ["TIME_WAIT", Date.parse(connection.timestamp)]);
});

Deno.test("HistoryRecorder falls back to memory with one line when the store fails, keeping the failed batch", async () => {
  const store = new ScriptedStore({ location: "sqlite /full/history.db" });
  const notes: string[] = [];
  const recorder = new HistoryRecorder(store, {
    describe: () => ({}),
    note: (line) => notes.push(line),
    fallback: () => new MemoryStore({ location: "memory" }),
    flushIntervalMs: 10_000,
  });
  recorder.record([event("NEW")]);
  await recorder.flush();
  store.failing = true;
  recorder.record([event("NEW", { ...connection, local_port: 50001 })]);
  await recorder.flush();
  recorder.record([event("NEW", { ...connection, local_port: 50002 })]);
  await recorder.flush();
  deepStrictEqual(notes, [
    "warning: history is kept in memory only from now on: sqlite /full/history.db: database or disk is full",
  ]);
  deepStrictEqual(recorder.location, "memory");
  deepStrictEqual(recorder.written, 3);
  await recorder.close([{ ...connection, local_port: 50002 }], Date.parse(connection.timestamp) + 9000);
  deepStrictEqual(store.batches.length, 1, "the failed store got nothing more");
});

Deno.test("HistoryRecorder marks the first poll's connections as open at the start and passes owners learned later", async () => {
  const store = new ScriptedStore({ location: "scripted" });
  const recorder = new HistoryRecorder(store, {
    describe: () => ({}),
    note: () => {},
    fallback: () => new MemoryStore(),
    flushIntervalMs: 10_000,
  });
  const unowned = { ...connection, pid: null, process_name: null, process_path: null };
  recorder.record([event("NEW", unowned)], { firstPoll: true });
  recorder.record([event("NEW", { ...unowned, local_port: 50001 })], {
    ownersLearned: [{ connection, slot: { historyId: undefined } }],
  });
  await recorder.close([], Date.parse(connection.timestamp) + 1000);
  deepStrictEqual(
    store.batches.flat().map((e) => [e.kind, "atStart" in e ? e.atStart : undefined]),
    [["opened", true], ["owner", undefined], ["opened", undefined]],
  );
  const records = await store.connections("8.8.8.8");
  deepStrictEqual(records.map((r) => [r.local_port, r.open_at_start, r.process_name]).sort(), [
    [50000, true, "curl"],
    [50001, false, null],
  ]);
});

Deno.test("HistoryRecorder writes a batch of thousands in parts of 2,000, in order, and falls back with the part that failed and the rest", async () => {
  const store = new ScriptedStore({ location: "sqlite /full/history.db" });
  const fallback = new ScriptedStore({ location: "memory" });
  const recorder = new HistoryRecorder(store, {
    describe: () => ({}),
    note: () => {},
    fallback: () => fallback,
    flushIntervalMs: 10_000,
  });
  const many = (count: number, from: number) =>
    Array.from({ length: count }, (_, i) => event("NEW", { ...connection, local_port: from + i }));
  recorder.record(many(4500, 10_000));
  await recorder.flush();
  deepStrictEqual(store.batches.map((b) => b.length), [2000, 2000, 500]);
  const ports = (batches: HistoryEvent[][]) =>
    batches.flat().map((e) => "connection" in e ? e.connection.local_port : null);
  deepStrictEqual(ports(store.batches), many(4500, 10_000).map((e) => e.connection.local_port));
  // The store fails at the second part: that part and the third go to memory.
  const record = store.record.bind(store);
  let parts = 0;
  store.record = (events) => (++parts === 2 ? Promise.reject(new Error("disk full")) : record(events));
  recorder.record(many(4500, 20_000));
  await recorder.flush();
  deepStrictEqual([store.batches.length, fallback.batches.map((b) => b.length)], [4, [2500]]);
  deepStrictEqual(ports(fallback.batches), many(2500, 22_000).map((e) => e.connection.local_port));
  deepStrictEqual(recorder.written, 9000);
});

Deno.test("HistoryRecorder.written counts the events, not the last sighting of each connection open at the end", async () => {
  const store = new ScriptedStore({ location: "scripted" });
  const recorder = new HistoryRecorder(store, {
    describe: () => ({}),
    note: () => {},
    fallback: () => new MemoryStore(),
    flushIntervalMs: 10_000,
  });
  const open = [50000, 50001, 50002].map((local_port) => ({ ...connection, local_port }));
  recorder.record(open.map((c) => event("NEW", c)), { firstPoll: true });
  const end = Date.parse(connection.timestamp) + 7000;
  await recorder.close(open, end);
  // Each still-open connection's sighting is written (the address was seen until the end) ...
  deepStrictEqual(store.batches.flat().map((e) => e.kind), [
    "opened",
    "opened",
    "opened",
    "seen",
    "seen",
    "seen",
  ]);
  const { rows } = await store.addresses({ ip: "8.8.8.8" });
  deepStrictEqual(rows.map((a) => [a.ip, a.times_seen, a.last_seen]), [["8.8.8.8", 3, end]]);
  // ... but the run saw three events, not six.
  deepStrictEqual(recorder.written, 3);
});

// The recorder closes its store at the end: what it wrote is read from the store (memory) or its file again.
const stores: [
  string,
  (path: string) => HistoryStore,
  (store: HistoryStore, path: string) => HistoryStore,
][] = [
  ["memory", () => new MemoryStore(), (store) => store],
  [
    "SQLite",
    (path) => SqliteStore.open(path, { openDatabase }),
    (_, path) => SqliteStore.open(path, { openDatabase }),
  ],
];
for (const [name, open, reopen] of stores) {
  Deno.test(`HistoryRecorder with the Tracker: a new connection on an earlier one's TIME_WAIT four-tuple is a second connection (${name})`, async () => {
    const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
    await using temp = await tempDir();
    const path = `${temp.path}/history.db`;
    const store = open(path);
    const recorder = new HistoryRecorder(store, {
      describe: () => ({}),
      note: () => {},
      fallback: () => new MemoryStore(),
      flushIntervalMs: 10_000,
    });
    const earlier = { ...connection, local_port: 40000 };
    // The kernel gives the earlier one's TIME_WAIT four-tuple to the next (loopback's tcp_tw_reuse).
    const polls = [[], [earlier], [{ ...earlier, status: "TIME_WAIT" }], [{ ...earlier, pid: 2 }], []];
    polls.forEach((listed, i) => recorder.record(tracker.update(listed, at(i)), { firstPoll: i === 0 }));
    await recorder.close([], at(5).getTime());
    const written = reopen(store, path);
    const records = (await written.connections("8.8.8.8")).map((
      r,
    ) => [r.pid, r.status, r.opened_at, r.closed_at]);
    const ms = (s: number) => at(s).getTime();
    deepStrictEqual(records.sort(), [[1, "TIME_WAIT", ms(1), ms(2)], [2, "ESTABLISHED", ms(3), ms(4)]]);
    await written.close();
  });
}
