/**
 * Block-list loading and matching on the FireHOL union of 159 lists (792,696
 * IPv4 addresses and CIDRs), against a naive baseline measured in the same run
 * (a Set of strings plus a linear CIDR scan). Targets: load ≤ 500 ms,
 * ≥ 5 million lookups/s, ≤ 64 MB of heap + typed arrays kept by the loaded list.
 */
import { fileURLToPath as fromFileUrl } from "node:url";
import { BlocklistIndex } from "../lib/enrich/blocklist_index.ts";
import { ipv4Text, parseBlocklist } from "../lib/parse/blocklist.ts";
import { loadNaive, naiveHas } from "./_blocklist_naive.ts";
import { bestOf } from "./_best_of.ts";

const LIST = fromFileUrl(
  new URL("../../shared/data/blocklists/firehol/firehol_union_159_lists_distinct.txt", import.meta.url),
);
const LOOKUPS = 2_000_000;
const NAIVE_LOOKUPS = 2_000;

/** Half the addresses inside listed entries, half anywhere (mostly unlisted). */
function workload(index: BlocklistIndex, count: number): string[] {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  const listed = parseBlocklist(Deno.readTextFileSync(LIST)).v4;
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      const k = random() % listed.starts.length;
      const start = listed.starts[k] ?? 0;
      const span = (listed.ends[k] ?? 0) - start + 1;
      addresses.push(ipv4Text(start + (random() % span)));
    } else {
      addresses.push(ipv4Text(random()));
    }
  }
  if (!index.has(addresses[0] ?? "")) throw new Error("the workload's first address should be listed");
  return addresses;
}

async function heapMb(which: "conntrail" | "naive"): Promise<number> {
  const script = fromFileUrl(new URL("./_blocklist_heap.ts", import.meta.url));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--v8-flags=--expose-gc", script, which, LIST],
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout)).heapMb;
}

function row(name: string, ours: number, naive: number, unit: string, target: string): string {
  const ratio = naive === 0 ? "-" : (ours / naive).toFixed(naive > ours * 100 ? 4 : 2);
  const format = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en") : n.toFixed(1));
  return `| ${name} | ${format(ours)} ${unit} | ${format(naive)} ${unit} | ${ratio} | ${target} |`;
}

const load = bestOf(5, () => {
  const text = Deno.readTextFileSync(LIST);
  return new BlocklistIndex([{ name: "union", list: parseBlocklist(text) }]);
});
const naiveLoad = bestOf(5, () => loadNaive(Deno.readTextFileSync(LIST)));
const index = load.result;
const addresses = workload(index, LOOKUPS);

let hits = 0;
const lookup = bestOf(5, () => {
  hits = 0;
  for (const address of addresses) if (index.has(address)) hits++;
  return hits;
});
const naiveAddresses = addresses.slice(0, NAIVE_LOOKUPS);
const naiveLookup = bestOf(1, () => naiveAddresses.filter((a) => naiveHas(naiveLoad.result, a)).length);
const oursOnSame = naiveAddresses.filter((a) => index.has(a)).length;
if (oursOnSame !== naiveLookup.result) {
  throw new Error(`index and baseline disagree: ${oursOnSame} vs ${naiveLookup.result} hits`);
}
const matchTimed = bestOf(3, () => addresses.slice(0, 200_000).filter((a) => index.match(a) !== null).length);

const perSecond = (count: number, ms: number) => count / (ms / 1000);
const [ourHeap, naiveHeap] = [await heapMb("conntrail"), await heapMb("naive")];
console.log(
  [
    "",
    `block list: firehol_union_159_lists_distinct.txt, ${index.entryCount.toLocaleString("en")} entries, ` +
    `${index.rangeCount.toLocaleString("en")} merged ranges; ${hits.toLocaleString("en")} of ` +
    `${LOOKUPS.toLocaleString("en")} lookups listed`,
    "| measure | conntrail | naive Set + CIDR scan | ratio | target |",
    "| --- | --- | --- | --- | --- |",
    row("load (read + parse + index)", load.ms, naiveLoad.ms, "ms", "≤ 500 ms"),
    row(
      "lookups per second (has)",
      perSecond(LOOKUPS, lookup.ms),
      perSecond(NAIVE_LOOKUPS, naiveLookup.ms),
      "/s",
      "≥ 5,000,000/s",
    ),
    `| lookups per second (match, naming the list and entry) | ${
      Math.round(perSecond(200_000, matchTimed.ms)).toLocaleString("en")
    } /s | - | - | - |`,
    row("heap + typed arrays kept by the loaded list", ourHeap, naiveHeap, "MB", "≤ 64 MB"),
    "",
  ].join("\n"),
);
