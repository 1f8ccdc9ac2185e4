import { PermissionError } from "../errors.ts";

function explain(action: "read" | "write", path: string, error: unknown, flagPath = path): Error {
  if (error instanceof Deno.errors.NotCapable) {
    const flag = `--allow-${action}=${flagPath}`;
    return new PermissionError(`cannot ${action} "${path}": permission denied; run with ${flag}`, flag, {
      cause: error,
    });
  }
  const reason = error instanceof Deno.errors.NotFound
    ? "no such file or directory"
    : error instanceof Deno.errors.PermissionDenied
    ? "the operating system denied access"
    : error instanceof Error
    ? error.message
    : String(error);
  return new Error(`cannot ${action} "${path}": ${reason}`, { cause: error });
}

/**
 * Read a file the user named on the command line; a failure becomes one
 * sentence, naming the Deno flag when a permission is missing.
 */
export async function readUserFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw explain("read", path, error);
  }
}

/**
 * Write (or append to) a file the user asked for; failures as in {@linkcode readUserFile}.
 * `flagPath` is what `--allow-write` should name, when that is a directory.
 */
export async function writeUserFile(
  path: string,
  text: string,
  options: { append?: boolean; flagPath?: string } = {},
): Promise<void> {
  try {
    await Deno.writeTextFile(path, text, { append: options.append ?? false });
  } catch (error) {
    throw explain("write", path, error, options.flagPath);
  }
}

/** Create a directory (and its parents) the user named; failures as in {@linkcode readUserFile}. */
export async function makeUserDirectory(path: string): Promise<void> {
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (error) {
    throw explain("write", path, error);
  }
}

/**
 * Replace a file in one step: write a temporary file beside it, then rename
 * it over the old one, so that a crash or a full disk never leaves half a
 * file. Failures as in {@linkcode readUserFile}.
 */
export async function replaceFileAtomically(path: string, text: string, flagPath = path): Promise<void> {
  const temporary = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    {
      // Closed before the rename, which Windows requires.
      using file = await Deno.open(temporary, { write: true, createNew: true });
      const bytes = new TextEncoder().encode(text);
      for (let written = 0; written < bytes.length;) written += await file.write(bytes.subarray(written));
      // On disk before the rename, so a power cut leaves the old file or the new one, not an empty one.
      await file.syncData();
    }
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw explain("write", path, error, flagPath);
  }
}

/** Read a binary file the user named; failures as in {@linkcode readUserFile}. */
export async function readUserBytes(path: string, flagPath = path): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw explain("read", path, error, flagPath);
  }
}

/** Names of the files in a directory the user named; failures as in {@linkcode readUserFile}. */
export async function listUserDirectory(path: string): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) if (entry.isFile || entry.isSymlink) names.push(entry.name);
    return names.sort();
  } catch (error) {
    throw explain("read", path, error);
  }
}

/**
 * True when a file the user named exists; a missing permission becomes one
 * sentence naming the flag, as in {@linkcode readUserFile}.
 */
export async function userFileExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw explain("read", path, error);
  }
}
