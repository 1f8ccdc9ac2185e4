/**
 * displayWidth() against glibc's wcwidth(), which tmux and other terminals
 * use to lay out a line: a character counted narrower than a terminal draws
 * it makes a line cut to the screen's width wider than the screen, and the
 * dashboard's frame wraps. Wider is allowed (a column is then off by a cell).
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { cutToWidth, displayWidth } from "../../lib/render/display_width.ts";
import { safeTerminalText } from "../../lib/render/terminal_text.ts";

const LC_CTYPE = 0;

function glibc() {
  const lib = Deno.dlopen("libc.so.6", {
    setlocale: { parameters: ["i32", "buffer"], result: "pointer" },
    wcwidth: { parameters: ["u32"], result: "i32" },
  });
  const locale = lib.symbols.setlocale(LC_CTYPE, new TextEncoder().encode("C.UTF-8\0"));
  return { lib, utf8: locale !== null };
}

Deno.test({
  name: "displayWidth() counts no character narrower than glibc's wcwidth draws it",
  ignore: Deno.build.os !== "linux" || Deno.build.env === "musl",
  fn() {
    const { lib, utf8 } = glibc();
    try {
      ok(utf8, "no C.UTF-8 locale");
      deepStrictEqual(lib.symbols.wcwidth(0x4e00), 2, "wcwidth does not read UTF-8 here");
      const narrower: string[] = [];
      for (let code = 0xa0; code <= 0x10ffff; code++) {
        if (code >= 0xd800 && code <= 0xdfff) continue;
        const char = String.fromCodePoint(code);
        // Escaped characters are written as ASCII; -1 is "not printable" to glibc, which terminals draw variously.
        if (safeTerminalText(char) !== char) continue;
        const drawn = lib.symbols.wcwidth(code);
        if (drawn > displayWidth(char)) {
          narrower.push(`U+${code.toString(16)} (${drawn} > ${displayWidth(char)})`);
        }
      }
      deepStrictEqual(narrower, []);
    } finally {
      lib.close();
    }
  },
});

Deno.test("cutToWidth() keeps a name of soft hyphens within the width a terminal draws", () => {
  const name = "a\u00ad".repeat(40);
  const cut = cutToWidth(name, 30);
  deepStrictEqual(displayWidth(cut), 30);
  deepStrictEqual([...cut].length, 30);
});
