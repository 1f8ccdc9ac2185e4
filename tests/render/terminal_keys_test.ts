import { deepStrictEqual } from "node:assert/strict";
import { KeyDecoder } from "../../lib/render/terminal_keys.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("KeyDecoder names the keys xterm, the Linux console and tmux send for scrolling", () => {
  const keys = new KeyDecoder();
  const sent = [
    ["\x1b[A", "up"],
    ["\x1b[B", "down"],
    ["\x1bOA", "up"],
    ["\x1bOB", "down"],
    ["\x1b[5~", "pageup"],
    ["\x1b[6~", "pagedown"],
    ["\x1b[H", "home"],
    ["\x1b[F", "end"],
    ["\x1b[1~", "home"],
    ["\x1b[4~", "end"],
    ["\x1bOH", "home"],
    ["\x1bOF", "end"],
  ];
  for (const [input, name] of sent) {
    deepStrictEqual(keys.decode(bytes(input ?? "")), [name], JSON.stringify(input));
  }
});

Deno.test("KeyDecoder drops sequences it does not know whole, so their bytes never become letters", () => {
  const keys = new KeyDecoder();
  // F5, a mouse report, Shift+Up, then q.
  deepStrictEqual(keys.decode(bytes("\x1b[15~\x1b[<0;10;5M\x1b[1;2Aq")), ["q"]);
});

Deno.test("KeyDecoder passes Ctrl+C through and joins a character split across reads", () => {
  const keys = new KeyDecoder();
  deepStrictEqual(keys.decode(bytes("\x03")), ["\x03"]);
  const euro = bytes("€");
  deepStrictEqual(keys.decode(euro.subarray(0, 1)), []);
  deepStrictEqual(keys.decode(euro.subarray(1)), ["€"]);
  deepStrictEqual(keys.decode(bytes("\r\n\x7f\b\x1b")), [
    "enter",
    "enter",
    "backspace",
    "backspace",
    "escape",
  ]);
});
