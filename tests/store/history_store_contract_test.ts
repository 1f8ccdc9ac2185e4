/**
 * One suite, every back end: what `HistoryStore` promises holds for memory,
 * SQLite (a real file) and JSON (real files), and the two that persist give
 * the same answers after being closed and opened again.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import type { HistoryEvent, HistoryStore } from "../../lib/store/history_store.ts";
import { MemoryStore } from "../../lib/store/memory_store.ts";
import { SqliteStore } from "../../lib/store/sqlite_store.ts";
import { openDatabase } from "../sqlite_opener.ts";
import { JsonStore } from "../../lib/store/json_store.ts";
import { jsonFilesIn } from "./_json_files.ts";
import type { Connection } from "../../lib/model/connection.ts";
import { connection as baseConnection, listener } from "../monitor/_connections.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();

/** A back end under test: how to open it, and how to open it again on the same storage. */
interface Backend {
  name: string;
  open: () => Promise<
    { store: HistoryStore; reopen: (() => Promise<HistoryStore>) | null; cleanup: () => Promise<void> }
  >;
}

const BACKENDS: Backend[] = [
  {
    name: "MemoryStore",
    open: () => {
      const store = new MemoryStore();
      // The next run on the same state, as the JSON store opens its files again.
      const reopen = () => Promise.resolve(new MemoryStore({}, store.state));
      return Promise.resolve({ store, reopen, cleanup: () => Promise.resolve() });
    },
  },
  {
    name: "SqliteStore",
    open: async () => {
      const dir = await Deno.makeTempDir();
      const path = join(dir, "history.db");
      return {
        store: SqliteStore.open(path, { openDatabase }),
        reopen: () => Promise.resolve(SqliteStore.open(path, { openDatabase })),
        cleanup: () => Deno.remove(dir, { recursive: true }),
      };
    },
  },
  {
    name: "JsonStore",
    open: async () => {
      const dir = await Deno.makeTempDir();
      return {
        store: await JsonStore.open(jsonFilesIn(dir), platform.files),
        reopen: () => JsonStore.open(jsonFilesIn(dir), platform.files),
        cleanup: () => Deno.remove(dir, { recursive: true }),
      };
    },
  },
];

/** A firefox connection to `remoteIp`, or a listening socket when it is null. */
function connection(
  remoteIp: string | null,
  localPort: number,
  overrides: Partial<Connection> = {},
): Connection {
  const base = { timestamp: "2026-11-21T14:30:16.000+00:00", local_ip: "10.0.0.2", local_port: localPort };
  return remoteIp === null
    ? listener(localPort, {
      ...base,
      pid: 4211,
      process_name: "firefox",
      process_path: "/usr/lib/firefox/firefox",
      user: "ana",
      ...overrides,
    })
    : baseConnection({ ...base, remote_ip: remoteIp, ...overrides });
}

const HOSTILE = 'evil\x1b[2J=HYPERLINK("x")<img src=x onerror=alert(1)>';

/** A day of events: two addresses, a late name, a status change, a listening socket, an alert, a reputation. */
function dayOfEvents(): HistoryEvent[] {
  const a1 = connection("8.8.8.8", 50001);
  const a2 = connection("8.8.8.8", 50002, { process_name: "curl", pid: 9, domain: "api.example.com" });
  const b = connection("2001:db8::7", 50003, { family: 6, process_name: HOSTILE });
  return [
    {
      kind: "opened",
      at: 1_000,
      connection: a1,
      info: { hostname: null, country: "US", asn: 15169, as_org: "Google LLC" },
    },
    { kind: "opened", at: 2_000, connection: b, info: {} },
    { kind: "opened", at: 2_500, connection: connection(null, 22), info: {} },
    { kind: "status", at: 3_000, connection: { ...a1, status: "CLOSE_WAIT" } },
    {
      kind: "closed",
      at: 4_000,
      connection: { ...a1, status: "CLOSE_WAIT" },
      info: { hostname: "dns.google" },
    },
    { kind: "opened", at: 5_000, connection: a2, info: { hostname: null, country: null } },
    {
      kind: "reputation",
      ip: "2001:db8::7",
      reputation: { risk_level: "MALICIOUS", abuse_score: 87, country: "NL", checked_at: 5_500 },
    },
    {
      kind: "alert",
      at: 6_000,
      connection: b,
      reason: "blocklist ips.txt:3 2001:db8::/32",
      details: { blocklist: "ips.txt:3 2001:db8::/32", risk_level: "MALICIOUS", abuse_score: 87 },
    },
    { kind: "seen", at: 9_000, connection: b },
  ];
}

