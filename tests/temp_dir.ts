/**
 * Temporary folders and files that remove themselves: `await using dir = await tempDir();` makes one
 * (`Deno.makeTempDir`, in `$TMPDIR`) and removes it with all it holds when the block is left, however it is
 * left. `deno task test` fails when the tests leave anything in `$TMPDIR` (scripts/test_tmpdir.ts).
 *
 * Declare a folder before what writes into it (a child process, an open store): `await using` disposes in
 * reverse order, so the writer is stopped before its folder is removed.
 */

/** A temporary folder or file; disposing it removes it (a folder with everything in it). */
export interface TempPath extends AsyncDisposable {
  /** Where it is. */
  readonly path: string;
}

/** Remove a path and all below it; one already gone is fine. */
export async function removeAll(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Whether anything (a file, a folder, a dangling link) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function disposable(path: string): TempPath {
  return { path, [Symbol.asyncDispose]: () => removeAll(path) };
}

/** A new empty folder in `$TMPDIR`, removed with its contents when disposed. */
export async function tempDir(options?: Deno.MakeTempOptions): Promise<TempPath> {
  return disposable(await Deno.makeTempDir(options));
}

/** A new empty file in `$TMPDIR`, removed when disposed. */
export async function tempFile(options?: Deno.MakeTempOptions): Promise<TempPath> {
  return disposable(await Deno.makeTempFile(options));
}
