/**
 * History: sustained insert rate and one-address queries among 10 million
 * connection rows, each against a baseline measured in the same run.
 *
 *   insert:  the monitor's batches (1,000 events a second: 70% opened, 25% closed, 5% status changes over
 *            50,000 addresses) into a new SQLite file through SqliteStore, against the same events one
 *            autocommit transaction each (the obvious way) and through the JSON store (the reputation
 *            tool's files, rewritten per batch)
 *   query:   `conntrail history IP` (address, its 1,000 latest connections, its alerts) among 10 M connection
 *            rows and 1 M addresses, against the same answer without the index (a scan)
 *
 * Target: ≥ 100,000 events/s sustained, and ≤ 10 ms per one-address query.
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { HistoryEvent, HistoryStore } from "../lib/store/history_store.ts";
import { SqliteStore } from "../lib/store/sqlite_store.ts";
import { openDatabase } from "../tests/sqlite_opener.ts";
import { JsonStore } from "../lib/store/json_store.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";
import type { Connection } from "../lib/model/connection.ts";

const EVENTS = Number(Deno.env.get("BENCH_HISTORY_EVENTS") ?? 1_000_000);
const ROWS = Number(Deno.env.get("BENCH_HISTORY_ROWS") ?? 10_000_000);
const BATCH = 1_000;
const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const rate = (events: number, ms: number) => Math.round(events / (ms / 1000));
const fmt = (n: number) => n.toLocaleString("en");

function connection(i: number): Connection {
  const address = i % 50_000;
  return {
    timestamp: "",
    protocol: i % 10 === 0 ? "UDP" : "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: 1024 + (i % 60_000),
    remote_ip: `198.18.${address >> 8}.${address & 255}`,
    remote_port: 443,
    status: "ESTABLISHED",
    direction: "outgoing",
    pid: 1000 + (i % 300),
    process_name: `process-${i % 300}`,
    process_path: `/usr/bin/process-${i % 300}`,
    user: "ana",
  };
}

/** The monitor's stream: connections open, some change status, most close a little later. */
function* monitorEvents(total: number): Generator<HistoryEvent> {
  const info = { hostname: null, country: "US", asn: 15169, as_org: "Google LLC" };
  let opened = 0;
  for (let n = 0; n < total; n++) {
    const kind = n % 20;
    const at = 1_700_000_000_000 + n;
    if (kind < 14 || opened < 100) {
      yield { kind: "opened", at, connection: connection(opened++), info };
    } else if (kind < 19) {
      yield { kind: "closed", at, connection: { ...connection(opened - 50), status: "TIME_WAIT" }, info };
    } else {
      yield { kind: "status", at, connection: { ...connection(opened - 10), status: "CLOSE_WAIT" } };
    }
  }
}

/** Events per second spent in `record()` (making the events, the monitor's work, is not counted). */
async function insertRate(store: HistoryStore, total: number, batchSize = BATCH): Promise<number> {
  let batch: HistoryEvent[] = [];
  let ms = 0;
  const write = async () => {
    const t0 = performance.now();
    await store.record(batch);
    ms += performance.now() - t0;
    batch = [];
  };
  for (const event of monitorEvents(total)) {
    batch.push(event);
    if (batch.length === batchSize) await write();
  }
  await write();
  await store.close();
  return rate(total, ms);
}

console.log(`history insert: ${fmt(EVENTS)} events in batches of ${fmt(BATCH)}`);
const batched = await insertRate(SqliteStore.open(join(dir, "batched.db"), { openDatabase }), EVENTS);
// One transaction per event: what SQLite does when nobody opens a transaction.
const perEventTotal = 20_000;
const perEvent = await insertRate(
  SqliteStore.open(join(dir, "per-event.db"), { openDatabase }),
  perEventTotal,
  1,
);
const jsonTotal = 20_000;
const json = await insertRate(
  await JsonStore.open({
    history: join(dir, "h.json"),
    connections: join(dir, "c.json"),
    abuseInfo: join(dir, "a.json"),
    alerts: join(dir, "al.json"),
    snapshots: join(dir, "s.json"),
  }, denoPlatform().files),
  jsonTotal,
);
console.log(`  SqliteStore, batched            ${fmt(batched).padStart(10)} events/s   (target ≥ 100,000)`);
console.log(
  `  one transaction per event       ${fmt(perEvent).padStart(10)} events/s   (${
    fmt(perEventTotal)
  } events) ` +
    `batched is ${(batched / perEvent).toFixed(1)}× faster`,
);
console.log(
  `  JsonStore (files per batch)     ${fmt(json).padStart(10)} events/s   (${fmt(jsonTotal)} events) ` +
    `batched SQLite is ${(batched / json).toFixed(1)}× faster`,
);

