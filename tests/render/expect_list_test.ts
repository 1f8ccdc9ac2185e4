import { deepStrictEqual, ok } from "node:assert/strict";
import type { EgressDestination } from "../../lib/model/egress.ts";
import { parseBlocklist } from "../../lib/parse/blocklist.ts";
import { BlocklistIndex } from "../../lib/enrich/blocklist_index.ts";
import { renderExpectList } from "../../lib/render/expect_list.ts";

function destination(name: string, overrides: Partial<EgressDestination> = {}): EgressDestination {
  return {
    name,
    isDomain: false,
    addresses: [name],
    ports: [{ protocol: "TCP", port: 443 }],
    processes: ["curl"],
    country: null,
    asn: null,
    as_org: null,
    first_seen: "",
    connections: 1,
    conditions: [],
    ...overrides,
  };
}

Deno.test("renderExpectList reads back as an --expect list that holds every address it was written from", () => {
  const addresses = ["198.51.100.20", "198.51.100.3", "2001:db8::10", "2001:db8::9", "203.0.113.1"];
  const text = renderExpectList(addresses.map((a) => destination(a)));
  const list = parseBlocklist(text);
  deepStrictEqual([list.entryCount, list.skipped], [5, []]);
  const index = new BlocklistIndex([{ name: "expect", list }]);
  for (const address of addresses) ok(index.has(address), `${address} is not in the list`);
  ok(!index.has("198.51.100.4"));
  deepStrictEqual(
    text.split("\n").filter((line) => line !== "" && !line.startsWith("#")).map((line) => line.split(" ")[0]),
    ["198.51.100.3", "198.51.100.20", "203.0.113.1", "2001:db8::9", "2001:db8::10"],
  );
});

Deno.test("renderExpectList writes a domain once for all its addresses, and addresses for a malformed name", () => {
  const text = renderExpectList([
    destination("api.example.com", { isDomain: true, addresses: ["203.0.113.5", "203.0.113.6"] }),
    destination("bad name\u0007", { isDomain: true, addresses: ["203.0.113.9"] }),
  ]);
  const list = parseBlocklist(text);
  deepStrictEqual(list.domains.map((d) => d.name), ["api.example.com"]);
  deepStrictEqual(list.entryCount, 2);
  ok(text.includes("203.0.113.9  # curl (443/tcp)"));
});

Deno.test("renderExpectList names the processes in a comment that no hostile name can break out of", () => {
  const text = renderExpectList([
    destination("198.51.100.7", {
      processes: ["evil\n203.0.113.66", null, "git"],
      ports: [{ protocol: "TCP", port: 443 }, { protocol: "UDP", port: 53 }],
      conditions: ["unexpected"],
    }),
  ]);
  const list = parseBlocklist(text);
  deepStrictEqual(list.entryCount, 1);
  ok(!new BlocklistIndex([{ name: "expect", list }]).has("203.0.113.66"), "a process name added an entry");
  ok(
    text.includes(
      "198.51.100.7  # evil\\x0a203.0.113.66, unknown process, git (443/tcp, 53/udp); alert: unexpected",
    ),
  );
});
