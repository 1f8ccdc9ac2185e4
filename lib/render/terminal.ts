import { SCREEN } from "./ansi.ts";
import type { ScreenSize } from "./dashboard.ts";
import { KeyDecoder } from "./terminal_keys.ts";
import type { TerminalDevice } from "../platform/platform.ts";

export type { TerminalDevice } from "../platform/platform.ts";

/**
 * Owns the screen during refresh mode: raw keys, the alternate screen and a
 * hidden cursor, and puts all of it back exactly once however the run ends.
 */
export class Terminal {
  readonly #device: TerminalDevice;
  #active = false;
  #lastFrame = "";

  constructor(device: TerminalDevice) {
    this.#device = device;
  }

  size(): ScreenSize {
    return this.#device.size();
  }

  /** Switch to the alternate screen and raw keys. */
  enter(): void {
    if (this.#active) return;
    this.#active = true;
    this.#device.setRaw(true);
    this.#device.write(SCREEN.enterAlternate + SCREEN.hideCursor);
  }

  /** Draw a frame over the previous one, line by line, without clearing first (no flicker). */
  draw(frame: string): void {
    if (!this.#active || frame === this.#lastFrame) return;
    this.#lastFrame = frame;
    const body = frame.split("\n").map((line) => line + SCREEN.clearToEndOfLine).join("\r\n");
    this.#device.write(SCREEN.home + body + SCREEN.clearBelow);
  }

  /** Leave the alternate screen, show the cursor and end raw mode; safe to call twice. */
  restore(): void {
    if (!this.#active) return;
    this.#active = false;
    try {
      this.#device.write(SCREEN.showCursor + SCREEN.leaveAlternate);
    } finally {
      this.#device.setRaw(false);
    }
  }
}

/**
 * Read keys from the terminal until its input ends or `signal` aborts, calling
 * `onKey` with each key as {@linkcode KeyDecoder} names it: a character, or
 * `up`, `down`, `pageup`, `pagedown`, `home`, `end`, `escape`, `backspace`,
 * `enter`. A device that cannot be read gives no keys.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { readKeys } from "./terminal.ts";
 * const input = [new TextEncoder().encode("q\x1b[A")];
 * const keys: string[] = [];
 * await readKeys({
 *   write: () => {},
 *   setRaw: () => {},
 *   size: () => ({ columns: 80, rows: 24 }),
 *   read: (buffer) => {
 *     const next = input.shift();
 *     if (next === undefined) return Promise.resolve(null);
 *     buffer.set(next);
 *     return Promise.resolve(next.length);
 *   },
 * }, (key) => keys.push(key), new AbortController().signal);
 * deepStrictEqual(keys, ["q", "up"]);
 * ```
 */
export async function readKeys(
  device: TerminalDevice,
  onKey: (key: string) => void,
  signal: AbortSignal,
): Promise<void> {
  if (device.read === undefined) return;
  const buffer = new Uint8Array(256);
  const decoder = new KeyDecoder();
  while (!signal.aborted) {
    let n: number | null;
    try {
      n = await device.read(buffer);
    } catch {
      return;
    }
    if (n === null) return;
    for (const key of decoder.decode(buffer.subarray(0, n))) onKey(key);
  }
}
