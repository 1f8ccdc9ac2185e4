/**
 * Campaign class "files": what a user (or an attacker who shares the
 * directory) might give where conntrail reads a file — FIFOs, directories,
 * devices, links to nothing and to FIFOs, sparse files of hundreds of
 * megabytes, empty files, binary junk, mutated real lists, gzip bombs — as
 * a block list, an `--expect` list, a filter file, an env file and a GeoIP
 * directory. Each read finishes (nothing waits on a writer) with the list
 * or one sentence.
 */
import { ok } from "node:assert/strict";
import { join } from "node:path";
import { reputationConfig } from "../../lib/cli/reputation_config.ts";
import { BlocklistFiles } from "../../lib/enrich/blocklist_files.ts";
import { geoFilesIo, loadGeoDirectory } from "../../lib/enrich/geo_files.ts";
import { parseBlocklist } from "../../lib/parse/blocklist.ts";
import { userFiles } from "../../lib/platform/user_files.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { fixture } from "../fixture.ts";
import { campaign, type Fuzz } from "./_fuzz.ts";

const { readUserFile } = userFiles(denoPlatform().files);

const linux = Deno.build.os === "linux";

async function gzipped(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Make one hostile thing at `path`. */
async function hostileFile(fuzz: Fuzz, path: string, lists: string[]): Promise<string> {
  const kind = fuzz.pick([
    "fifo",
    "dir",
    "device",
    "broken",
    "fifo-link",
    "sparse",
    "empty",
    "junk",
    "list",
    "list",
  ]);
  switch (kind) {
    case "fifo":
      await new Deno.Command("mkfifo", { args: [path] }).output();
      break;
    case "dir":
      await Deno.mkdir(path);
      break;
    case "device":
      await Deno.symlink(fuzz.pick(["/dev/zero", "/dev/null", "/dev/urandom"]), path);
      break;
    case "broken":
      await Deno.symlink(`${path}.gone`, path);
      break;
    case "fifo-link":
      await new Deno.Command("mkfifo", { args: [`${path}.fifo`] }).output();
      await Deno.symlink(`${path}.fifo`, path);
      break;
    case "sparse": {
      using file = await Deno.open(path, { write: true, create: true });
      await file.truncate(fuzz.pick([65, 300]) * 1024 * 1024);
      break;
    }
    case "empty":
      await Deno.writeFile(path, new Uint8Array());
      break;
    case "junk":
      await Deno.writeFile(path, Uint8Array.from({ length: fuzz.int(5000) }, () => fuzz.int(256)));
      break;
    default:
      await Deno.writeTextFile(path, fuzz.mutate(fuzz.pick(lists), 1 + fuzz.int(5)));
  }
  return kind;
}

function oneSentence(error: unknown): void {
  ok(error instanceof Error, String(error));
  ok(!error.message.includes("\n") && error.message.length < 400, error.message);
}

Deno.test({
  name:
    "fuzz files: FIFOs, devices, broken links, huge and junk files as lists, env files and GeoIP files end in a list or one sentence",
  ignore: !linux,
  async fn() {
    const lists = [...Deno.readDirSync(new URL("../fixtures/blocklists/", import.meta.url))].filter((entry) =>
      entry.isFile
    ).map((entry) => fixture(`blocklists/${entry.name}`));
    const root = await Deno.makeTempDir({ prefix: "conntrail-fuzz-files-" });
    // 34 MB of rows in a few hundred kilobytes: made once, dropped into some of the directories.
    const bomb = await gzipped(new TextEncoder().encode("1.0.0.0,1.0.0.255,US\n".repeat(1_700_000)));
    const kinds = new Map<string, number>();
    try {
      await campaign("files", 200, async (fuzz, index) => {
        const dir = join(root, String(index));
        await Deno.mkdir(dir);
        const path = join(dir, fuzz.pick(["list.txt", "hide.txt", "settings.env"]));
        const kind = await hostileFile(fuzz, path, lists);
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        const use = fuzz.int(4);
        try {
          if (use === 0) {
            const files = new BlocklistFiles([{ path, optional: fuzz.chance(0.3) }], {
              io: {
                readTextFile: (p) => readUserFile(p, { maxBytes: 64 * 1024 * 1024, what: "a list file" }),
                stamp: async (p) => `${(await Deno.stat(p)).size}`,
                resolve: () => Promise.resolve([]),
              },
            });
            await files.load();
          } else if (use === 1) {
            parseBlocklist(await readUserFile(path, { maxBytes: 64 * 1024 * 1024, what: "a filter file" }));
          } else if (use === 2) {
            await reputationConfig({ reputation: true, envFile: path }, {
              env: new Map(),
              machine: denoPlatform(),
            });
          } else {
            // The same thing inside a GeoIP directory, named as a database, beside a good one and a bomb.
            const geo = join(dir, "geo");
            await Deno.mkdir(geo);
            await Deno.writeTextFile(join(geo, "a-good.csv"), "8.8.8.0,8.8.8.255,DE\n");
            await Deno.rename(path, join(geo, fuzz.pick(["b.csv", "b.mmdb", "b.csv.gz"])));
            if (fuzz.chance(0.3)) await Deno.writeFile(join(geo, "c.csv.gz"), bomb);
            const notes: string[] = [];
            const loaded = await loadGeoDirectory(geo, {
              io: geoFilesIo(denoPlatform().files),
              onNote: (line) => notes.push(line),
            });
            ok(loaded.some((file) => file.path.endsWith("a-good.csv")), notes.join("\n"));
            for (const note of notes) ok(!note.includes("\n"), note);
          }
        } catch (error) {
          oneSentence(error);
        }
      });
    } finally {
      await Deno.remove(root, { recursive: true });
    }
    ok(kinds.size >= 8, JSON.stringify([...kinds]));
  },
});
