import { isSystemError, PermissionError, UnusableFileError } from "../model/errors.ts";
import type { FileInfo, Files } from "./platform.ts";
import { concatBytes } from "../model/concat_bytes.ts";

function explain(action: "read" | "write", path: string, error: unknown, flagPath = path): Error {
  if (isSystemError(error, "NotCapable")) {
    const flag = `--allow-${action}=${flagPath}`;
    return new PermissionError(`cannot ${action} "${path}": permission denied; run with ${flag}`, flag, {
      cause: error,
    });
  }
  const reason = isSystemError(error, "NotFound")
    ? "no such file or directory"
    : isSystemError(error, "PermissionDenied")
    ? "the operating system denied access"
    : error instanceof Error
    ? error.message
    : String(error);
  return new Error(`cannot ${action} "${path}": ${reason}`, { cause: error });
}

/** Options of {@linkcode readUserFile}. */
export interface ReadUserFileOptions {
  /** The largest file read; a longer one is refused with one sentence naming the limit. */
  maxBytes?: number;
  /** What the file is, for that sentence: `a block list`. */
  what?: string;
}

/** A file refused before it was read: not a regular file, or too large. The message says which. */
export class RefusedFileError extends UnusableFileError {
  override name = "RefusedFileError";
  /** Why, without the path: `it is a FIFO (named pipe), not a regular file`. */
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`cannot read "${path}": ${reason}`);
    this.reason = reason;
  }
}

/** What a path that is not a regular file is, for a message. */
function kindOf(info: FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "a special file";
}

/** `64 MiB`, `512 KiB`: a limit as a person reads it. */
export function byteSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Refuse what is not a regular file before opening it: opening a FIFO waits
 * for a writer forever, and a device never ends.
 */
async function requireRegularFile(files: Files, path: string): Promise<void> {
  const info = await files.stat(path);
  if (!info.isFile) {
    throw new RefusedFileError(path, `it is ${kindOf(info)}, not a regular file`);
  }
}

/** The file's bytes, refusing it past `maxBytes` (read in chunks, so a file that grows is caught too). */
async function readBounded(files: Files, path: string, options: ReadUserFileOptions): Promise<Uint8Array> {
  await requireRegularFile(files, path);
  const max = options.maxBytes ?? Infinity;
  using file = await files.open(path, { read: true });
  const tooLarge = () =>
    new RefusedFileError(path, `it is larger than the ${byteSize(max)} ${options.what ?? "a file"} may be`);
  const size = (await file.stat()).size;
  if (size > max) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = new Uint8Array(Math.min(Math.max(size - total, 64 * 1024), 16 * 1024 * 1024));
    const n = await file.read(chunk);
    if (n === null) break;
    total += n;
    if (total > max) throw tooLarge();
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
  }
  return concatBytes(chunks);
}

/**
 * Read a file the user named on the command line; a failure becomes one
 * sentence, naming the Deno flag when a permission is missing. Only regular
 * files are read (a FIFO or a device is refused rather than waited on), and
 * with `maxBytes` only up to that size.
 */
async function readUserFile(
  files: Files,
  path: string,
  options: ReadUserFileOptions = {},
): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readBounded(files, path, options);
  } catch (error) {
    throw error instanceof RefusedFileError ? error : explain("read", path, error);
  }
  return new TextDecoder().decode(bytes);
}

/** As {@linkcode readUserFile}, but null when the file does not exist (the default `ips.txt`, `.env`). */
async function readOptionalUserFile(
  files: Files,
  path: string,
  options: ReadUserFileOptions = {},
): Promise<string | null> {
  try {
    return await readUserFile(files, path, options);
  } catch (error) {
    if (error instanceof Error && isSystemError(error.cause, "NotFound")) return null;
    throw error;
  }
}

/**
 * Write (or append to) a file the user asked for; failures as in {@linkcode readUserFile}.
 * `flagPath` is what `--allow-write` should name, when that is a directory.
 */
async function writeUserFile(
  files: Files,
  path: string,
  text: string,
  options: { append?: boolean; flagPath?: string } = {},
): Promise<void> {
  try {
    await files.writeTextFile(path, text, { append: options.append ?? false });
  } catch (error) {
    throw explain("write", path, error, options.flagPath);
  }
}

