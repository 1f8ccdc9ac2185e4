import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { type Conn, type Group, LiveStore, type StateEvent } from "../../web/live_store.js";
import { LIVE_FIELDS } from "../../lib/web/live_wire.ts";

let port = 40000;
/** A connection row as the server sends it (LIVE_FIELDS order). */
function row(
  pid: number,
  name: string,
  remote: string | null,
  options: { status?: string; local?: string; first?: number } = {},
): (string | number | null)[] {
  const local = options.local ?? "10.0.0.2";
  const localPort = port++;
  const key = `TCP ${local} ${localPort} ${remote ?? "*"} ${remote === null ? "*" : 443}`;
  return [
    key,
    `${pid} ${name}`,
    "TCP",
    local,
    localPort,
    remote,
    remote === null ? null : 443,
    options.status ?? (remote === null ? "LISTEN" : "ESTABLISHED"),
    remote === null ? "listening" : "outgoing",
    pid,
    name,
    options.first ?? 0,
  ];
}

function state(rows: (string | number | null)[][], addresses: StateEvent["addresses"] = {}): StateEvent {
  return {
    at: null,
    time_unit_seconds: 1,
    width: 60,
    fields: [...LIVE_FIELDS],
    total: rows.length,
    connections: rows,
    addresses,
    processes: [],
    alerts: [],
    series: [],
    pace: null,
  };
}

function update(
  changes: { added?: (string | number | null)[][]; removed?: string[]; addresses?: StateEvent["addresses"] },
) {
  return {
    at: "",
    added: changes.added ?? [],
    changed: [],
    removed: changes.removed ?? [],
    addresses: changes.addresses ?? {},
    processes: [],
    alerts: [],
    point: { at: 0, open: 0, opened: 0, closed: 0, alerts: 0 },
    pace: null,
  };
}

/** The list as text: `# label` for a group, the remote address for a connection. */
function listed(store: LiveStore): string[] {
  return store.rows().map((entry) =>
    "isGroup" in entry ? `# ${(entry as Group).label}` : `${(entry as Conn).remote_ip}`
  );
}

const view = (over: Partial<StateEvent["addresses"][string]> = {}) => ({
  alerted: false,
  local: false,
  ...over,
});

Deno.test("LiveStore groups connections by process, busiest first, remote addresses in numeric order", () => {
  const store = new LiveStore();
  store.applyState(state([
    row(1, "curl", "127.20.0.100"),
    row(2, "firefox", "203.0.113.9"),
    row(1, "curl", "127.20.0.2"),
    row(1, "curl", null),
  ]));
  deepStrictEqual(listed(store), [
    "# curl (1)",
    "127.20.0.2",
    "127.20.0.100",
    "null",
    "# firefox (2)",
    "203.0.113.9",
  ]);
  store.setSort("remote");
  deepStrictEqual(listed(store).slice(0, 4), ["# curl (1)", "null", "127.20.0.100", "127.20.0.2"]);
});

Deno.test("LiveStore pins an alerted process on top, its alerted rows first, when an update raises the alert", () => {
  const store = new LiveStore();
  const rows = [
    row(1, "busy", "198.51.100.1"),
    row(1, "busy", "198.51.100.2"),
    row(2, "quiet", "198.51.100.3"),
    row(2, "quiet", "198.51.100.200"),
  ];
  store.applyState(state(rows));
  deepStrictEqual(listed(store)[0], "# busy (1)");
  store.applyUpdate(update({ addresses: { "198.51.100.200": view({ alerted: true }) } }));
  deepStrictEqual(listed(store), [
    "# quiet (2)",
    "198.51.100.200",
    "198.51.100.3",
    "# busy (1)",
    "198.51.100.1",
    "198.51.100.2",
  ]);
  deepStrictEqual(store.groups.get("2 quiet")?.alerted, 1);
});

