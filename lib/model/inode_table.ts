/**
 * Entries by socket inode (a positive 32-bit number: Linux's are; any other number goes to a Map), in an
 * open-addressing table: the inodes in a `Uint32Array`, the entries in an array of the same length, at most three quarters full.
 * A `Map` of 20,000 numbers holds a 896 KiB table in V8's heap (28 bytes a slot, for 32,768 slots), which counts
 * towards how far the heap grows before a mark-compact; this holds 256 KiB there and 128 KiB outside it, and
 * finds an inode without leaving JavaScript.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { InodeTable } from "./inode_table.ts";
 * const table = new InodeTable<string>();
 * table.set(7, "a");
 * table.set(8, "b");
 * table.delete(7);
 * deepStrictEqual([table.get(7), table.get(8), table.size], [undefined, "b", 1]);
 * ```
 */
export class InodeTable<T> {
  #inodes = new Uint32Array(16);
  #entries: (T | undefined)[] = new Array<T | undefined>(16).fill(undefined);
  /** 32 minus log2 of the table's length: a hash's top bits pick the slot (Fibonacci hashing). */
  #shift = 28;
  #size = 0;
  /** Entries of numbers that are no 32-bit inode (none from Linux): a Map, made when one comes. */
  #others: Map<number, T> | null = null;

  /** Entries kept. */
  get size(): number {
    return this.#size + (this.#others?.size ?? 0);
  }

  /** The slot of an inode, or of the empty slot where it would go. */
  #slot(inode: number): number {
    const inodes = this.#inodes;
    const mask = inodes.length - 1;
    // Inodes come in runs (the kernel numbers them in turn): a multiplicative hash spreads them.
    let i = Math.imul(inode, 0x9e3779b1) >>> this.#shift;
    for (let at = inodes[i]!; at !== 0 && at !== inode; at = inodes[i]!) i = (i + 1) & mask;
    return i;
  }

  /** The entry kept for an inode. */
  get(inode: number): T | undefined {
    if (inode === 0 || inode !== inode >>> 0) return this.#others?.get(inode);
    return this.#entries[this.#slot(inode)];
  }

  /** Keep an entry for an inode (not 0); returns the one it replaces. */
  set(inode: number, entry: T): T | undefined {
    if (inode === 0 || inode !== inode >>> 0) {
      const before = this.#others?.get(inode);
      (this.#others ??= new Map()).set(inode, entry);
      return before;
    }
    let i = this.#slot(inode);
    const before = this.#entries[i];
    if (this.#inodes[i] === 0) {
      if ((this.#size + 1) * 4 > this.#inodes.length * 3) {
        this.#resize(this.#inodes.length * 2);
        i = this.#slot(inode);
      }
      this.#inodes[i] = inode;
      this.#size++;
    }
    this.#entries[i] = entry;
    return before;
  }

  /** Forget an inode; false when none was kept. */
  delete(inode: number): boolean {
    if (inode === 0 || inode !== inode >>> 0) return this.#others?.delete(inode) ?? false;
    const inodes = this.#inodes;
    const entries = this.#entries;
    const mask = inodes.length - 1;
    let hole = this.#slot(inode);
    if (inodes[hole] === 0) return false;
    // Move back the entries after it that probed past it, so that every probe still ends at an empty slot.
    for (let i = (hole + 1) & mask; inodes[i] !== 0; i = (i + 1) & mask) {
      const home = Math.imul(inodes[i]!, 0x9e3779b1) >>> this.#shift;
      // Whether `home` lies cyclically in (hole, i]: then the entry stays where it is.
      if (hole <= i ? hole < home && home <= i : hole < home || home <= i) continue;
      inodes[hole] = inodes[i]!;
      entries[hole] = entries[i];
      hole = i;
    }
    inodes[hole] = 0;
    entries[hole] = undefined;
    this.#size--;
    if (this.#size * 8 < inodes.length && inodes.length > 16) this.#resize(inodes.length / 2);
    return true;
  }

  /** Each entry with its inode (the table must not change meanwhile). */
  forEach(each: (entry: T, inode: number) => void): void {
    const inodes = this.#inodes;
    const entries = this.#entries;
    for (let i = 0; i < inodes.length; i++) if (inodes[i] !== 0) each(entries[i]!, inodes[i]!);
    this.#others?.forEach(each);
  }

  /** Move every entry into a table of `length` slots (a power of two). */
  #resize(length: number): void {
    const inodes = this.#inodes;
    const entries = this.#entries;
    this.#inodes = new Uint32Array(length);
    this.#entries = new Array<T | undefined>(length).fill(undefined);
    this.#shift = 32 - Math.log2(length);
    for (let i = 0; i < inodes.length; i++) {
      if (inodes[i] === 0) continue;
      const slot = this.#slot(inodes[i]!);
      this.#inodes[slot] = inodes[i]!;
      this.#entries[slot] = entries[i];
    }
  }
}
