import { InodeTable } from "./inode_table.ts";

/**
 * Entries kept by socket inode from one pass over the sockets (a poll, a
 * parse) to the next, each stamped with the last pass that listed it; the end
 * of a pass forgets the inodes it did not list. What the monitor's readers use
 * to give an unchanged socket or connection back as the same object.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { InodeMemory } from "./inode_memory.ts";
 * const memory = new InodeMemory<{ name: string; seen: number }>();
 * const first = memory.begin();
 * memory.set(7, { name: "a", seen: first });
 * memory.set(8, { name: "b", seen: first });
 * memory.end(first);
 * const second = memory.begin();
 * const kept = memory.get(7);
 * if (kept !== undefined) memory.keep(kept, second);
 * memory.end(second);
 * deepStrictEqual([memory.get(7)?.name, memory.get(8), memory.size], ["a", undefined, 1]);
 * ```
 */
export class InodeMemory<T extends { seen: number }> {
  readonly #entries = new InodeTable<T>();
  readonly #forgotten: ((entry: T, inode: number) => void) | null;
  #passes = 0;
  /**
   * Entries the current pass has stamped (through {@linkcode keep} and {@linkcode set}): when it is all of them,
   * as in a poll of connections that all stay open, the end of the pass has nothing to forget and looks at none.
   */
  #stamped = 0;

  /** `forgotten` hears of each entry the end of a pass forgets (what it holds may be kept elsewhere). */
  constructor(forgotten?: (entry: T, inode: number) => void) {
    this.#forgotten = forgotten ?? null;
  }

  /**
   * Start a pass; returns its number, the stamp of what it lists: the one after the last, or `pass` (greater
   * than the last: a caller whose stamps must not be another memory's numbers it too).
   */
  begin(pass: number = this.#passes + 1): number {
    this.#stamped = 0;
    return this.#passes = pass;
  }

  /** Entries the current pass has not stamped yet: at its end, those it forgets. */
  get unlisted(): number {
    return this.#entries.size - this.#stamped;
  }

  /** What an earlier pass kept for this inode. */
  get(inode: number): T | undefined {
    return this.#entries.get(inode);
  }

  /** Stamp an entry {@linkcode get} gave as listed by this pass. */
  keep(entry: T, pass: number): void {
    if (entry.seen === pass) return;
    entry.seen = pass;
    if (pass === this.#passes) this.#stamped++;
  }

  /** Keep an entry for this inode (stamped by the caller with its pass). */
  set(inode: number, entry: T): void {
    const pass = this.#passes;
    const before = this.#entries.set(inode, entry);
    if (entry.seen === pass && before?.seen !== pass) this.#stamped++;
  }

  /** End a pass: forget the inodes it did not stamp. */
  end(pass: number): void {
    const entries = this.#entries;
    if (pass === this.#passes && this.#stamped === entries.size) return;
    const gone: number[] = [];
    entries.forEach((entry, inode) => {
      if (entry.seen !== pass) gone.push(inode);
    });
    const forgotten = this.#forgotten;
    for (const inode of gone) {
      const entry = entries.get(inode)!;
      entries.delete(inode);
      forgotten?.(entry, inode);
    }
  }

  /** Each entry kept, with its inode. */
  forEach(each: (entry: T, inode: number) => void): void {
    this.#entries.forEach(each);
  }

  /** Entries kept. */
  get size(): number {
    return this.#entries.size;
  }
}
