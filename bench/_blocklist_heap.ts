/**
 * Prints, as JSON, the heap a loaded block list keeps (after a full GC, before
 * and after loading) for conntrail's index or the naive baseline. Run in its
 * own process with --expose-gc by blocklist_bench.ts, so one measurement
 * cannot disturb the other.
 */
import { BlocklistIndex } from "../lib/enrich/blocklist_index.ts";
import { parseBlocklist } from "../lib/parse/blocklist.ts";
import { loadNaive } from "./_blocklist_naive.ts";

const [which = "conntrail", path = ""] = Deno.args;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
// Typed arrays live outside the V8 heap (`external`): count both.
const used = () => Deno.memoryUsage().heapUsed + Deno.memoryUsage().external;
gc();
const before = used();
const text = Deno.readTextFileSync(path);
const loaded = which === "naive"
  ? loadNaive(text)
  : new BlocklistIndex([{ name: path, list: parseBlocklist(text) }]);
// Array buffers are released after a GC by a background task: give it a moment.
for (let i = 0; i < 3; i++) {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const after = used();
console.log(JSON.stringify({ heapMb: (after - before) / 2 ** 20, kept: loaded !== null }));
