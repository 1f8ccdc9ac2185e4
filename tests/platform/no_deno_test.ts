/**
 * Nothing in lib/ reaches the machine but through the platform object: only
 * lib/platform/deno_platform.ts names `Deno` in code (comments may mention it).
 * Files that still do are listed in STILL_DIRECT until they move behind it.
 */
import { deepStrictEqual } from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const LIB = fileURLToPath(new URL("../../lib/", import.meta.url));

/** The one file that builds the real platform. */
const DENO_PLATFORM = "platform/deno_platform.ts";

/** Files that still name Deno in code (empty: the move is done). */
const STILL_DIRECT: string[] = [];

function* typescriptFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* typescriptFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/**
 * The code of a TypeScript file without its comments and the text of its
 * strings (a doc comment's example or a message may name Deno; code may not).
 */
export function codeOnly(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    const c = text[i]!;
    if (two === "//") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (two === "/*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\") j += 2;
        else if (c === "`" && text.startsWith("${", j)) {
          // A template's `${…}` is code: keep it.
          let depth = 1;
          let k = j + 2;
          while (k < text.length && depth > 0) {
            if (text[k] === "{") depth++;
            else if (text[k] === "}") depth--;
            k++;
          }
          out += codeOnly(text.slice(j + 2, k - 1)) + " ";
          j = k;
        } else j++;
      }
      out += c + c;
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** lib/ files whose code names `Deno`, relative to lib/. */
function filesNamingDeno(): string[] {
  return [...typescriptFiles(LIB)]
    .filter((file) => /\bDeno\b/.test(codeOnly(Deno.readTextFileSync(file))))
    .map((file) => relative(LIB, file))
    .sort();
}

Deno.test("codeOnly() drops comments and string contents, and keeps code", () => {
  deepStrictEqual(
    codeOnly('/** Deno.stat */ const a = "Deno.x"; // Deno\nDeno.exit(`v${Deno.pid}`);'),
    ' const a = ""; \nDeno.exit(Deno.pid ``);',
  );
});

/** lib/ files whose code imports the real platform, relative to lib/. */
function filesImportingDenoPlatform(): string[] {
  return [...typescriptFiles(LIB)]
    .filter((file) => /(from|import\()\s*"[^"]*\/deno_platform\.ts"/.test(withoutComments(file)))
    .map((file) => relative(LIB, file))
    .sort();
}

/** A file's text without its comments (its doc examples may build the real platform). */
function withoutComments(file: string): string {
  return Deno.readTextFileSync(file).replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

Deno.test("no lib/ file imports the real platform: main.ts builds it and hands it down", () => {
  deepStrictEqual(filesImportingDenoPlatform(), []);
});

Deno.test("lib/ names Deno only in deno_platform.ts (and the files still to move)", () => {
  deepStrictEqual(filesNamingDeno(), [DENO_PLATFORM, ...STILL_DIRECT].sort());
});
