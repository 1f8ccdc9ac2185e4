/**
 * Network namespaces for end-to-end tests (root, `ip` from iproute2): each
 * test gets namespaces of its own, named after the test process and a random
 * part, so that tests running at once never meet, and removes them after.
 *
 * @module
 */

const decoder = new TextDecoder();

/** A network namespace this test created. */
export interface TestNamespace {
  name: string;
  /** The argv that runs a command inside it. */
  exec(command: readonly string[]): string[];
  /**
   * The argv that runs a command inside it with tracefs mounted: `ip netns
   * exec` gives the command a mount namespace of its own with a fresh /sys,
   * where bpftrace would find no tracepoint. The mount stays in that private
   * mount namespace.
   */
  execWithTracefs(command: readonly string[]): string[];
  /** Run `ip …` (or any command) inside it and fail loudly. */
  run(command: readonly string[]): Promise<void>;
  remove(): Promise<void>;
}

/** Run a command and throw with its stderr when it fails. */
export async function must(command: readonly string[]): Promise<void> {
  const [program = "", ...args] = command;
  const output = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  if (!output.success) throw new Error(`${command.join(" ")}: ${decoder.decode(output.stderr).trim()}`);
}

/** True when this test may create network namespaces. */
export function canCreateNamespaces(): boolean {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  try {
    return new Deno.Command("ip", { args: ["netns", "list"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** Create a namespace with its loopback up. */
export async function createNamespace(prefix: string): Promise<TestNamespace> {
  const name = `${prefix}-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await must(["ip", "netns", "add", name]);
  const namespace: TestNamespace = {
    name,
    exec: (command) => ["ip", "netns", "exec", name, ...command],
    execWithTracefs: (command) => [
      "ip",
      "netns",
      "exec",
      name,
      "sh",
      "-c",
      'mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing; exec "$@"',
      "sh",
      ...command,
    ],
    run: (command) => must(["ip", "netns", "exec", name, ...command]),
    remove: () => must(["ip", "netns", "delete", name]),
  };
  try {
    await namespace.run(["ip", "link", "set", "lo", "up"]);
  } catch (error) {
    await namespace.remove();
    throw error;
  }
  return namespace;
}

/** A veth name of at most 15 characters, unique enough for one test run. */
export function vethName(tag: string): string {
  return `${tag}${Math.random().toString(36).slice(2, 8)}`.slice(0, 15);
}
