/**
 * Joining file paths and taking their directory, as node:path does on the OS
 * conntrail runs on (POSIX, or Windows with `\` and `/`, drive letters and
 * `\\server\share`): the data directory, the history files beside each other,
 * the connection logs. Hand-written because node:path is part of Deno's Node
 * layer (+3 MiB of RSS at import beside the rest the monitor loads), and these
 * two functions are all the monitor needed of it.
 *
 * @module
 */

/** `join` and `dirname` of one path style. */
export interface PathStyle {
  join(...parts: string[]): string;
  dirname(path: string): string;
}

function isSlash(c: number): boolean {
  return c === 47;
}

function isWindowsSeparator(c: number): boolean {
  return c === 47 || c === 92;
}

/** `.` and `..` segments resolved, repeated separators made one; `..` above a relative start kept. */
function resolveSegments(
  path: string,
  isSeparator: (c: number) => boolean,
  keepAbove: boolean,
  sep: string,
): string {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && !isSeparator(path.charCodeAt(i))) continue;
    const segment = path.slice(start, i);
    start = i + 1;
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") out.push(segment);
    else if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (keepAbove) out.push("..");
  }
  return out.join(sep);
}

function posixNormalize(path: string): string {
  if (path === "") return ".";
  const absolute = isSlash(path.charCodeAt(0));
  const trailing = isSlash(path.charCodeAt(path.length - 1));
  let tail = resolveSegments(path, isSlash, !absolute, "/");
  if (tail === "" && !absolute) tail = ".";
  if (tail !== "" && trailing) tail += "/";
  return absolute ? `/${tail}` : tail;
}

/** node:path's POSIX join and dirname. */
export const posixPath: PathStyle = {
  join(...parts) {
    const joined = parts.filter((part) => part !== "").join("/");
    return joined === "" ? "." : posixNormalize(joined);
  },
  dirname(path) {
    if (path === "") return ".";
    const rooted = isSlash(path.charCodeAt(0));
    let end = -1;
    let inName = false;
    for (let i = path.length - 1; i >= 1; i--) {
      if (!isSlash(path.charCodeAt(i))) inName = true;
      else if (inName) {
        end = i;
        break;
      }
    }
    if (end === -1) return rooted ? "/" : ".";
    if (rooted && end === 1) return "//";
    return path.slice(0, end);
  },
};

/** Where a Windows path's root ends: its device (`C:`, `\\server\share`), and whether it is absolute. */
function windowsRoot(path: string): { device: string; end: number; absolute: boolean } {
  const sep = (i: number) => i < path.length && isWindowsSeparator(path.charCodeAt(i));
  if (sep(0)) {
    if (!sep(1)) return { device: "", end: 1, absolute: true };
    // `\\server\share`: both names present, or it is only a root of repeated separators.
    let i = 2;
    while (i < path.length && !sep(i)) i++;
    const server = path.slice(2, i);
    let j = i;
    while (sep(j)) j++;
    let k = j;
    while (k < path.length && !sep(k)) k++;
    const share = path.slice(j, k);
    if (server !== "" && j > i && share !== "") {
      return { device: `\\\\${server}\\${share}`, end: sep(k) ? k + 1 : k, absolute: true };
    }
    return { device: "", end: 1, absolute: true };
  }
  const c = path.charCodeAt(0) | 32;
  if (path.length >= 2 && c >= 97 && c <= 122 && path.charCodeAt(1) === 58) {
    const absolute = sep(2);
    return { device: path.slice(0, 2), end: absolute ? 3 : 2, absolute };
  }
  return { device: "", end: 0, absolute: false };
}

function windowsNormalize(path: string): string {
  if (path === "") return ".";
  const root = windowsRoot(path);
  if (root.device.startsWith("\\\\") && root.end === path.length) return `${root.device}\\`;
  let tail = resolveSegments(path.slice(root.end), isWindowsSeparator, !root.absolute, "\\");
  if (tail === "" && !root.absolute) tail = ".";
  if (tail !== "" && isWindowsSeparator(path.charCodeAt(path.length - 1))) tail += "\\";
  return root.absolute ? `${root.device}\\${tail}` : `${root.device}${tail}`;
}

/**
 * node:path's Windows join and dirname for drive letters, `\\server\share` and relative paths. Not for `\\?\` and `\\.\`
 * device paths, nor a colon past the drive: node:path writes a relative `ab:` as `.\ab:`, lest it read as a drive.
 */
export const windowsPath: PathStyle = {
  join(...parts) {
    const present = parts.filter((part) => part !== "");
    if (present.length === 0) return ".";
    let joined = present.join("\\");
    // A first part that is not itself a UNC root does not become one by the parts after it.
    const first = present[0]!;
    const firstSeparators = first.length - first.replace(/^[\\/]+/, "").length;
    if (firstSeparators !== 2 || first.length === 2) {
      const leading = joined.length - joined.replace(/^[\\/]+/, "").length;
      if (leading >= 2) joined = `\\${joined.slice(leading)}`;
    }
    return windowsNormalize(joined);
  },
  dirname(path) {
    if (path === "") return ".";
    const root = windowsRoot(path);
    if (root.end >= path.length) return path;
    let end = -1;
    let inName = false;
    for (let i = path.length - 1; i >= root.end; i--) {
      if (!isWindowsSeparator(path.charCodeAt(i))) inName = true;
      else if (inName) {
        end = i;
        break;
      }
    }
    if (end === -1) return root.end === 0 ? "." : path.slice(0, root.end);
    return path.slice(0, end);
  },
};

let style: PathStyle = posixPath;

/**
 * Whose paths {@linkcode joinPath} and {@linkcode directoryOf} write: the real platform sets its OS's
 * once as it is built (lib/ names Deno only there); POSIX until then.
 */
export function usePathsOf(os: string): void {
  style = os === "windows" ? windowsPath : posixPath;
}

/**
 * The parts joined with the OS's separator and normalised, as node:path's `join`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { posixPath } from "./file_path.ts";
 * deepStrictEqual(posixPath.join("/home/ana/", ".local", "share"), "/home/ana/.local/share");
 * deepStrictEqual(posixPath.join("./logs", "../x", "c.csv"), "x/c.csv");
 * ```
 */
export function joinPath(...parts: string[]): string {
  return style.join(...parts);
}

/**
 * The directory part of a path, as node:path's `dirname`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { posixPath, windowsPath } from "./file_path.ts";
 * deepStrictEqual([posixPath.dirname("/a/b/"), posixPath.dirname("history.json")], ["/a", "."]);
 * deepStrictEqual(windowsPath.dirname("C:\\data\\history.json"), "C:\\data");
 * ```
 */
export function directoryOf(path: string): string {
  return style.dirname(path);
}
