import { SCREEN } from "./ansi.ts";
import type { ScreenSize } from "./dashboard.ts";
import { KeyDecoder } from "./terminal_keys.ts";

/** The terminal as the dashboard uses it; tests pass a fake. */
export interface TerminalDevice {
  /** Write all of the bytes, synchronously (so restoring works on every exit path). */
  write(text: string): void;
  setRaw(on: boolean): void;
  size(): ScreenSize;
}

const encoder = new TextEncoder();

/** The process's own terminal: stdout for frames, stdin for keys. */
export const processTerminal: TerminalDevice = {
  write(text) {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
  },
  setRaw(on) {
    if (Deno.stdin.isTerminal()) Deno.stdin.setRaw(on, { cbreak: false });
  },
  size() {
    try {
      return Deno.consoleSize();
    } catch {
      return { columns: 80, rows: 24 };
    }
  },
};

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
 * Read keys from stdin until it closes or `signal` aborts, calling `onKey`
 * with each key as {@linkcode KeyDecoder} names it: a character, or `up`,
 * `down`, `pageup`, `pagedown`, `home`, `end`, `escape`, `backspace`, `enter`.
 */
export async function readKeys(onKey: (key: string) => void, signal: AbortSignal): Promise<void> {
  const buffer = new Uint8Array(256);
  const decoder = new KeyDecoder();
  while (!signal.aborted) {
    let n: number | null;
    try {
      n = await Deno.stdin.read(buffer);
    } catch {
      return;
    }
    if (n === null) return;
    for (const key of decoder.decode(buffer.subarray(0, n))) onKey(key);
  }
}
