/** lib/platform/file_path.ts against node:path, which it replaced, as the oracle: POSIX and Windows. */
import { deepStrictEqual } from "node:assert/strict";
import { posix, win32 } from "node:path";
import { posixPath, windowsPath } from "../../lib/platform/file_path.ts";
import { campaign, type Fuzz } from "../fuzz/_fuzz.ts";

const POSIX_PIECES = [
  "/",
  "//",
  "a",
  "bc",
  ".",
  "..",
  "",
  ".local",
  "Application Support",
  "x.json",
  "...",
  "é",
];
const WINDOWS_PIECES = [...POSIX_PIECES, "\\", "\\\\", "\\\\srv\\share", "//srv/share/", "\\\\srv"];
/** How a Windows path starts: a colon comes only after a drive letter (see windowsPath). */
const WINDOWS_STARTS = ["", "C:", "c:", "C:\\", "d:/", "\\\\srv\\share", "//srv/share/", "\\", "\\\\"];

function piece(fuzz: Fuzz, pieces: readonly string[]): string {
  let out = "";
  for (let n = fuzz.int(5); n >= 0; n--) out += fuzz.pick(pieces);
  return out;
}

Deno.test("posixPath.join() and .dirname() are node:path's POSIX ones on generated paths", async () => {
  const fixed = [
    "",
    "/",
    "//",
    "///",
    "a",
    "/a",
    "//a",
    "a/",
    "a//b",
    "/a/b/",
    "./",
    "../",
    "a/..",
    "a/../",
    "/..",
  ];
  for (const path of fixed) {
    deepStrictEqual(posixPath.dirname(path), posix.dirname(path), JSON.stringify(path));
    deepStrictEqual(posixPath.join(path), posix.join(path), JSON.stringify(path));
  }
  deepStrictEqual(posixPath.join(), posix.join());
  await campaign("posix path", 20_000, (fuzz) => {
    const parts = Array.from({ length: 1 + fuzz.int(4) }, () => piece(fuzz, POSIX_PIECES));
    deepStrictEqual(posixPath.join(...parts), posix.join(...parts), JSON.stringify(parts));
    deepStrictEqual(posixPath.dirname(parts[0]!), posix.dirname(parts[0]!), JSON.stringify(parts[0]));
  });
});

Deno.test("windowsPath.join() and .dirname() are node:path's Windows ones on drive, UNC and relative paths", async () => {
  const fixed = [
    "C:",
    "C:\\",
    "C:a",
    "C:\\a\\b",
    "C:\\a\\",
    "\\",
    "\\a",
    "\\\\srv\\share",
    "\\\\srv\\share\\x",
    "a\\\\b",
  ];
  for (const path of fixed) {
    deepStrictEqual(windowsPath.dirname(path), win32.dirname(path), JSON.stringify(path));
    deepStrictEqual(
      windowsPath.join(path, "conntrail.db"),
      win32.join(path, "conntrail.db"),
      JSON.stringify(path),
    );
  }
  await campaign("windows path", 20_000, (fuzz) => {
    const parts = Array.from({ length: 1 + fuzz.int(4) }, () => piece(fuzz, WINDOWS_PIECES));
    parts[0] = fuzz.pick(WINDOWS_STARTS) + parts[0];
    // `\\.\` and `\\?\` are device paths, which windowsPath does not read.
    if (/^[\\/]{2}[.?]/.test(parts[0])) return;
    deepStrictEqual(windowsPath.join(...parts), win32.join(...parts), JSON.stringify(parts));
    deepStrictEqual(windowsPath.dirname(parts[0]!), win32.dirname(parts[0]!), JSON.stringify(parts[0]));
  });
});
