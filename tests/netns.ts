/**
 * A network namespace of a test's own, with only loopback, up: what runs in
 * it (through `ip netns exec`) sees only the sockets opened in it, and the
 * sockets opened in it do not slow the `ss` of tests running beside it.
 */
import { hasTool } from "./open_sockets.ts";

/** True where network namespaces can be made: Linux, root, `ip`. */
export const canMakeNetns = Deno.build.os === "linux" && Deno.uid() === 0 && hasTool("ip");

/** A namespace; `prefix` runs a command in it. */
export interface Netns {
  name: string;
  /** `["ip", "netns", "exec", name]`: put it before a command to run that command in the namespace. */
  prefix: string[];
  close(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  const out = await new Deno.Command("ip", { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`ip ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
}

/** Make a namespace named after `tag` and this process's pid, with loopback up. */
export async function makeNetns(tag: string): Promise<Netns> {
  const name = `${tag}${Deno.pid}x${Math.floor(Math.random() * 1e6).toString(36)}`;
  await ip("netns", "add", name);
  try {
    await ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
  } catch (error) {
    await ip("netns", "del", name).catch(() => {});
    throw error;
  }
  return {
    name,
    prefix: ["ip", "netns", "exec", name],
    close: () => ip("netns", "del", name),
  };
}
