/**
 * A network namespace of the bench's own (root, `ip` and `nsenter` needed), so that `ss`
 * lists the bench's sockets and no one else's: other programs on the machine
 * (and other benches' socket farms) would change the counts. `ss -p` still
 * walks every process's descriptors, as it does outside a namespace.
 */

import { onInterrupt } from "./_interrupt.ts";

/** A command line to run inside the namespace, or as it is when there is none. */
export type Wrap = (command: string, args: readonly string[]) => [string, string[]];

/** A namespace that exists until `remove()`; `wrap` runs commands in it. */
export interface BenchNetns {
  name: string | null;
  wrap: Wrap;
  remove(): void;
}

function ip(args: string[]): boolean {
  try {
    return new Deno.Command("ip", { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Create `conntrail-bench-<pid>` (`-<suffix>` added when given, for a second namespace of the same bench) with
 * loopback up; without the rights or `ip`, commands run as they are.
 */
export function benchNetns(suffix?: string): BenchNetns {
  const name = `conntrail-bench-${Deno.pid}${suffix === undefined ? "" : `-${suffix}`}`;
  if (!ip(["netns", "add", name]) || !ip(["-n", name, "link", "set", "lo", "up"])) {
    ip(["netns", "delete", name]);
    return { name: null, wrap: (command, args) => [command, [...args]], remove: () => {} };
  }
  let removed = false;
  const forget = onInterrupt(() => ip(["netns", "delete", name]));
  return {
    name,
    // nsenter, not `ip netns exec`: that one also remounts /sys, where `ss -e` then misses the cgroup2 mount
    // and prints a line for every socket (measured: 4.9 s instead of under 1).
    wrap: (command, args) => ["nsenter", [`--net=/run/netns/${name}`, "--", command, ...args]],
    remove() {
      if (removed) return;
      removed = true;
      forget();
      ip(["netns", "delete", name]);
    },
  };
}
