import { deepStrictEqual } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { SqliteStore } from "../../lib/store/sqlite_store.ts";
import { openDatabase } from "../sqlite_opener.ts";
import type { HistoryEvent } from "../../lib/store/history_store.ts";
import type { Connection } from "../../lib/model/connection.ts";
import type { OpenSlot } from "../../lib/model/monitor_event.ts";

const base: Connection = {
  timestamp: "2026-12-03T10:00:00.000+00:00",
  protocol: "TCP",
  family: 4,
  local_ip: "10.0.0.2",
  local_port: 40000,
  remote_ip: "203.0.113.7",
  remote_port: 443,
  status: "ESTABLISHED",
  direction: "outgoing",
  pid: 7,
  process_name: "curl",
  process_path: null,
  user: null,
  bytes_sent: 1,
  bytes_received: 2,
};
const at = (port: number, more: Partial<Connection> = {}): Connection => ({
  ...base,
  local_port: port,
  ...more,
});

/**
 * Batches as a monitor's recorder writes them, each connection's events sharing one slot while it is open: an
 * earlier run's record continued at the start (two sockets match it: one continues it; a tracker never has two
 * open at once under one key, so neither has events after), a state change, an owner
 * learned, closes (TIME_WAIT, then gone: the second close changes nothing), a connection that opened and closed
 * between two polls, the same socket opened again after it closed (a new slot), and the last sightings.
 */
function batches(): HistoryEvent[][] {
  const slot = (): OpenSlot => ({ historyId: undefined });
  const [a, b, c, d, dTwin, e, f, c2] = [slot(), slot(), slot(), slot(), slot(), slot(), slot(), slot()];
  return [
    [
      { kind: "opened", at: 1_000, connection: at(40001), info: {}, atStart: true, slot: a },
      {
        kind: "opened",
        at: 1_000,
        connection: at(40002, { pid: null, process_name: null }),
        info: {},
        atStart: true,
        slot: b,
      },
      { kind: "opened", at: 1_000, connection: at(40003), info: {}, atStart: true, slot: c },
    ],
    [
      { kind: "opened", at: 1_000, connection: at(40009), info: {}, atStart: true, slot: d },
      { kind: "opened", at: 1_000, connection: at(40009), info: {}, atStart: true, slot: dTwin },
    ],
    [
      { kind: "status", at: 2_000, connection: at(40001, { status: "CLOSE_WAIT", bytes_sent: 5 }), slot: a },
      { kind: "owner", at: 2_000, connection: at(40002, { pid: 9, process_name: "wget" }), slot: b },
      { kind: "closed", at: 2_000, connection: at(40003, { bytes_received: 9 }), info: {}, slot: c },
      { kind: "opened", at: 2_000, connection: at(40004), info: {}, slot: e },
    ],
    [
      { kind: "closed", at: 3_000, connection: at(40001, { status: "TIME_WAIT" }), info: {}, slot: a },
      {
        kind: "closed",
        at: 4_000,
        connection: at(40001, { status: "TIME_WAIT", bytes_sent: 8 }),
        info: {},
        slot: a,
      },
      { kind: "opened", at: 3_000, connection: at(40005), info: {}, slot: f },
      { kind: "closed", at: 3_000, connection: at(40005), info: {}, slot: f },
      { kind: "opened", at: 3_000, connection: at(40003, { bytes_sent: 3 }), info: {}, slot: c2 },
    ],
    [
      { kind: "seen", at: 5_000, connection: at(40002, { bytes_sent: 50 }), slot: b },
      { kind: "seen", at: 5_000, connection: at(40004, { bytes_sent: 40 }), slot: e },
      { kind: "seen", at: 5_000, connection: at(40003, { bytes_sent: 30 }), slot: c2 },
    ],
  ];
}

