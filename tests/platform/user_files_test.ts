import { deepStrictEqual, rejects } from "node:assert/strict";
import { join } from "node:path";
import { userFiles } from "../../lib/platform/user_files.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { tempDir } from "../temp_dir.ts";

const { readOptionalUserFile, readUserBytes, readUserFile } = userFiles(denoPlatform().files);

const linux = Deno.build.os === "linux";

async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  if (!made.success) throw new Error(`mkfifo failed: ${new TextDecoder().decode(made.stderr)}`);
}

Deno.test({
  name: "readUserFile() refuses a FIFO, a directory and a device in one sentence instead of waiting on them",
  ignore: !linux,
  async fn() {
    await using temp = await tempDir({ prefix: "conntrail-files-" });
    const dir = temp.path;
    const fifo = join(dir, "list.txt");
    await mkfifo(fifo);
    await rejects(
      readUserFile(fifo),
      /^RefusedFileError: cannot read ".*list\.txt": it is a FIFO \(named pipe\), not a regular file$/,
    );
    await rejects(readUserFile(dir), /it is a directory, not a regular file$/);
    await rejects(
      readUserFile("/dev/zero"),
      /cannot read "\/dev\/zero": it is a character device, not a regular file$/,
    );
    await rejects(readUserBytes(fifo), /FIFO/);
    // Through a link, the target is what counts.
    const link = join(dir, "link.txt");
    await Deno.symlink(fifo, link);
    await rejects(readUserFile(link), /FIFO/);
  },
});

Deno.test("readUserFile() refuses a file past its limit, naming the limit, and reads one within it", async () => {
  await using temp = await tempDir({ prefix: "conntrail-files-" });
  const dir = temp.path;
  const big = join(dir, "big.txt");
  // Sparse: 200 MB that take no disk, refused from its size before a byte is read.
  using file = await Deno.open(big, { write: true, create: true });
  await file.truncate(200 * 1024 * 1024);
  await rejects(
    readUserFile(big, { maxBytes: 64 * 1024 * 1024, what: "a list file" }),
    /^RefusedFileError: cannot read ".*big\.txt": it is larger than the 64 MiB a list file may be$/,
  );
  const small = join(dir, "small.txt");
  await Deno.writeTextFile(small, "8.8.8.8\n");
  deepStrictEqual(await readUserFile(small, { maxBytes: 8 }), "8.8.8.8\n");
  await rejects(readUserFile(small, { maxBytes: 7 }), /larger than the 7 bytes a file may be/);
  deepStrictEqual(await readOptionalUserFile(join(dir, "missing.env")), null);
  await rejects(readUserFile(join(dir, "missing.txt")), /no such file or directory/);
});
