/**
 * Extra cgroup folders for a bench (BENCH_CGROUPS=N). A systemd host has a cgroup folder for every service, scope
 * and slice (a container host more), and `ss -e` walks all of them the first time a run prints a socket's cgroup
 * (iproute2's cg_init_map: nftw over the cgroup2 mount, a stat for every control file). The kernel gives every
 * socket a cgroup, so every `ss -e` run that lists a socket pays the walk: the monitor's UDP reading
 * (`ss -uaneH -s`) each tick, a snapshot's once. Measured here (5 UDP sockets, 18 control files a folder):
 * 4.8 ms a run with no extra folder, 11.4 with 100, 25.6 with 300; `ss -uanH` 4.6 with any. This machine's
 * tree is nearly empty, so a bench does not see that cost unless folders are added.
 *
 * Root only. The folders are empty (no process moves into them) and are removed at the end, also when the bench
 * is interrupted.
 */
import { onInterrupt } from "./_interrupt.ts";

/** Folders made for a bench; `remove()` takes them away (once). */
export interface ExtraCgroups {
  /** The cgroup2 mount they are in. */
  mount: string;
  count: number;
  remove(): void;
}

/** Where cgroup2 is mounted, as `ss` finds it (the first cgroup2 line of /proc/mounts), or null. */
export function cgroup2Mount(mounts = Deno.readTextFileSync("/proc/mounts")): string | null {
  for (const line of mounts.split("\n")) {
    const [, path, type] = line.split(" ");
    if (type === "cgroup2" && path !== undefined) return path;
  }
  return null;
}

/** Make `count` empty cgroup folders under the cgroup2 mount (throws without one, or without the rights). */
export function addCgroups(count: number): ExtraCgroups {
  const mount = cgroup2Mount();
  if (mount === null) throw new Error("BENCH_CGROUPS: no cgroup2 mount in /proc/mounts");
  const made: string[] = [];
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    forget();
    for (const path of made.reverse()) {
      try {
        Deno.removeSync(path);
      } catch {
        // Gone already.
      }
    }
  };
  const forget = onInterrupt(remove);
  try {
    for (let i = 0; i < count; i++) {
      const path = `${mount}/conntrail-bench-${Deno.pid}-${i}`;
      Deno.mkdirSync(path);
      made.push(path);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { mount, count, remove };
}
