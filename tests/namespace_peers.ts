/**
 * Peers outside loopback for end-to-end tests: a network namespace joined by
 * a veth pair, with two addresses of 198.51.100.0/24 and a listener on both;
 * and python3 holding outgoing connections to them. Names include the pid;
 * everything is removed on dispose.
 */
import { fileURLToPath } from "node:url";

const decoder = new TextDecoder();
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

async function ip(...args: string[]): Promise<string> {
  const out = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`ip ${args.join(" ")}: ${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout);
}

/** The TCP and UDP sockets (any state) `ss` lists for a filter such as `dst 198.51.100.8/29`. */
async function sockets(...filter: string[]): Promise<string> {
  const out = await new Deno.Command("ss", { args: ["-Htuan", ...filter], stdout: "piped", stderr: "piped" })
    .output();
  return decoder.decode(out.stdout).trim();
}

/** Read a child's stdout up to its first line. */
export async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`ended before a line: ${text}`);
    text += value;
  }
  reader.releaseLock();
  return text.slice(0, text.indexOf("\n"));
}

/** Two peer addresses in a new network namespace, with a listener on both. */
export interface Peers extends AsyncDisposable {
  addresses: [string, string];
  port: number;
}

/** Where tests reserve /30s of 198.51.100.0/24: one file per /30, holding the reserving process's pid. */
const BLOCK_LOCKS = "/tmp/conntrail-test-blocks";

/** Whether the process that wrote a lock is still running (a killed test leaves its lock behind). */
function lockHolderAlive(path: string): boolean {
  try {
    return Deno.statSync(`/proc/${Deno.readTextFileSync(path).trim()}`).isDirectory;
  } catch {
    return false;
  }
}

/** Reserve the /30s of a block (atomically: a lock file created only if absent); null when one is taken. */
function reserve(block: number, size: number): (() => void) | null {
  Deno.mkdirSync(BLOCK_LOCKS, { recursive: true });
  const taken: string[] = [];
  const release = () => {
    for (const path of taken) {
      try {
        Deno.removeSync(path);
      } catch { /* already gone */ }
    }
  };
  for (let at = block; at < block + size; at += 4) {
    const path = `${BLOCK_LOCKS}/${at}`;
    try {
      Deno.writeTextFileSync(path, String(Deno.pid), { createNew: true });
      taken.push(path);
    } catch {
      // Left by a test that was killed: free for a later try.
      if (!lockHolderAlive(path)) {
        try {
          Deno.removeSync(path);
        } catch { /* another test took it over first */ }
      }
      release();
      return null;
    }
  }
  return release;
}

/**
 * A block of `size` addresses (4: a /30, 8: a /29) in 198.51.100.0/24 that
 * this test alone uses until `release()`: reserved against tests running at
 * the same time, and holding no address of any interface (a test killed
 * before its cleanup leaves its veth behind, and a peer behind a second route
 * to the same block is unreachable).
 */
export async function freeBlock(size = 8): Promise<{ block: number; release: () => void }> {
  const prefix = 32 - Math.log2(size);
  for (let tries = 0; tries < 100; tries++) {
    const block = size * Math.floor(Math.random() * (256 / size));
    if (block === 0) continue; // .0 is the network's own address
    const release = reserve(block, size);
    if (release === null) continue;
    // No interface holds it, and no socket is left to it: an earlier test's TIME_WAIT sockets (a minute)
    // would show in a run that watches the whole machine as connections to this test's peers.
    const range = `198.51.100.${block}/${prefix}`;
    if ((await ip("-4", "addr", "show", "to", range)).trim() === "" && (await sockets("dst", range)) === "") {
      return { block, release };
    }
    release();
  }
  throw new Error(`no free /${prefix} in 198.51.100.0/24`);
}

export async function peersInNamespace(): Promise<Peers> {
  const id = `${Deno.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const [ns, near, far] = [`cteg${id}`, `cte${id}a`, `cte${id}b`];
  const { block, release } = await freeBlock();
  const [host, first, second] = [1, 2, 3].map((n) => `198.51.100.${block + n}`) as [string, string, string];
  const cleanup = async () => {
    await ip("netns", "del", ns).catch(() => {});
    await ip("link", "del", near).catch(() => {});
    release();
  };
  let listener: Deno.ChildProcess | null = null;
  try {
    await ip("netns", "add", ns);
    await ip("link", "add", near, "type", "veth", "peer", "name", far);
    await ip("link", "set", far, "netns", ns);
    await ip("addr", "add", `${host}/29`, "dev", near);
    await ip("link", "set", near, "up");
    await ip("netns", "exec", ns, "ip", "addr", "add", `${first}/29`, "dev", far);
    await ip("netns", "exec", ns, "ip", "addr", "add", `${second}/29`, "dev", far);
    await ip("netns", "exec", ns, "ip", "link", "set", far, "up");
    listener = new Deno.Command("ip", {
      args: ["netns", "exec", ns, "python3", fixture("accept_forever.py")],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const port = Number(await firstLine(listener.stdout));
    const running = listener;
    return {
      addresses: [first, second],
      port,
      async [Symbol.asyncDispose]() {
        running.kill();
        await running.status;
        await cleanup();
      },
    };
  } catch (error) {
    listener?.kill();
    await listener?.status;
    await cleanup();
    throw error;
  }
}

/** python3 holding outgoing connections, opened on request. */
export function connectionHolder() {
  const child = new Deno.Command("python3", {
    args: [fixture("hold_connections.py")],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    async connect(address: string, port: number): Promise<number> {
      await writer.write(new TextEncoder().encode(`connect ${address} ${port}\n`));
      while (!buffered.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error("hold_connections.py ended");
        buffered += value;
      }
      const answer = JSON.parse(buffered.slice(0, buffered.indexOf("\n")));
      buffered = buffered.slice(buffered.indexOf("\n") + 1);
      if (answer.error) throw new Error(`connect ${address}:${port}: ${answer.error}`);
      return answer.local_port;
    },
    async [Symbol.asyncDispose]() {
      await writer.close();
      await lines.cancel();
      await child.status;
    },
  };
}
