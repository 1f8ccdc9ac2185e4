import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ProcessPathCache } from "../../lib/collect/process_paths.ts";

type Owned = { pid: number | null; process_name: string | null; process_path: string | null };

function owned(pid: number | null, name: string | null): Owned {
  return { pid, process_name: name, process_path: null };
}

/** A lookup that knows the paths given and records what it is asked. */
function lookup(paths: Record<number, string>) {
  const asked: number[][] = [];
  const cache = new ProcessPathCache((pids) => {
    asked.push([...pids].sort((a, b) => a - b));
    return Promise.resolve(
      new Map(pids.flatMap((pid) => paths[pid] === undefined ? [] : [[pid, paths[pid]!]])),
    );
  });
  return { cache, asked };
}

Deno.test("ProcessPathCache.fill() asks once per process, not per socket nor per poll", async () => {
  const { cache, asked } = lookup({ 10: "/usr/bin/a", 20: "/usr/bin/b" });
  const first = [owned(10, "a"), owned(10, "a"), owned(20, "b"), owned(null, null)];
  await cache.fill(first);
  assertEquals(first.map((s) => s.process_path), ["/usr/bin/a", "/usr/bin/a", "/usr/bin/b", null]);
  const second = [owned(20, "b"), owned(10, "a")];
  await cache.fill(second);
  assertEquals(second.map((s) => s.process_path), ["/usr/bin/b", "/usr/bin/a"]);
  assertEquals(asked, [[10, 20]]);
});

Deno.test("ProcessPathCache.fill() asks again about a pid reused under another name", async () => {
  const { cache, asked } = lookup({ 10: "/usr/bin/a" });
  await cache.fill([owned(10, "a")]);
  const reused = [owned(10, "other")];
  await cache.fill(reused);
  assertEquals(asked, [[10], [10]]);
  assertEquals(reused[0]!.process_path, "/usr/bin/a");
});

Deno.test("ProcessPathCache.fill() forgets a process that holds no socket any more", async () => {
  const { cache, asked } = lookup({ 10: "/usr/bin/a", 20: "/usr/bin/b" });
  await cache.fill([owned(10, "a"), owned(20, "b")]);
  await cache.fill([owned(20, "b")]);
  await cache.fill([owned(10, "a"), owned(20, "b")]);
  assertEquals(asked, [[10, 20], [10]]);
});

Deno.test("ProcessPathCache.fill() leaves the path null where the lookup cannot read it, and keeps that answer", async () => {
  const { cache, asked } = lookup({});
  const sockets = [owned(30, "secret")];
  sockets[0]!.process_path = "stale";
  await cache.fill(sockets);
  await cache.fill([owned(30, "secret")]);
  assertEquals([sockets[0]!.process_path, asked], [null, [[30]]]);
});

Deno.test("ProcessPathCache.fill() reads a run of one pid's sockets once, and a name change inside the run apart", async () => {
  const { cache, asked } = lookup({ 10: "/usr/bin/a", 20: "/usr/bin/b" });
  await cache.fill([owned(10, "a"), owned(10, "a"), owned(20, "b")]);
  // pid 10 exec'd between two walks: its sockets carry both names in one reading; the later name is asked about.
  const mixed = [owned(10, "a"), owned(10, "x"), owned(10, "x"), owned(20, "b"), owned(10, "a")];
  await cache.fill(mixed);
  assertEquals(asked, [[10, 20], [10]]);
  assertEquals(mixed.map((s) => s.process_path), [null, "/usr/bin/a", "/usr/bin/a", "/usr/bin/b", null]);
});

Deno.test("ProcessPathCache.pathsOf() asks once about the processes not known under their names, and gives every path by pid", async () => {
  const { cache, asked } = lookup({ 10: "/usr/bin/a", 20: "/usr/bin/b", 30: "/usr/bin/c" });
  await cache.fill([owned(10, "a")]);
  const paths = await cache.pathsOf(new Map([[10, "a"], [20, "b"], [40, "gone"]]));
  assertEquals([...paths], [[10, "/usr/bin/a"], [20, "/usr/bin/b"], [40, null]]);
  // A pid known under another name is asked about again.
  assertEquals([...await cache.pathsOf(new Map([[10, "a2"]]))], [[10, "/usr/bin/a"]]);
  assertEquals(asked, [[10], [20, 40], [10]]);
});
