import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { addressResolver, BlocklistFiles, blocklistIo } from "../../lib/enrich/blocklist_files.ts";
import { startDnsServer } from "../dns_server.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();

async function withDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "conntrail-lists-" });
  try {
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Write a file with a new modification time, so that a change is always seen. */
async function write(path: string, text: string, mtimeSeconds: number): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.utime(path, mtimeSeconds, mtimeSeconds);
}

const noDns = { ...blocklistIo(platform), resolve: () => Promise.resolve([]) };

Deno.test("BlocklistFiles re-reads a list edited on disk, and keeps the last good version when an edit breaks it", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "ips.txt");
    await write(path, "# mine\n203.0.113.7\n", 1000);
    const notes: string[] = [];
    const lists = new BlocklistFiles([{ path, optional: false }], {
      io: noDns,
      onNote: (l) => notes.push(l),
    });
    await lists.load();
    deepStrictEqual([lists.index.has("203.0.113.7"), lists.index.has("198.51.100.1")], [true, false]);
    strictEqual(await lists.refresh(), false);

    await write(path, "# mine\n203.0.113.7\n198.51.100.0/24\nnot an entry\n", 1001);
    strictEqual(await lists.refresh(), true);
    deepStrictEqual(lists.index.match("198.51.100.1"), { list: path, line: 3, entry: "198.51.100.0/24" });

    await write(path, "<html>\n<body>oops</body>\n", 1002);
    strictEqual(await lists.refresh(), false);
    strictEqual(lists.index.has("198.51.100.1"), true);

    await Deno.remove(path);
    strictEqual(await lists.refresh(), false);
    strictEqual(lists.index.has("203.0.113.7"), true);

    await write(path, "192.0.2.1\nnot an entry\n", 1003);
    strictEqual(await lists.refresh(), true);
    deepStrictEqual([lists.index.has("192.0.2.1"), lists.index.has("203.0.113.7")], [true, false]);
    deepStrictEqual(notes, [
      `note: ${path}:4 skipped ("not an entry"): not an IP, CIDR, range or domain`,
      `note: ${path} changed; re-read: 2 entries`,
      `note: ${path}:1 skipped ("<html>"): not an IP, CIDR, range or domain`,
      `note: ${path}:2 skipped ("<body>oops</body>"): not an IP, CIDR, range or domain`,
      `warning: cannot use ${path} as edited: no line in it is an IP, CIDR, range or domain; keeping the last good version (2 entries)`,
      `warning: cannot use ${path} as edited: the file is gone; keeping the last good version (2 entries)`,
      `note: ${path}:2 skipped ("not an entry"): not an IP, CIDR, range or domain`,
      `note: ${path} changed; re-read: 1 entries`,
    ]);
  });
});

Deno.test("BlocklistFiles skips a missing optional list and refuses a named one that is missing or not a list", async () => {
  await withDir(async (dir) => {
    const optional = new BlocklistFiles([{ path: join(dir, "ips.txt"), optional: true }], { io: noDns });
    await optional.load();
    deepStrictEqual([optional.loaded, optional.index.entryCount], [[], 0]);
    await rejects(
      new BlocklistFiles([{ path: join(dir, "missing.txt"), optional: false }], { io: noDns }).load(),
      /cannot read ".*missing\.txt": no such file or directory/,
    );
    const html = join(dir, "page.html");
    await Deno.writeTextFile(html, "<html>\n</html>\n");
    await rejects(
      new BlocklistFiles([{ path: html, optional: false }], { io: noDns }).load(),
      /holds no IP, CIDR, range or domain; is it a block list\?/,
    );
  });
});

Deno.test("BlocklistFiles resolves domain entries through a real DNS server, and again after the interval", async () => {
  const addresses = new Map([["bad.example", ["192.0.2.10", "192.0.2.11"]]]);
  const server = await startDnsServer({}, [], addresses);
  try {
    await withDir(async (dir) => {
      const path = join(dir, "ips.txt");
      await write(path, "bad.example\nnowhere.example\n", 1000);
      let now = 0;
      const lists = new BlocklistFiles([{ path, optional: false }], {
        io: {
          ...blocklistIo(platform),
          resolve: addressResolver(platform.network, { ipAddr: "127.0.0.1", port: server.port }),
        },
        now: () => now,
        domainRefreshMs: 60_000,
      });
      await lists.load();
      deepStrictEqual(lists.index.match("192.0.2.11"), {
        list: path,
        line: 1,
        entry: "bad.example",
        domain: "bad.example",
      });
      strictEqual(lists.index.has("192.0.2.12"), false);
      addresses.set("bad.example", ["192.0.2.12"]);
      now = 30_000;
      strictEqual(await lists.refresh(), false);
      strictEqual(lists.index.has("192.0.2.12"), false);
      now = 60_000;
      strictEqual(await lists.refresh(), true);
      deepStrictEqual([lists.index.has("192.0.2.12"), lists.index.has("192.0.2.10")], [true, false]);
      ok(server.queries.includes("nowhere.example"));
    });
  } finally {
    await server.close();
  }
});

Deno.test("BlocklistFiles says once that domains are not resolved when DNS fails, and keeps the IP entries", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "ips.txt");
    await write(path, "bad.example\nworse.example\n203.0.113.7\n", 1000);
    const notes: string[] = [];
    const lists = new BlocklistFiles([{ path, optional: false }], {
      io: { ...noDns, resolve: () => Promise.reject(new Deno.errors.NotCapable("net")) },
      onNote: (l) => notes.push(l),
    });
    await lists.load();
    strictEqual(lists.index.has("203.0.113.7"), true);
    deepStrictEqual(notes, [
      "note: domains in block lists are not resolved (DNS is not allowed; run with --allow-net); their IPs and CIDRs still count",
    ]);
  });
});
