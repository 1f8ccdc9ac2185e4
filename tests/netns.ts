/**
 * A network namespace of a test's own, with only loopback, up: what runs in
 * it sees only the sockets opened in it, and the sockets opened in it do not
 * slow the `ss` of tests running beside it.
 *
 * With `ownProcesses`, the namespace also gets a pid namespace and a `/proc`
 * of its own (`unshare --pid --mount-proc`, held open by a `sleep`), entered
 * with `nsenter`: `ss -p` in it then reads the file descriptors of the
 * processes started in it only, not those of every process on the machine
 * (another test's 40,000-socket farm makes that take ten seconds).
 * Processes there have two pids: the machine's (what `Deno.ChildProcess.pid`
 * leads to) and the namespace's (what `ss` inside reports).
 */
import { hasTool } from "./open_sockets.ts";

/** True where network namespaces can be made: Linux, root, `ip`. */
export const canMakeNetns = Deno.build.os === "linux" && Deno.uid() === 0 && hasTool("ip");
/** True where pid namespaces can be made too. */
export const canIsolateProcesses = canMakeNetns && hasTool("unshare") && hasTool("nsenter");

/** A namespace; `prefix` runs a command in it. */
export interface Netns {
  name: string;
  /** Put before a command to run it in the namespace (`ip netns exec NAME`, or `nsenter …`). */
  prefix: string[];
  /**
   * Send a signal to a process started through `prefix` (with `nsenter` it is the child of the process
   * `Deno.Command` started, which does not pass signals on).
   */
  signal(child: Deno.ChildProcess, signal: Deno.Signal): Promise<void>;
  /** The pid that `ss` in the namespace reports for a process started through `prefix`. */
  pidInside(child: Deno.ChildProcess): Promise<number>;
  /** The machine's pid of a process started through `prefix` (for its /proc/PID/stat). */
  pidOutside(child: Deno.ChildProcess): Promise<number>;
  /** End every process left in it, and remove it. */
  close(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
}

/** The first child of a process, once it has one (after a fork, before its exec, it may not yet). */
async function childOf(pid: number): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    const children = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`).catch(() => "");
    const first = Number(children.trim().split(" ")[0]);
    if (first > 0) return first;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`process ${pid} started no child`);
}

/** Make a namespace named after `tag` and this process's pid, with loopback up. */
export async function makeNetns(tag: string, options: { ownProcesses?: boolean } = {}): Promise<Netns> {
  const name = `${tag}${Deno.pid}x${Math.floor(Math.random() * 1e6).toString(36)}`;
  await ip("netns", "add", name);
  let holder: Deno.ChildProcess | null = null;
  try {
    await ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
    if (!options.ownProcesses) {
      return {
        name,
        prefix: ["ip", "netns", "exec", name],
        signal: (child, signal) => Promise.resolve(child.kill(signal)),
        pidInside: (child) => Promise.resolve(child.pid),
        pidOutside: (child) => Promise.resolve(child.pid),
        close: () => ip("netns", "del", name),
      };
    }
    // nsenter, not `ip netns exec`: that one also mounts a /sys of the namespace's own, where `ss -e` finds no
    // cgroup2 mount and writes "Failed to find cgroup2 mount" to stderr for every socket (at 21,000 sockets
    // `ss -tunapeH` then cost 1.5 s CPU instead of 0.35 s, and the monitor read 21,000 lines of stderr).
    holder = new Deno.Command("nsenter", {
      args: [
        `--net=/run/netns/${name}`,
        "--",
        "unshare",
        "--pid",
        "--fork",
        "--mount-proc",
        "sleep",
        "infinity",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const init = await childOf(holder.pid);
    const spawned = holder;
    const prefix = ["nsenter", "--target", String(init), "--net", "--mount", "--pid", "--"];
    return {
      name,
      prefix,
      async signal(child, signal) {
        process(await childOf(child.pid), signal);
      },
      pidOutside: (child) => childOf(child.pid),
      async pidInside(child) {
        const status = await Deno.readTextFile(`/proc/${await childOf(child.pid)}/status`);
        return Number(status.match(/^NSpid:.*\s(\d+)$/m)?.[1]);
      },
      async close() {
        // The namespace's first process ends: the kernel ends every other one in it.
        process(init, "SIGKILL");
        await spawned.status;
        await ip("netns", "del", name);
      },
    };
  } catch (error) {
    if (holder !== null) {
      process(holder.pid, "SIGKILL");
      await holder.status;
    }
    await ip("netns", "del", name).catch(() => {});
    throw error;
  }
}

function process(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