/** The history file's rows after an earlier run left 40009 open, and then these batches (slots dropped or not). */
async function rows(slots: boolean): Promise<unknown[]> {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "history.db");
    const earlier = SqliteStore.open(path, { openDatabase });
    await earlier.record([{ kind: "opened", at: 500, connection: at(40009), info: {} }]);
    await earlier.close();
    const store = SqliteStore.open(path, { openDatabase });
    for (const batch of batches()) {
      await store.record(
        slots ? batch : batch.map((event) => {
          const { slot: _slot, ...keyed } = event as HistoryEvent & { slot?: OpenSlot };
          return keyed as HistoryEvent;
        }),
      );
    }
    await store.close();
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return [
        ...db.prepare("SELECT * FROM connections ORDER BY id").all(),
        ...db.prepare("SELECT * FROM addresses ORDER BY ip").all(),
      ];
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SqliteStore writes the same rows for events that carry their connection's slot as for events found by key", async () => {
  const bySlot = await rows(true);
  deepStrictEqual(bySlot, await rows(false));
  // What the batches made, so that the comparison is about something: seven records, the earlier run's continued.
  const connections = bySlot.slice(0, 7) as {
    local_port: number;
    status: string;
    closed_at: number | null;
  }[];
  deepStrictEqual(connections.map((c) => `${c.local_port} ${c.status} ${c.closed_at}`), [
    "40009 ESTABLISHED null",
    "40001 TIME_WAIT 3000",
    "40002 ESTABLISHED null",
    "40003 ESTABLISHED 2000",
    "40009 ESTABLISHED null",
    "40004 ESTABLISHED null",
    "40005 ESTABLISHED 3000",
  ]);
});

Deno.test("SqliteStore keeps a connection's record id in its slot, and forgets it when the connection closes", async () => {
  const store = SqliteStore.open(":memory:", { openDatabase });
  try {
    const slot: OpenSlot = { historyId: undefined };
    await store.record([{ kind: "opened", at: 1_000, connection: at(40001), info: {}, slot }]);
    deepStrictEqual(slot.historyId, 1);
    await store.record([{ kind: "closed", at: 2_000, connection: at(40001), info: {}, slot }]);
    deepStrictEqual(slot.historyId, undefined);
  } finally {
    await store.close();
  }
});

Deno.test("SqliteStore continues no record a connection of its own run holds by slot", async () => {
  const store = SqliteStore.open(":memory:", { openDatabase });
  try {
    const first: OpenSlot = { historyId: undefined };
    const second: OpenSlot = { historyId: undefined };
    await store.record([{
      kind: "opened",
      at: 1_000,
      connection: at(40001),
      info: {},
      atStart: true,
      slot: first,
    }]);
    await store.record([{
      kind: "opened",
      at: 1_000,
      connection: at(40001),
      info: {},
      atStart: true,
      slot: second,
    }]);
    deepStrictEqual([first.historyId, second.historyId], [1, 2]);
  } finally {
    await store.close();
  }
});

Deno.test("SqliteStore does not close another connection's record through a slot whose record a prune removed and SQLite gave again", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "history.db");
  try {
    const store = SqliteStore.open(path, { openDatabase });
    const long: OpenSlot = { historyId: undefined };
    const other: OpenSlot = { historyId: undefined };
    await store.record([{ kind: "opened", at: 1_000, connection: at(40001), info: {}, slot: long }]);
    // Its address was last seen at 1,000: the prune removes the address and the open record with it.
    await store.prune(5_000);
    const elsewhere = at(40002, { remote_ip: "198.51.100.9" });
    await store.record([{ kind: "opened", at: 6_000, connection: elsewhere, info: {}, slot: other }]);
    // SQLite gives the removed highest id again: the test is only about something when it did.
    deepStrictEqual([long.historyId, other.historyId], [1, 1]);
    await store.record([{ kind: "closed", at: 7_000, connection: at(40001), info: {}, slot: long }]);
    await store.close();
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      deepStrictEqual(
        db.prepare("SELECT id, remote_ip, closed_at FROM connections ORDER BY id").all().map((r) => ({
          ...r,
        })),
        [{ id: 1, remote_ip: "198.51.100.9", closed_at: null }],
      );
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
