import { deepStrictEqual } from "node:assert/strict";
import { InodeMemory } from "../../lib/model/inode_memory.ts";

function remembered(memory: InodeMemory<{ name: string; seen: number }>): number[] {
  return [7, 8, 9].filter((inode) => memory.get(inode) !== undefined);
}

Deno.test("InodeMemory.end() forgets an inode the pass did not list, however often it stamped the others", () => {
  const memory = new InodeMemory<{ name: string; seen: number }>();
  const first = memory.begin();
  memory.set(7, { name: "a", seen: first });
  memory.set(8, { name: "b", seen: first });
  memory.end(first);
  // Inode 7 twice (set anew twice, kept twice): two stamps of one entry, as many as the memory holds.
  const second = memory.begin();
  memory.set(7, { name: "a2", seen: second });
  memory.set(7, { name: "a3", seen: second });
  memory.keep(memory.get(7)!, second);
  memory.keep(memory.get(7)!, second);
  memory.end(second);
  deepStrictEqual([remembered(memory), memory.get(7)?.name], [[7], "a3"]);
});

Deno.test("InodeMemory.end() keeps every inode a pass listed, new or kept, and forgets the one it did not", () => {
  const memory = new InodeMemory<{ name: string; seen: number }>();
  const first = memory.begin();
  memory.set(7, { name: "a", seen: first });
  memory.set(8, { name: "b", seen: first });
  memory.end(first);
  const second = memory.begin();
  memory.keep(memory.get(7)!, second);
  memory.set(9, { name: "c", seen: second });
  memory.end(second);
  deepStrictEqual(remembered(memory), [7, 9]);
  // A pass that lists all it holds forgets none.
  const third = memory.begin();
  memory.keep(memory.get(7)!, third);
  memory.keep(memory.get(9)!, third);
  memory.end(third);
  deepStrictEqual([remembered(memory), memory.size], [[7, 9], 2]);
});

Deno.test("InodeMemory.end() forgets an inode when another was kept twice by the pass", () => {
  const memory = new InodeMemory<{ name: string; seen: number }>();
  const first = memory.begin();
  memory.set(7, { name: "a", seen: first });
  memory.set(8, { name: "b", seen: first });
  memory.end(first);
  const second = memory.begin();
  memory.keep(memory.get(7)!, second);
  memory.keep(memory.get(7)!, second);
  memory.end(second);
  deepStrictEqual(remembered(memory), [7]);
});