async function checkDay(store: HistoryStore): Promise<void> {
  const { rows, total } = await store.addresses({});
  deepStrictEqual(total, 2);
  deepStrictEqual(rows.map((r) => r.ip), ["2001:db8::7", "8.8.8.8"]);
  const [b, a] = rows;
  deepStrictEqual(a, {
    ip: "8.8.8.8",
    first_seen: 1_000,
    last_seen: 5_000,
    times_seen: 2,
    hostname: "dns.google",
    country: "US",
    asn: 15169,
    as_org: "Google LLC",
    domain: "api.example.com",
    risk_level: null,
    abuse_score: null,
    last_scanned: null,
    lists: [],
    processes: ["curl", "firefox"],
    bytes_sent: null,
    bytes_received: null,
  });
  deepStrictEqual(b, {
    ip: "2001:db8::7",
    first_seen: 2_000,
    last_seen: 9_000,
    times_seen: 1,
    hostname: null,
    country: "NL",
    asn: null,
    as_org: null,
    domain: null,
    risk_level: "MALICIOUS",
    abuse_score: 87,
    last_scanned: 5_500,
    lists: ["ips.txt:3 2001:db8::/32"],
    processes: [HOSTILE],
    bytes_sent: null,
    bytes_received: null,
  });
  const connections = await store.connections("8.8.8.8");
  deepStrictEqual(
    connections.map((c) => [c.local_port, c.status, c.opened_at, c.closed_at, c.process_name, c.domain]),
    [
      [50002, "ESTABLISHED", 5_000, null, "curl", "api.example.com"],
      [50001, "CLOSE_WAIT", 1_000, 4_000, "firefox", null],
    ],
  );
  deepStrictEqual(connections[1], {
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: 50001,
    remote_ip: "8.8.8.8",
    remote_port: 443,
    status: "CLOSE_WAIT",
    direction: "outgoing",
    pid: 4211,
    process_name: "firefox",
    process_path: "/usr/lib/firefox/firefox",
    user: "ana",
    domain: null,
    opened_at: 1_000,
    open_at_start: false,
    closed_at: 4_000,
    bytes_sent: null,
    bytes_received: null,
  });
  deepStrictEqual((await store.connections("2001:db8::7")).map((c) => c.family), [6]);
  deepStrictEqual(await store.alerts(), [{
    at: 6_000,
    protocol: "TCP",
    remote_ip: "2001:db8::7",
    remote_port: 443,
    pid: 4211,
    process_name: HOSTILE,
    reason: "blocklist ips.txt:3 2001:db8::/32",
    blocklist: "ips.txt:3 2001:db8::/32",
    risk_level: "MALICIOUS",
    abuse_score: 87,
  }]);
  deepStrictEqual(await store.reputations(), [["2001:db8::7", {
    risk_level: "MALICIOUS",
    abuse_score: 87,
    country: "NL",
    checked_at: 5_500,
  }]]);
}

