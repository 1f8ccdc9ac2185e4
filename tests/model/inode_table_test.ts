import { deepStrictEqual } from "node:assert/strict";
import { InodeTable } from "../../lib/model/inode_table.ts";

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("InodeTable answers as a Map by inode does, through growing, deleting in probe runs and shrinking", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const chance = random(seed);
    const table = new InodeTable<number>();
    const map = new Map<number, number>();
    // Runs of consecutive inodes (as the kernel numbers them), a few huge ones, and numbers that are no inode.
    const base = Math.floor(chance() * 0xffff_0000);
    const pickInode = () => {
      const r = chance();
      if (r < 0.9) return base + Math.floor(chance() * 3000);
      if (r < 0.97) return 0xffff_ff00 + Math.floor(chance() * 256);
      return [-5, 2 ** 40, 1.5, 0][Math.floor(chance() * 4)]!;
    };
    for (let step = 0; step < 20_000; step++) {
      const inode = pickInode();
      // Phases that fill and empty the table, so it grows and shrinks.
      const filling = Math.floor(step / 5000) % 2 === 0;
      if (chance() < (filling ? 0.7 : 0.2)) {
        deepStrictEqual(table.set(inode, step), map.get(inode), `seed ${seed} step ${step} set ${inode}`);
        map.set(inode, step);
      } else {
        deepStrictEqual(table.delete(inode), map.delete(inode), `seed ${seed} step ${step} delete ${inode}`);
      }
      if (step % 1000 === 0 || step === 19_999) {
        deepStrictEqual(table.size, map.size);
        for (const [key, value] of map) {
          deepStrictEqual(table.get(key), value, `seed ${seed} step ${step} get ${key}`);
        }
        const seen = new Map<number, number>();
        table.forEach((value, key) => seen.set(key, value));
        deepStrictEqual(
          new Map([...seen].sort((a, b) => a[0] - b[0])),
          new Map([...map].sort((a, b) => a[0] - b[0])),
        );
      }
      deepStrictEqual(table.get(inode), map.get(inode));
    }
  }
});
