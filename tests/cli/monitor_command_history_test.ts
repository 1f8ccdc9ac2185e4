import { deepStrictEqual, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { runMonitorCommand } from "../../lib/cli/monitor_command.ts";
import { SqliteStore } from "../../lib/store/sqlite_store.ts";
import { openDatabase } from "../sqlite_opener.ts";
import { GOOD_KEY, startAbuseIpdbServer } from "../abuseipdb_server.ts";
import { io, options, pendingWork, scripted, socket, steppingClock } from "./_monitor_io.ts";

Deno.test("monitor keeps reputation, alerts, lists and geo in history, and the next run asks AbuseIPDB nothing it knows", async () => {
  const server = startAbuseIpdbServer((ip) => ({ score: ip === "9.9.9.9" ? 97 : 0 }));
  const dir = await Deno.makeTempDir();
  const db = join(dir, "history.db");
  const envFile = join(dir, "settings.env");
  const list = join(dir, "ips.txt");
  await Deno.writeTextFile(
    envFile,
    `ABUSEAPI=${GOOD_KEY}\nABUSE_URL=${server.url}\nMALICIOUS_THRESHOLD=90\n`,
  );
  await Deno.writeTextFile(list, "8.8.8.0/24\n");
  const sockets = [socket("9.9.9.9", 50000), socket("8.8.8.8", 50001, { process_name: "curl", pid: 7 })];
  const flags = [
    "--count",
    "4",
    "--format",
    "ndjson",
    "--env-file",
    envFile,
    "--blocklist",
    list,
    "--db",
    db,
  ];
  try {
    // One clock and one count of pending work over both runs: the second run starts where the first ended.
    const work = pendingWork();
    const clock = steppingClock(work.settled);
    const shared = { now: clock.now, sleep: clock.sleep, fetch: work.fetch, lists: work.lists };
    const first = io(scripted([sockets, [sockets[0] ?? socket("9.9.9.9", 1)]]), shared);
    deepStrictEqual(await runMonitorCommand(options(flags), first.io), 0, first.stderr());
    match(first.stderr(), new RegExp(`history: sqlite ${db} \\(\\d+ events recorded\\)`));
    deepStrictEqual(server.requests.map((r) => r.ip).sort(), ["8.8.8.8", "9.9.9.9"]);

    const store = SqliteStore.open(db, { readOnly: true, openDatabase });
    const { rows } = await store.addresses({});
    const byIp = new Map(rows.map((r) => [r.ip, r]));
    const quad9 = byIp.get("9.9.9.9");
    const google = byIp.get("8.8.8.8");
    deepStrictEqual([quad9?.risk_level, quad9?.abuse_score, quad9?.country], ["MALICIOUS", 97, "US"]);
    deepStrictEqual([google?.risk_level, google?.lists, google?.asn, google?.as_org], [
      "SAFE",
      [`${list}:1 8.8.8.0/24`],
      15169,
      "Google LLC",
    ]);
    deepStrictEqual(typeof quad9?.last_scanned, "number");
    // 8.8.8.8's connection closed in the second poll; 9.9.9.9's stayed open to the end.
    const [closed] = await store.connections("8.8.8.8");
    const [open] = await store.connections("9.9.9.9");
    deepStrictEqual([typeof closed?.closed_at, open?.closed_at], ["number", null]);
    deepStrictEqual((await store.alerts()).map((a) => [a.remote_ip, a.reason]).sort(), [
      ["8.8.8.8", `blocklist ${list}:1 8.8.8.0/24`],
      ["9.9.9.9", "reputation MALICIOUS (AbuseIPDB score 97)"],
    ]);
    deepStrictEqual(
      quad9?.last_seen,
      clock.now().getTime(),
      "still open at the end: seen until the run ended",
    );
    await store.close();

    const second = io(scripted([sockets]), shared);
    deepStrictEqual(await runMonitorCommand(options(flags), second.io), 0, second.stderr());
    deepStrictEqual(server.requests.length, 2, "the second run used the stored answers");
    const alerts = second.stdout().trim().split("\n").map((l) => JSON.parse(l)).filter((e) =>
      e.event === "ALERT"
    );
    deepStrictEqual(alerts.map((e) => e.remote_ip).sort(), ["8.8.8.8", "9.9.9.9"]);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("monitor --store none keeps nothing and says nothing about history; --store json writes the three files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const none = io(scripted([[socket("8.8.8.8", 50000)]]));
    deepStrictEqual(await runMonitorCommand(options(["--count", "1", "--store", "none"]), none.io), 0);
    ok(!none.stderr().includes("history") && !none.stdout().includes("history"), none.stderr());

    const env = new Map([["HISTORY_FILE", join(dir, "h.json")], ["CONN_RECORD_FILE", join(dir, "c.json")], [
      "ABUSEIP_INFO_FILE",
      join(dir, "a.json"),
    ]]);
    const json = io(scripted([[socket("8.8.8.8", 50000)]]), { env: { values: env, denied: [] } });
    deepStrictEqual(
      await runMonitorCommand(options(["--count", "2", "--store", "json"]), json.io),
      0,
      json.stderr(),
    );
    match(json.stdout(), new RegExp(`history: json ${join(dir, "h.json")} \\(\\d+ events recorded\\)`));
    deepStrictEqual(Object.keys(JSON.parse(await Deno.readTextFile(join(dir, "h.json")))), ["8.8.8.8"]);
    deepStrictEqual(JSON.parse(await Deno.readTextFile(join(dir, "c.json")))["8.8.8.8"].length, 1);
    deepStrictEqual(JSON.parse(await Deno.readTextFile(join(dir, "a.json"))), {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