Deno.test("LiveStore applies updates as differences and keeps the counts per address, country and AS", () => {
  const store = new LiveStore();
  const a = row(1, "curl", "8.8.8.8");
  store.applyState(state([a, row(1, "curl", "8.8.4.4"), row(3, "sshd", null)], {
    "8.8.8.8": view({ country: "US", asn: 15169, as_org: "Google LLC" }),
    "8.8.4.4": view({ country: "US", asn: 15169, as_org: "Google LLC" }),
  }));
  store.rows();
  const sshd = store.groups.get("3 sshd")!;
  const sshdOrder = sshd.sorted;
  store.applyUpdate(
    update({
      added: [row(2, "wget", "192.168.1.1")],
      removed: [String(a[0])],
      addresses: { "192.168.1.1": view({ local: true }) },
    }),
  );
  store.rows();
  strictEqual(sshd.sorted, sshdOrder, "a group the update did not touch is not sorted again");
  deepStrictEqual(store.connections.size, 3);
  const counts = store.counts(5);
  deepStrictEqual(counts.addresses.items.map((i) => [i.pick, i.n]), [["192.168.1.1", 1], ["8.8.4.4", 1]]);
  deepStrictEqual(counts.countries.items.map((i) => [i.pick, i.n]), [["local", 1], ["US", 1]]);
  deepStrictEqual(counts.networks.items.map((i) => [i.label, i.n]), [["AS15169 Google LLC", 1], [
    "local network",
    1,
  ]]);
  deepStrictEqual(counts.withoutRemote, 1);
  store.applyUpdate(update({ removed: [String([...store.groups.get("2 wget")!.members.keys()][0])] }));
  deepStrictEqual([...store.groups.keys()].sort(), ["1 curl", "3 sshd"]);
});

Deno.test("LiveStore search, collapse and reveal: an alert's row is shown whatever hid it", () => {
  const store = new LiveStore();
  const target = row(2, "quiet", "198.51.100.7");
  store.applyState(state([row(1, "busy", "198.51.100.1"), row(1, "busy", "198.51.100.2"), target], {
    "198.51.100.7": view({ hostname: "Evil.Example" }),
  }));
  store.setSearch("evil.example");
  deepStrictEqual(listed(store), ["# quiet (2)", "198.51.100.7"]);
  deepStrictEqual(store.shownCount, 1);
  store.setSearch("busy");
  deepStrictEqual(listed(store), ["# busy (1)", "198.51.100.1", "198.51.100.2"]);
  store.setAllCollapsed(true);
  deepStrictEqual(listed(store), ["# busy (1)"]);
  const index = store.reveal({ key: String(target[0]) });
  deepStrictEqual([store.search, index], ["", 2]);
  deepStrictEqual(listed(store), ["# busy (1)", "# quiet (2)", "198.51.100.7"]);
  deepStrictEqual(store.reveal({ key: "TCP gone", process_key: "1 busy" }), 0);
  deepStrictEqual(store.reveal({ key: "TCP gone", process_key: "9 nobody" }), -1);
});

Deno.test("LiveStore merges a poll's new rows into the sorted list in the order a full sort gives", () => {
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const address = () =>
    `10.${Math.floor(random() * 3)}.${Math.floor(random() * 3)}.${Math.floor(random() * 200)}`;
  const store = new LiveStore();
  const open = Array.from(
    { length: 300 },
    () => row(1, "busy", address(), { first: Math.floor(random() * 50) }),
  );
  store.applyState(state(open));
  for (const column of ["remote", "since", "remote"]) {
    store.setSort(column);
    for (let poll = 0; poll < 20; poll++) {
      const added = Array.from({ length: 5 }, () => row(1, "busy", address(), { first: 100 + poll }));
      const removed = open.splice(Math.floor(random() * (open.length - 5)), 5).map((r) => String(r[0]));
      open.push(...added);
      store.applyUpdate(update({ added, removed }));
      store.rows();
    }
    const fresh = new LiveStore();
    fresh.applyState(state(open));
    fresh.setSort(column);
    if (store.sort.descending !== fresh.sort.descending) fresh.setSort(column);
    deepStrictEqual(listed(store), listed(fresh), `sorted by ${column}`);
  }
});
