import { deepStrictEqual, match, ok, rejects, throws } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { SqliteStore } from "../../lib/store/sqlite_store.ts";
import { openDatabase } from "../sqlite_opener.ts";
import { HistoryFileError } from "../../lib/store/history_file_error.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../../lib/store/_sqlite_schema.ts";
import type { Connection } from "../../lib/model/connection.ts";

async function tempDb(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir();
  return { path: join(dir, "history.db"), cleanup: () => Deno.remove(dir, { recursive: true }) };
}

const SNAPSHOT_CONNECTION: Connection = {
  timestamp: "2026-11-21T14:30:16.000+01:00",
  protocol: "UDP",
  process_name: "systemd-resolve",
  process_path: null,
  pid: 512,
  local_ip: "127.0.0.53",
  local_port: 53,
  remote_ip: null,
  remote_port: null,
  status: "UNCONNECTED",
  family: 4,
  direction: "listening",
  user: null,
};

Deno.test("SqliteStore.open() upgrades a database made by the first schema through every step and keeps its data", async () => {
  const { path, cleanup } = await tempDb();
  try {
    // Build the first schema with its own step, and fill it as that version did.
    const old = new DatabaseSync(path);
    old.exec(MIGRATIONS[0] ?? "");
    old.exec("PRAGMA user_version = 1");
    old.prepare("INSERT INTO snapshots (taken_at, connections) VALUES (?, ?)").run(
      1_000,
      JSON.stringify([SNAPSHOT_CONNECTION, { ...SNAPSHOT_CONNECTION, local_port: 5353, pid: null }]),
    );
    old.prepare("INSERT INTO snapshots (taken_at, connections) VALUES (?, ?)").run(2_000, "[]");
    old.prepare(
      `INSERT INTO addresses (ip, first_seen, last_seen, times_seen, country, risk_level, abuse_score, last_scanned)
        VALUES ('8.8.8.8', 10, 20, 3, 'US', 'SAFE', 0, 15)`,
    ).run();
    old.prepare(
      `INSERT INTO connections (protocol, family, local_ip, local_port, remote_ip, remote_port, status, direction,
        opened_at) VALUES ('TCP', 4, '10.0.0.2', 5000, '8.8.8.8', 443, 'ESTABLISHED', 'outgoing', 10)`,
    ).run();
    old.close();

    const store = SqliteStore.open(path, { openDatabase });
    deepStrictEqual(await store.snapshots(), [
      { id: 1, taken_at: 1_000, connections: 2 },
      { id: 2, taken_at: 2_000, connections: 0 },
    ]);
    deepStrictEqual(await store.snapshot(1), [SNAPSHOT_CONNECTION, {
      ...SNAPSHOT_CONNECTION,
      local_port: 5353,
      pid: null,
    }]);
    deepStrictEqual(await store.snapshot(2), []);
    const [address] = (await store.addresses({})).rows;
    deepStrictEqual([address?.ip, address?.times_seen, address?.risk_level, address?.last_scanned], [
      "8.8.8.8",
      3,
      "SAFE",
      15,
    ]);
    // Nothing was known about openings then: the record keeps its time as an opening.
    deepStrictEqual((await store.connections("8.8.8.8")).map((c) => [c.opened_at, c.open_at_start]), [[
      10,
      false,
    ]]);
    deepStrictEqual((await store.saveSnapshot(3_000, [])).id, 3);
    deepStrictEqual(store.integrityCheck(), "ok");
    await store.close();
    const check = new DatabaseSync(path);
    deepStrictEqual(check.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
    deepStrictEqual(check.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
    check.close();
  } finally {
    await cleanup();
  }
});

Deno.test("SqliteStore.open() keeps a writer's page cache at 256 KiB and leaves a reader SQLite's default", async () => {
  const { path, cleanup } = await tempDb();
  try {
    const opened: DatabaseSync[] = [];
    const openDatabase = (file: string, options: { readOnly?: boolean }) => {
      const db = new DatabaseSync(file, options);
      opened.push(db);
      return db;
    };
    const cacheSize = () => opened.at(-1)?.prepare("PRAGMA cache_size").get()?.cache_size;
    const writer = SqliteStore.open(path, { openDatabase });
    deepStrictEqual(cacheSize(), -256);
    await writer.close();
    const reader = SqliteStore.open(path, { readOnly: true, openDatabase });
    deepStrictEqual(cacheSize(), -2000);
    await reader.close();
  } finally {
    await cleanup();
  }
});

/** The migration step that added `domain` (issue 18); traffic counters came after it. */
const DOMAIN_STEP = 4;

Deno.test("SqliteStore.open() upgrades a database made by the schema before domain (step 4): connections and addresses gain it", async () => {
  const { path, cleanup } = await tempDb();
  try {
    const old = new DatabaseSync(path);
    for (const step of MIGRATIONS.slice(0, DOMAIN_STEP - 1)) old.exec(step);
    old.exec(`PRAGMA user_version = ${DOMAIN_STEP - 1}`);
    old.prepare(
      `INSERT INTO addresses (ip, first_seen, last_seen, times_seen, hostname) VALUES ('203.0.113.7', 10, 20, 1, 'x')`,
    ).run();
    old.prepare(
      `INSERT INTO connections (protocol, family, local_ip, local_port, remote_ip, remote_port, status, direction,
        opened_at) VALUES ('TCP', 4, '10.0.0.2', 5000, '203.0.113.7', 443, 'ESTABLISHED', 'outgoing', 10)`,
    ).run();
    old.close();

    const store = SqliteStore.open(path, { openDatabase });
    const [before] = await store.connections("203.0.113.7");
    deepStrictEqual([before?.local_port, before?.domain], [5000, null]);
    const connection: Connection = {
      ...SNAPSHOT_CONNECTION,
      protocol: "TCP",
      local_port: 5001,
      remote_ip: "203.0.113.7",
      remote_port: 443,
      status: "ESTABLISHED",
      direction: "outgoing",
      domain: "api.example.com",
    };
    await store.record([{ kind: "opened", at: 30, connection, info: {} }]);
    deepStrictEqual((await store.connections("203.0.113.7")).map((c) => c.domain), ["api.example.com", null]);
    const [address] = (await store.addresses({})).rows;
    deepStrictEqual([address?.hostname, address?.domain, address?.times_seen], ["x", "api.example.com", 2]);
    deepStrictEqual(store.integrityCheck(), "ok");
    await store.close();
  } finally {
    await cleanup();
  }
});

Deno.test("SqliteStore.open() upgrades a database made by the previous schema: old connections have no counters", async () => {
  const { path, cleanup } = await tempDb();
  try {
    const old = new DatabaseSync(path);
    for (const step of MIGRATIONS.slice(0, SCHEMA_VERSION - 1)) old.exec(step);
    old.exec(`PRAGMA user_version = ${SCHEMA_VERSION - 1}`);
    old.prepare(
      `INSERT INTO addresses (ip, first_seen, last_seen, times_seen) VALUES ('198.51.100.7', 10, 20, 1)`,
    ).run();
    old.prepare(
      `INSERT INTO connections (protocol, family, local_ip, local_port, remote_ip, remote_port, status, direction,
        opened_at, closed_at) VALUES ('TCP', 4, '10.0.0.2', 5000, '198.51.100.7', 443, 'TIME_WAIT', 'outgoing', 10, 20)`,
    ).run();
    old.close();
    const store = SqliteStore.open(path, { openDatabase });
    const [address] = (await store.addresses({ sort: "bytes" })).rows;
    deepStrictEqual([address?.ip, address?.bytes_sent, address?.bytes_received], [
      "198.51.100.7",
      null,
      null,
    ]);
    const [connection] = await store.connections("198.51.100.7");
    deepStrictEqual([connection?.closed_at, connection?.bytes_sent, connection?.bytes_received], [
      20,
      null,
      null,
    ]);
    deepStrictEqual(store.integrityCheck(), "ok");
    await store.close();
  } finally {
    await cleanup();
  }
});

Deno.test("SqliteStore.open() refuses a newer schema, another program's database and a file that is not one", async () => {
  const { path, cleanup } = await tempDb();
  try {
    const newer = new DatabaseSync(path);
    newer.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    throws(
      () => SqliteStore.open(path, { openDatabase }),
      (e: Error) => e instanceof HistoryFileError && /newer conntrail/.test(e.message),
    );
    throws(() => SqliteStore.open(path, { readOnly: true, openDatabase }), /newer conntrail/);
    await Deno.remove(path);
    const other = new DatabaseSync(path);
    other.exec("CREATE TABLE photos (id INTEGER)");
    other.close();
    throws(() => SqliteStore.open(path, { openDatabase }), /an SQLite database, but not conntrail's history/);
    await Deno.writeTextFile(path, "this is a text file, not a database ".repeat(100));
    throws(
      () => SqliteStore.open(path, { openDatabase }),
      (e: Error) => e instanceof HistoryFileError && /not a conntrail history/.test(e.message),
    );
    // Nothing was written over the user's file.
    match(await Deno.readTextFile(path), /^this is a text file/);
  } finally {
    await cleanup();
  }
});

Deno.test("two SqliteStores on one file both write, and a reader sees both", async () => {
  const { path, cleanup } = await tempDb();
  try {
    const one = SqliteStore.open(path, { openDatabase });
    const two = SqliteStore.open(path, { openDatabase });
    const c = (ip: string, port: number): Connection => ({
      ...SNAPSHOT_CONNECTION,
      protocol: "TCP",
      remote_ip: ip,
      remote_port: port,
      status: "ESTABLISHED",
      direction: "outgoing",
    });
    for (let i = 0; i < 50; i++) {
      await one.record([{ kind: "opened", at: i, connection: c("8.8.8.8", i), info: {} }]);
      await two.record([{ kind: "opened", at: i, connection: c("1.1.1.1", i), info: {} }]);
    }
    const reader = SqliteStore.open(path, { readOnly: true, openDatabase });
    deepStrictEqual((await reader.addresses({})).rows.map((r) => [r.ip, r.times_seen]), [["1.1.1.1", 50], [
      "8.8.8.8",
      50,
    ]]);
    await rejects(async () => await reader.saveSnapshot(1, []), /readonly/);
    for (const store of [one, two, reader]) await store.close();
  } finally {
    await cleanup();
  }
});

Deno.test("SqliteStore.record() keeps all of a batch or none of it", async () => {
  const { path, cleanup } = await tempDb();
  try {
    const store = SqliteStore.open(path, { openDatabase });
    const c: Connection = { ...SNAPSHOT_CONNECTION, remote_ip: "8.8.8.8", remote_port: 53 };
    await store.record([{ kind: "opened", at: 1, connection: c, info: {} }]);
    // A number SQLite cannot bind fails the second event: the first must not stay.
    await rejects(() =>
      store.record([
        { kind: "opened", at: 2, connection: { ...c, local_port: 1 }, info: {} },
        {
          kind: "opened",
          at: 3,
          connection: { ...c, local_port: 2, pid: 1n as unknown as number },
          info: { asn: Symbol() as unknown as number },
        },
      ])
    );
    deepStrictEqual((await store.connections("8.8.8.8")).map((r) => r.local_port), [53]);
    deepStrictEqual((await store.addresses({})).rows[0]?.times_seen, 1);
    ok(store.integrityCheck() === "ok");
    await store.close();
  } finally {
    await cleanup();
  }
});
