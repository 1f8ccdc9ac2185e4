/**
 * bench/socket_farm.py (the benchmarks' copy of the shared tools' script) as a
 * child process: N established loopback TCP connections (2N sockets) and M
 * connected UDP sockets, held until stopped.
 */
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../bench/socket_farm.py", import.meta.url));

/** A running farm. */
export interface SocketFarm {
  stop(): Promise<void>;
}

/** Start the farm (in a namespace when `prefix` says so) and wait until every socket is open. */
export async function startSocketFarm(
  connections: number,
  udp: number,
  options: { prefix?: string[]; signal?: (child: Deno.ChildProcess, signal: Deno.Signal) => Promise<void> } =
    {},
): Promise<SocketFarm> {
  const [command, ...args] = [...(options.prefix ?? []), "python3", SCRIPT, String(connections), String(udp)];
  const child = new Deno.Command(command!, { args, stdout: "piped", stderr: "inherit" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      throw new Error("socket_farm.py ended before it was ready");
    }
    text += value;
  }
  return {
    async stop() {
      try {
        if (options.signal === undefined) child.kill("SIGTERM");
        else await options.signal(child, "SIGTERM");
      } catch {
        // Already gone.
      }
      await reader.cancel().catch(() => {});
      await child.status;
    },
  };
}