/** Create a directory (and its parents) the user named; failures as in {@linkcode readUserFile}. */
async function makeUserDirectory(
  files: Files,
  path: string,
): Promise<void> {
  try {
    await files.mkdir(path, { recursive: true });
  } catch (error) {
    throw explain("write", path, error);
  }
}

/**
 * Replace a file in one step: write a temporary file beside it, then rename
 * it over the old one, so that a crash or a full disk never leaves half a
 * file. Failures as in {@linkcode readUserFile}.
 */
async function replaceFileAtomically(
  files: Files,
  path: string,
  text: string,
  flagPath = path,
): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    {
      // Closed before the rename, which Windows requires.
      using file = await files.open(temporary, { write: true, createNew: true });
      const bytes = new TextEncoder().encode(text);
      for (let written = 0; written < bytes.length;) written += await file.write(bytes.subarray(written));
      // On disk before the rename, so a power cut leaves the old file or the new one, not an empty one.
      await file.syncData();
    }
    await files.rename(temporary, path);
  } catch (error) {
    await files.remove(temporary).catch(() => {});
    throw explain("write", path, error, flagPath);
  }
}

/** Read a binary file the user named; failures as in {@linkcode readUserFile}. */
async function readUserBytes(
  files: Files,
  path: string,
  flagPath = path,
  options: ReadUserFileOptions = {},
): Promise<Uint8Array> {
  try {
    return await readBounded(files, path, options);
  } catch (error) {
    throw error instanceof RefusedFileError ? error : explain("read", path, error, flagPath);
  }
}

/** Names of the files in a directory the user named; failures as in {@linkcode readUserFile}. */
async function listUserDirectory(
  files: Files,
  path: string,
): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const entry of files.readDir(path)) {
      if (entry.isFile || entry.isSymlink) names.push(entry.name);
    }
    return names.sort();
  } catch (error) {
    throw explain("read", path, error);
  }
}

/**
 * True when a file the user named exists; a missing permission becomes one
 * sentence naming the flag, as in {@linkcode readUserFile}.
 */
async function userFileExists(
  files: Files,
  path: string,
): Promise<boolean> {
  try {
    await files.stat(path);
    return true;
  } catch (error) {
    if (isSystemError(error, "NotFound")) return false;
    throw explain("read", path, error);
  }
}

/** The files the user names, read and written on `files` with the checks and sentences above. */
export interface UserFiles {
  readUserFile(path: string, options?: ReadUserFileOptions): Promise<string>;
  readOptionalUserFile(path: string, options?: ReadUserFileOptions): Promise<string | null>;
  writeUserFile(path: string, text: string, options?: { append?: boolean; flagPath?: string }): Promise<void>;
  makeUserDirectory(path: string): Promise<void>;
  replaceFileAtomically(path: string, text: string, flagPath?: string): Promise<void>;
  readUserBytes(path: string, flagPath?: string, options?: ReadUserFileOptions): Promise<Uint8Array>;
  listUserDirectory(path: string): Promise<string[]>;
  userFileExists(path: string): Promise<boolean>;
}

/**
 * The user's files on this platform's file system.
 *
 * @example
 * ```ts
 * import { rejects } from "node:assert/strict";
 * import { userFiles } from "./user_files.ts";
 * import { denoPlatform } from "./deno_platform.ts";
 * await rejects(userFiles(denoPlatform().files).readUserFile("/nonexistent/ips.txt"), /no such file or directory/);
 * ```
 */
export function userFiles(files: Files): UserFiles {
  return {
    readUserFile: (path, options) => readUserFile(files, path, options),
    readOptionalUserFile: (path, options) => readOptionalUserFile(files, path, options),
    writeUserFile: (path, text, options) => writeUserFile(files, path, text, options),
    makeUserDirectory: (path) => makeUserDirectory(files, path),
    replaceFileAtomically: (path, text, flagPath) => replaceFileAtomically(files, path, text, flagPath),
    readUserBytes: (path, flagPath, options) => readUserBytes(files, path, flagPath, options),
    listUserDirectory: (path) => listUserDirectory(files, path),
    userFileExists: (path) => userFileExists(files, path),
  };
}
