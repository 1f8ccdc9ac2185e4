import { deepStrictEqual, rejects } from "node:assert/strict";
import { pathExists as exists, removeAll, tempDir, tempFile } from "./temp_dir.ts";

Deno.test("tempDir() is removed with what it holds when its block ends, also by a throw", async () => {
  let path = "";
  await rejects(
    (async () => {
      await using dir = await tempDir({ prefix: "conntrail-temp-" });
      path = dir.path;
      await Deno.mkdir(`${path}/sub`);
      await Deno.writeTextFile(`${path}/sub/history.db`, "x");
      deepStrictEqual(await exists(`${path}/sub/history.db`), true);
      throw new Error("the test failed");
    })(),
    /the test failed/,
  );
  deepStrictEqual(await exists(path), false);
});

Deno.test("tempFile() is removed when its block ends; a path already gone is no error", async () => {
  let path = "";
  {
    await using file = await tempFile({ suffix: ".txt" });
    path = file.path;
    deepStrictEqual((await Deno.stat(path)).isFile, true);
  }
  deepStrictEqual(await exists(path), false);
  await removeAll(path);
  {
    await using gone = await tempDir();
    await Deno.remove(gone.path);
  }
});