// A history of 10 M connections to 1 M addresses, built in SQL (inserting it event by event would take
// minutes), with the schema SqliteStore makes.
const bigPath = join(dir, "big.db");
await SqliteStore.open(bigPath, { openDatabase }).close();
{
  const t0 = performance.now();
  const db = new DatabaseSync(bigPath);
  db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN");
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS} - 1)
    INSERT INTO connections (protocol, family, local_ip, local_port, remote_ip, remote_port, status, direction, pid,
      process_name, process_path, user, opened_at, closed_at)
    SELECT 'TCP', 4, '10.0.0.2', 1024 + i % 60000,
      '10.' || ((i % 1000000) >> 16) || '.' || (((i % 1000000) >> 8) & 255) || '.' || ((i % 1000000) & 255),
      443, 'TIME_WAIT', 'outgoing', 1000 + i % 300, 'process-' || (i % 300), NULL, 'ana',
      1700000000000 + i, 1700000000000 + i + 5000 FROM n`);
  db.exec(`INSERT INTO addresses (ip, first_seen, last_seen, times_seen, country)
    SELECT remote_ip, min(opened_at), max(closed_at), count(*), 'US' FROM connections GROUP BY remote_ip`);
  db.exec("COMMIT");
  db.close();
  console.log(
    `history query: built ${fmt(ROWS)} connection rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}
const store = SqliteStore.open(bigPath, { readOnly: true, openDatabase });
const randomAddress = () => {
  const a = Math.floor(Math.random() * 1_000_000);
  return `10.${a >> 16}.${(a >> 8) & 255}.${a & 255}`;
};
const times: number[] = [];
let rowsSeen = 0;
for (let i = 0; i < 200; i++) {
  const ip = randomAddress();
  const t0 = performance.now();
  const { rows } = await store.addresses({ ip });
  const connections = await store.connections(ip, 1000);
  await store.alerts({ ip, limit: 1000 });
  times.push(performance.now() - t0);
  if (rows.length !== 1 || connections.length !== ROWS / 1_000_000) throw new Error(`wrong answer for ${ip}`);
  rowsSeen += connections.length;
}
await store.close();
times.sort((a, b) => a - b);
const median = times[times.length >> 1] ?? 0;
const p99 = times[Math.floor(times.length * 0.99)] ?? 0;
// The baseline: the same question without the index, as a history kept without one would answer it.
const scan = new DatabaseSync(bigPath, { readOnly: true });
const scanQuery = scan.prepare(
  "SELECT * FROM connections NOT INDEXED WHERE remote_ip = ? ORDER BY opened_at DESC LIMIT 1000",
);
const scanTimes: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  scanQuery.all(randomAddress());
  scanTimes.push(performance.now() - t0);
}
scan.close();
const scanMedian = scanTimes.sort((a, b) => a - b)[1] ?? 0;
console.log(
  `  one address (${rowsSeen / times.length} connections each): median ${median.toFixed(2)} ms, p99 ${
    p99.toFixed(2)
  } ms ` +
    `(target ≤ 10 ms)`,
);
console.log(
  `  same answer by a scan:           median ${scanMedian.toFixed(0)} ms (${
    (scanMedian / median).toFixed(0)
  }× slower)`,
);

Deno.bench("history: SqliteStore.record() of one 1,000-event batch", { group: "history" }, async (b) => {
  const path = join(dir, `bench-${crypto.randomUUID()}.db`);
  const writer = SqliteStore.open(path, { openDatabase });
  const events = [...monitorEvents(BATCH)];
  b.start();
  await writer.record(events);
  b.end();
  await writer.close();
});
