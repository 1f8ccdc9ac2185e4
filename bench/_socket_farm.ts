import { onInterrupt } from "./_interrupt.ts";

/**
 * Start bench/socket_farm.py (a copy of the shared tools' script) and wait until it is ready; `wrap` runs it
 * in a network namespace (see _netns.ts).
 */
export async function startSocketFarm(
  connections: number,
  udp: number,
  wrap: (command: string, args: readonly string[]) => [string, string[]] = (c, a) => [c, [...a]],
): Promise<{ stop(): void }> {
  const candidates = [
    new URL("./socket_farm.py", import.meta.url).pathname,
    new URL("../../shared/tools/socket_farm.py", import.meta.url).pathname,
  ];
  const script = candidates.find((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
  if (script === undefined) throw new Error("cannot find bench/socket_farm.py");
  const [command, args] = wrap("python3", [script, String(connections), String(udp)]);
  const child = new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const kill = () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  };
  // SIGTERM stops the farm's forked workers too (socket_farm.py's own handler).
  const forget = onInterrupt(kill);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("socket_farm.py ended before it was ready");
    text += value;
  }
  reader.releaseLock();
  return {
    stop() {
      forget();
      kill();
    },
  };
}
