import { fileURLToPath } from "node:url";

/** Ports of the sockets tests/fixtures/open_sockets.py holds open. */
export interface OpenSockets {
  pid: number;
  exe: string;
  tcp4_listen: number;
  tcp4_client: number;
  tcp6_listen: number;
  tcp6_client: number;
  half_listen: number;
  half_client: number;
  udp_unconnected: number;
  udp_connected: number;
  close(): Promise<void>;
}

/** Start the socket helper and wait until its sockets are open. */
export async function openSockets(): Promise<OpenSockets> {
  const child = new Deno.Command("python3", {
    args: [fileURLToPath(new URL("./fixtures/open_sockets.py", import.meta.url))],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("open_sockets.py ended before printing its ports");
    text += value;
  }
  const ports = JSON.parse(text);
  const writer = child.stdin.getWriter();
  return {
    ...ports,
    async close() {
      await writer.close();
      await reader.cancel();
      await child.status;
    },
  };
}

/** True when a program is on PATH. */
export function hasTool(name: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${name}`] }).outputSync().success;
  } catch {
    return false;
  }
}
