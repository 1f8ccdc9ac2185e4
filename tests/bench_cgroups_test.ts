import { deepStrictEqual, ok } from "node:assert/strict";
import { addCgroups, cgroup2Mount } from "../bench/_cgroups.ts";
import { pathExists } from "./temp_dir.ts";

Deno.test("cgroup2Mount() finds the first cgroup2 line of /proc/mounts, as ss does", () => {
  const hybrid = [
    "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0",
    "cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0",
    "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0",
    "cgroup2 /run/other cgroup2 rw 0 0",
  ].join("\n");
  deepStrictEqual(cgroup2Mount(hybrid), "/sys/fs/cgroup/unified");
  deepStrictEqual(cgroup2Mount("cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n"), "/sys/fs/cgroup");
  deepStrictEqual(cgroup2Mount("proc /proc proc rw 0 0\ncgroup /sys/fs/cgroup/cpu cgroup rw 0 0\n"), null);
});

// Root with a cgroup2 mount (Linux): elsewhere /proc/mounts is not there to read.
const root = Deno.build.os === "linux" && Deno.uid() === 0 && cgroup2Mount() !== null;

Deno.test({
  name: "addCgroups() makes empty cgroup folders that ss -e walks, and remove() takes them away",
  ignore: !root,
  fn: async () => {
    const cgroups = addCgroups(3);
    const made = [0, 1, 2].map((i) => `${cgroups.mount}/conntrail-bench-${Deno.pid}-${i}`);
    try {
      for (const path of made) ok(await pathExists(`${path}/cgroup.procs`), `${path} is not a cgroup`);
    } finally {
      cgroups.remove();
    }
    for (const path of made) deepStrictEqual(await pathExists(path), false);
    cgroups.remove(); // a second time does nothing
  },
});