for (const backend of BACKENDS) {
  Deno.test(`${backend.name} keeps addresses, connections, alerts and reputations, listening sockets left out`, async () => {
    const { store, reopen, cleanup } = await backend.open();
    try {
      await store.record(dayOfEvents());
      await checkDay(store);
      await store.close();
      if (reopen !== null) {
        const again = await reopen();
        await checkDay(again);
        await again.close();
      }
    } finally {
      await cleanup();
    }
  });

  Deno.test(`${backend.name}.addresses() filters by since, risk, process and limit`, async () => {
    const { store, cleanup } = await backend.open();
    try {
      await store.record(dayOfEvents());
      const ips = async (query: Parameters<HistoryStore["addresses"]>[0]) =>
        (await store.addresses(query)).rows.map((r) => r.ip);
      deepStrictEqual(await ips({ since: 6_000 }), ["2001:db8::7"]);
      deepStrictEqual(await ips({ risk: "MALICIOUS" }), ["2001:db8::7"]);
      deepStrictEqual(await ips({ risk: "UNKNOWN" }), ["8.8.8.8"], "never scanned counts as UNKNOWN");
      deepStrictEqual(await ips({ risk: "SAFE" }), []);
      deepStrictEqual(await ips({ process: "CURL" }), ["8.8.8.8"]);
      deepStrictEqual(await ips({ process: "%" }), [], "a LIKE wildcard is plain text");
      deepStrictEqual(await ips({ ip: "8.8.8.8", process: "fire" }), ["8.8.8.8"]);
      deepStrictEqual(await ips({ ip: "1.1.1.1" }), []);
      const limited = await store.addresses({ limit: 1 });
      deepStrictEqual([limited.rows.length, limited.total], [1, 2]);
      deepStrictEqual((await store.alerts({ ip: "8.8.8.8" })).length, 0);
      deepStrictEqual((await store.alerts({ since: 6_001 })).length, 0);
      deepStrictEqual((await store.connections("8.8.8.8", 1)).map((c) => c.local_port), [50002]);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  Deno.test(`${backend.name} keeps each connection's last counters and adds them up per address`, async () => {
    const { store, reopen, cleanup } = await backend.open();
    const bytes = (sent: number | null, received: number | null) => ({
      bytes_sent: sent,
      bytes_received: received,
    });
    const a1 = connection("8.8.8.8", 50001, bytes(0, 0));
    const a2 = connection("8.8.8.8", 50002, bytes(100, 20));
    const b = connection("198.51.100.7", 50003, bytes(5_000_000, 1_000));
    try {
      await store.record([
        { kind: "opened", at: 1_000, connection: a1, info: {} },
        { kind: "opened", at: 1_000, connection: a2, info: {} },
        { kind: "opened", at: 1_000, connection: b, info: {} },
        { kind: "opened", at: 1_000, connection: connection("192.0.2.1", 50004), info: {} }, // no counters
        // TIME_WAIT closes a1 in history with its last counters; a later reading without any keeps them.
        {
          kind: "closed",
          at: 2_000,
          connection: { ...a1, ...bytes(4_000, 300), status: "TIME_WAIT" },
          info: {},
        },
        {
          kind: "closed",
          at: 3_000,
          connection: { ...a1, ...bytes(null, null), status: "TIME_WAIT" },
          info: {},
        },
        { kind: "status", at: 2_500, connection: { ...a2, ...bytes(null, null), status: "FIN_WAIT_2" } },
        { kind: "seen", at: 9_000, connection: { ...a2, ...bytes(700, 20) } },
      ]);
      let current = store;
      if (reopen !== null) {
        await store.close();
        current = await reopen();
      }
      const sums = async (sort?: "bytes") =>
        (await current.addresses(sort === undefined ? {} : { sort })).rows.map((r) => [
          r.ip,
          r.bytes_sent,
          r.bytes_received,
        ]);
      deepStrictEqual(await sums("bytes"), [
        ["198.51.100.7", 5_000_000, 1_000],
        ["8.8.8.8", 4_700, 320],
        ["192.0.2.1", null, null],
      ]);
      deepStrictEqual((await sums())[0]?.[0], "8.8.8.8", "most recently seen first by default");
      deepStrictEqual(
        (await current.connections("8.8.8.8")).map((c) => [c.local_port, c.bytes_sent, c.bytes_received]),
        [[50002, 700, 20], [50001, 4_000, 300]],
      );
      await current.close();
    } finally {
      await cleanup();
    }
  });

  Deno.test(`${backend.name} saves snapshots exactly and never reuses an id`, async () => {
    const { store, reopen, cleanup } = await backend.open();
    try {
      const first = [
        connection("8.8.8.8", 1),
        connection(null, 22, { pid: null, process_name: null, user: null }),
      ];
      const second = [{ ...connection("8.8.8.8", 1), process_name: HOSTILE, status: "TIME_WAIT" }];
      deepStrictEqual(await store.saveSnapshot(1_000, first), { id: 1, taken_at: 1_000, connections: 2 });
      deepStrictEqual(await store.saveSnapshot(2_000, second), { id: 2, taken_at: 2_000, connections: 1 });
      deepStrictEqual(await store.saveSnapshot(3_000, []), { id: 3, taken_at: 3_000, connections: 0 });
      deepStrictEqual(await store.snapshot(1), first);
      deepStrictEqual(await store.snapshot(2), second);
      deepStrictEqual(await store.snapshot(3), []);
      deepStrictEqual(await store.snapshot(9), null);
      deepStrictEqual(await store.prune(10_000), { addresses: 0, connections: 0, alerts: 0, snapshots: 3 });
      deepStrictEqual(await store.snapshots(), []);
      let current = store;
      if (reopen !== null) {
        await store.close();
        current = await reopen();
      }
      deepStrictEqual((await current.saveSnapshot(11_000, first)).id, 4);
      deepStrictEqual((await current.snapshots()).map((s) => s.id), [4]);
      await current.close();
    } finally {
      await cleanup();
    }
  });

  Deno.test(`${backend.name}.prune() forgets what was last seen before the cut, keeps the rest`, async () => {
    const { store, cleanup } = await backend.open();
    try {
      await store.record(dayOfEvents());
      await store.saveSnapshot(1_500, [connection("8.8.8.8", 1)]);
      await store.saveSnapshot(7_000, [connection("8.8.8.8", 1)]);
      // 8.8.8.8 was last seen at 5 s: its open connection (opened 5 s) and its closed one (4 s) go too.
      deepStrictEqual(await store.prune(5_001), { addresses: 1, connections: 2, alerts: 0, snapshots: 1 });
      deepStrictEqual((await store.addresses({})).rows.map((r) => r.ip), ["2001:db8::7"]);
      deepStrictEqual(await store.connections("8.8.8.8"), []);
      deepStrictEqual((await store.connections("2001:db8::7")).length, 1);
      deepStrictEqual((await store.snapshots()).map((s) => s.taken_at), [7_000]);
      deepStrictEqual(await store.prune(100_000), { addresses: 1, connections: 1, alerts: 1, snapshots: 1 });
      deepStrictEqual((await store.addresses({})).total, 0);
      // A pruned address comes back fresh, without its old lists.
      await store.record([{
        kind: "opened",
        at: 200_000,
        connection: connection("2001:db8::7", 9),
        info: {},
      }]);
      const [again] = (await store.addresses({})).rows;
      deepStrictEqual([again?.times_seen, again?.lists, again?.first_seen], [1, [], 200_000]);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  Deno.test(`${backend.name} closes the connection a later batch names, and a reputation is not a sighting`, async () => {
    const { store, cleanup } = await backend.open();
    try {
      const c = connection("9.9.9.9", 40000);
      await store.record([{ kind: "opened", at: 10_000, connection: c, info: {} }]);
      await store.record([{
        kind: "reputation",
        ip: "9.9.9.9",
        reputation: { risk_level: "SAFE", abuse_score: 0, country: "CH", checked_at: 50_000 },
      }]);
      await store.record([{
        kind: "closed",
        at: 20_000,
        connection: { ...c, status: "TIME_WAIT" },
        info: {},
      }]);
      // The same endpoints again: a new connection, closed on its own.
      await store.record([{ kind: "opened", at: 30_000, connection: c, info: {} }]);
      const [address] = (await store.addresses({ ip: "9.9.9.9" })).rows;
      deepStrictEqual([address?.first_seen, address?.last_seen, address?.times_seen], [10_000, 30_000, 2]);
      deepStrictEqual([address?.risk_level, address?.country, address?.last_scanned], ["SAFE", "CH", 50_000]);
      deepStrictEqual((await store.connections("9.9.9.9")).map((r) => [r.opened_at, r.closed_at, r.status]), [
        [30_000, null, "ESTABLISHED"],
        [10_000, 20_000, "TIME_WAIT"],
      ]);
      // A reputation for an address never seen creates it.
      await store.record([{
        kind: "reputation",
        ip: "1.1.1.1",
        reputation: { risk_level: "UNKNOWN", abuse_score: null, country: null, checked_at: 60_000 },
      }]);
      const [unknown] = (await store.addresses({ ip: "1.1.1.1" })).rows;
      deepStrictEqual([unknown?.times_seen, unknown?.risk_level, unknown?.abuse_score], [0, "UNKNOWN", null]);
      ok((await store.reputations()).some(([ip]) => ip === "1.1.1.1"));
    } finally {
      await store.close();
      await cleanup();
    }
  });

  Deno.test(`${backend.name} fills in the process a later poll named, and never overwrites a known one`, async () => {
    const { store, cleanup } = await backend.open();
    try {
      const owned = connection("9.9.9.9", 40001);
      const unowned = { ...owned, pid: null, process_name: null, process_path: null, user: null };
      await store.record([{ kind: "opened", at: 1_000, connection: unowned, info: {} }]);
      deepStrictEqual((await store.addresses({ ip: "9.9.9.9" })).rows[0]?.processes, []);
      await store.record([{ kind: "owner", at: 2_000, connection: owned }]);
      await store.record([{
        kind: "owner",
        at: 3_000,
        connection: { ...owned, pid: 1, process_name: "other" },
      }]);
      const [record] = await store.connections("9.9.9.9");
      deepStrictEqual(
        [record?.pid, record?.process_name, record?.process_path, record?.user, record?.opened_at],
        [4211, "firefox", "/usr/lib/firefox/firefox", "ana", 1_000],
      );
      const [address] = (await store.addresses({ ip: "9.9.9.9" })).rows;
      deepStrictEqual([address?.times_seen, address?.processes.includes("firefox")], [1, true]);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  Deno.test(`${backend.name} continues the record an earlier run left open for the same socket, and marks an opening it did not see`, async () => {
    const { store, reopen, cleanup } = await backend.open();
    let next: HistoryStore | null = null;
    try {
      const c = connection("9.9.9.9", 40002);
      const gone = connection("9.9.9.9", 40003);
      // Run 1 starts with both open: when they opened is not known.
      await store.record([
        { kind: "opened", at: 1_000, connection: c, info: {}, atStart: true },
        { kind: "opened", at: 1_000, connection: gone, info: {}, atStart: true },
        { kind: "seen", at: 4_000, connection: c },
      ]);
      await store.close();
      // Run 2 finds one of them still open: the same record goes on, one connection, one sighting.
      next = await reopen!();
      await next.record([
        { kind: "opened", at: 5_000, connection: { ...c, status: "CLOSE_WAIT" }, info: {}, atStart: true },
        // Another process on the same endpoints is another socket.
        { kind: "opened", at: 5_000, connection: { ...c, local_port: 40004 }, info: {}, atStart: true },
      ]);
      await next.record([{ kind: "closed", at: 6_000, connection: { ...c, status: "TIME_WAIT" }, info: {} }]);
      // The same endpoints opened during the run: a new connection with a known opening.
      await next.record([{ kind: "opened", at: 7_000, connection: c, info: {} }]);
      const records = (await next.connections("9.9.9.9")).map((
        r,
      ) => [r.local_port, r.opened_at, r.open_at_start, r.closed_at, r.status]);
      deepStrictEqual(records.sort((a, b) => Number(a[0]) - Number(b[0]) || Number(a[1]) - Number(b[1])), [
        [40002, 1_000, true, 6_000, "TIME_WAIT"],
        [40002, 7_000, false, null, "ESTABLISHED"],
        [40003, 1_000, true, null, "ESTABLISHED"],
        [40004, 5_000, true, null, "ESTABLISHED"],
      ]);
      deepStrictEqual((await next.addresses({ ip: "9.9.9.9" })).rows[0]?.times_seen, 4);
    } finally {
      await (next ?? store).close();
      await cleanup();
    }
  });
}
