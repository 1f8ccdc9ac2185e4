import { deepStrictEqual } from "node:assert/strict";
import { findHistory } from "../../lib/store/history_queries.ts";
import { MemoryStore } from "../../lib/store/memory_store.ts";
import { connection } from "../monitor/_connections.ts";

Deno.test("findHistory() shows no country or AS for a special-purpose address, even one stored by an older conntrail", async () => {
  const store = new MemoryStore();
  const info = { country: "AU", asn: 64500, as_org: "Old Data" };
  await store.record([
    { kind: "opened", at: 1_000, connection: connection({ remote_ip: "198.51.100.7" }), info },
    { kind: "opened", at: 2_000, connection: connection({ remote_ip: "8.8.8.8", local_port: 50001 }), info },
  ]);
  const { entries } = await findHistory(store, {});
  deepStrictEqual(
    entries.map(({ address: a }) => [a.ip, a.country, a.asn, a.as_org]),
    [["8.8.8.8", "AU", 64500, "Old Data"], ["198.51.100.7", null, null, null]],
  );
});
