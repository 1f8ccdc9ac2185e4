import { deepStrictEqual, match, rejects } from "node:assert/strict";
import { JsonStore } from "../../lib/store/json_store.ts";
import { jsonFilesIn } from "./_json_files.ts";
import { HistoryFileError } from "../../lib/store/history_file_error.ts";
import type { Connection } from "../../lib/model/connection.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const CONNECTION: Connection = {
  timestamp: "",
  protocol: "TCP",
  family: 4,
  local_ip: "192.168.1.20",
  local_port: 51000,
  remote_ip: "203.0.113.7",
  remote_port: 443,
  status: "ESTABLISHED",
  direction: "outgoing",
  pid: 812,
  process_name: "python3",
  process_path: null,
  user: null,
};

Deno.test("JsonStore writes the reputation tool's three files with its keys, every connection kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = jsonFilesIn(dir);
    const store = await JsonStore.open(paths, platform.files);
    await store.record([
      {
        kind: "opened",
        at: Date.UTC(2026, 10, 21, 9),
        connection: CONNECTION,
        info: { hostname: "host.example" },
      },
      {
        kind: "opened",
        at: Date.UTC(2026, 10, 21, 10),
        connection: { ...CONNECTION, local_port: 51001 },
        info: {},
      },
      {
        kind: "reputation",
        ip: "203.0.113.7",
        reputation: {
          risk_level: "SUSPICIOUS",
          abuse_score: 30,
          country: "NL",
          checked_at: Date.UTC(2026, 10, 21, 10),
        },
      },
      {
        kind: "alert",
        at: Date.UTC(2026, 10, 21, 10),
        connection: CONNECTION,
        reason: "reputation SUSPICIOUS (AbuseIPDB score 30)",
        details: { risk_level: "SUSPICIOUS", abuse_score: 30 },
      },
    ]);
    const history = JSON.parse(await Deno.readTextFile(paths.history))["203.0.113.7"];
    for (
      const key of [
        "first_seen",
        "last_seen",
        "times_seen",
        "risk_level",
        "last_scanned",
        "hostname",
        "reason",
      ]
    ) {
      deepStrictEqual(key in history, true, key);
    }
    deepStrictEqual([history.times_seen, history.risk_level, history.hostname], [
      2,
      "SUSPICIOUS",
      "host.example",
    ]);
    deepStrictEqual(history.reason, "reputation SUSPICIOUS (AbuseIPDB score 30)");
    deepStrictEqual(Date.parse(history.first_seen), Date.UTC(2026, 10, 21, 9));
    const records = JSON.parse(await Deno.readTextFile(paths.connections))["203.0.113.7"];
    deepStrictEqual(
      records.map((
        r: Record<string, unknown>,
      ) => [r.remote_port, r.local_ip, r.local_port, r.pid, r.is_checked]),
      [
        [443, "192.168.1.20", 51000, 812, true],
        [443, "192.168.1.20", 51001, 812, true],
      ],
    );
    deepStrictEqual(JSON.parse(await Deno.readTextFile(paths.abuseInfo)), {
      "203.0.113.7": {
        IP_Address: "203.0.113.7",
        abuseConfidenceScore: 30,
        Country: "NL",
        hostname: "host.example",
      },
    });
    // Written through a temporary file and a rename: none is left behind.
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".tmp")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JsonStore reads files the reputation tool wrote: one record per address, Python times", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = jsonFilesIn(dir);
    await Deno.writeTextFile(
      paths.history,
      JSON.stringify({
        "198.51.100.4": {
          first_seen: "2024-03-01T10:00:00.123456",
          last_seen: "2024-03-02T11:00:00",
          times_seen: 7,
          risk_level: "MALICIOUS",
          last_scanned: 1709377200.5,
          hostname: null,
          reason: null,
        },
      }),
    );
    await Deno.writeTextFile(
      paths.connections,
      JSON.stringify({
        "198.51.100.4": {
          remote_port: 8080,
          local_ip: "192.168.1.20",
          local_port: 40000,
          pid: 99,
          is_checked: true,
        },
      }),
    );
    await Deno.writeTextFile(
      paths.abuseInfo,
      JSON.stringify({
        "198.51.100.4": {
          IP_Address: "198.51.100.4",
          abuseConfidenceScore: 100,
          Country: "RU",
          hostname: null,
        },
      }),
    );
    const store = await JsonStore.open(paths, platform.files);
    const [address] = (await store.addresses({})).rows;
    deepStrictEqual(
      [
        address?.times_seen,
        address?.risk_level,
        address?.abuse_score,
        address?.country,
        address?.last_scanned,
      ],
      [7, "MALICIOUS", 100, "RU", 1709377200500],
    );
    const [connection] = await store.connections("198.51.100.4");
    deepStrictEqual(
      [
        connection?.protocol,
        connection?.remote_port,
        connection?.local_port,
        connection?.pid,
        connection?.opened_at,
      ],
      ["TCP", 8080, 40000, 99, address?.first_seen],
    );
    deepStrictEqual((await store.reputations()).map(([ip, r]) => [ip, r.risk_level, r.abuse_score]), [[
      "198.51.100.4",
      "MALICIOUS",
      100,
    ]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JsonStore.open(, platform.files) refuses a file that is not JSON and leaves it as it is", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = jsonFilesIn(dir);
    await Deno.writeTextFile(paths.history, '{"203.0.113.7": {"first_seen": ');
    await rejects(
      () => JsonStore.open(paths, platform.files),
      (e: Error) => e instanceof HistoryFileError && /is not valid JSON/.test(e.message),
    );
    match(await Deno.readTextFile(paths.history), /^\{"203\.0\.113\.7": \{"first_seen": $/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("JsonStore reads a saved snapshot's connections with every field of its type, leaving out one without a local address", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const paths = jsonFilesIn(dir);
    const hostile = {
      protocol: 6,
      local_ip: "10.0.0.2",
      local_port: 5000,
      remote_ip: { a: 1 },
      remote_port: [],
      status: 7,
      direction: "sideways",
      process_name: 123,
      process_path: ["/bin/x"],
      pid: "evil",
      user: { x: 1 },
      domain: 5,
      bytes_sent: "many",
    };
    await Deno.writeTextFile(
      paths.snapshots,
      JSON.stringify({
        last_id: 1,
        snapshots: [{
          id: 1,
          taken_at: "2026-12-01T10:00:00Z",
          connections: [CONNECTION, hostile, { ...hostile, local_ip: 42 }, "not an object"],
        }],
      }),
    );
    const store = await JsonStore.open(paths, platform.files);
    deepStrictEqual((await store.snapshots()).map((s) => s.connections), [2]);
    deepStrictEqual(await store.snapshot(1), [CONNECTION, {
      timestamp: "",
      protocol: "TCP",
      family: 4,
      local_ip: "10.0.0.2",
      local_port: 5000,
      remote_ip: null,
      remote_port: null,
      status: "UNKNOWN",
      direction: "unknown",
      pid: null,
      process_name: null,
      process_path: null,
      user: null,
      bytes_sent: null,
    }]);
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
