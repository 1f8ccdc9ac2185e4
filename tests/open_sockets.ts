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

/** A loopback connection tests/fixtures/socket_control.py opened. */
export interface ControlledConnection {
  id: number;
  ip: string;
  port: number;
  client_port: number;
}

/** A helper process that opens and closes loopback connections on command. */
export interface SocketControl {
  pid: number;
  /** The helper's process (through a prefix, the prefix's command). */
  child: Deno.ChildProcess;
  /**
   * Settles once the helper runs: its interpreter has started. A launcher that execs it (pyenv's `python3` is a
   * shell script) has the helper's pid named so (`bash`) until then, and a walk whose `ps` came before the exec
   * names the helper's sockets so: wait for this before starting what names them.
   */
  ready: Promise<void>;
  /**
   * Open a connection to a listener on `ip` (on `port` when given, else any free port), from `clientPort` when
   * given (0: any) with SO_REUSEADDR (so, an earlier connection's four-tuple, if it was opened so too: its
   * TIME_WAIT reused once the kernel allows it).
   */
  open(ip: string, port?: number, clientPort?: number): Promise<ControlledConnection>;
  /** The client sends `toServer` bytes (over `seconds` when given), then the accepted side `toClient` back. */
  send(id: number, toServer: number, toClient: number, seconds?: number): Promise<void>;
  /** The client shuts its sending side: it goes to FIN_WAIT_2, the accepted side to CLOSE_WAIT. */
  shut(id: number): Promise<void>;
  close(id: number): Promise<void>;
  /** Close connection `id`, the client aborting it (SO_LINGER 0: a reset; the kernel clears its counters). */
  abort(id: number): Promise<void>;
  /** Close the accepted side only: it closes first, the client stays open (CLOSE_WAIT). */
  closeServer(id: number): Promise<void>;
  stop(): Promise<void>;
}

/** Start tests/fixtures/socket_control.py (through `prefix`, e.g. `ip netns exec NAME`, when given). */
export function socketControl(prefix: string[] = []): SocketControl {
  const [command, ...args] = [
    ...prefix,
    "python3",
    fileURLToPath(new URL("./fixtures/socket_control.py", import.meta.url)),
  ];
  const child = new Deno.Command(command!, {
    args,
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  let buffered = "";
  /** The helper's next line, parsed (`after`: what it was asked, for the error when it ends instead). */
  const nextLine = async (after: string) => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`socket_control.py ended ${after}`);
      buffered += value;
    }
    const cut = buffered.indexOf("\n");
    const line = buffered.slice(0, cut);
    buffered = buffered.slice(cut + 1);
    return JSON.parse(line);
  };
  const ready = nextLine("before it said it runs").then(() => {});
  ready.catch(() => {}); // said to whoever waits for it or asks; a helper stopped unasked is no error
  const ask = async (command: string) => {
    await ready;
    await writer.write(new TextEncoder().encode(command + "\n"));
    return await nextLine(`after "${command}"`);
  };
  return {
    pid: child.pid,
    child,
    ready,
    open: (ip, port, clientPort) => {
      const words = ["open", ip];
      if (port !== undefined || clientPort !== undefined) words.push(String(port ?? 0));
      if (clientPort !== undefined) words.push(String(clientPort));
      return ask(words.join(" "));
    },
    send: async (id, toServer, toClient, seconds) =>
      void (await ask(`send ${id} ${toServer} ${toClient}${seconds === undefined ? "" : ` ${seconds}`}`)),
    shut: async (id) => void (await ask(`shut ${id}`)),
    close: async (id) => void (await ask(`close ${id}`)),
    abort: async (id) => void (await ask(`abort ${id}`)),
    closeServer: async (id) => void (await ask(`close_server ${id}`)),
    async stop() {
      await writer.close();
      await reader.cancel();
      await child.status;
    },
  };
}

/** A loopback address no earlier run has used recently, so no TIME_WAIT socket of it is left. */
export function freshLoopback(): string {
  const byte = () => 1 + Math.floor(Math.random() * 250);
  return `127.${byte()}.${byte()}.${byte()}`;
}

/** Run `work` with a new temporary directory and a socket helper; both are gone afterwards. */
export async function withTempDirAndSockets(
  work: (dir: string, control: SocketControl) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const control = socketControl();
  try {
    await control.ready;
    await work(dir, control);
  } finally {
    await control.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
