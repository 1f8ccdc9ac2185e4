/**
 * The real {@linkcode Platform}: Deno's clock, environment, permissions,
 * standard streams, terminal, signals, programs, files and network. Only
 * main.ts builds it; it is the one file of lib/ that names `Deno`.
 *
 * @module
 */
import { abortableSleep } from "../model/abortable_sleep.ts";
import type {
  DatagramSender,
  DirectoryEntry,
  EnvReading,
  FileInfo,
  Files,
  HttpServer,
  Network,
  OpenFile,
  Platform,
  Programs,
  RunningProgram,
  StreamConnection,
  TerminalDevice,
} from "./platform.ts";
import { usePathsOf } from "./file_path.ts";

const encoder = new TextEncoder();

/**
 * Read environment variables without ever prompting: a variable Deno does not
 * allow reads as unset and is listed in `denied`.
 */
export function readEnv(names: readonly string[]): EnvReading {
  const values = new Map<string, string>();
  const denied: string[] = [];
  for (const name of names) {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      denied.push(name);
      continue;
    }
    const value = Deno.env.get(name);
    if (value !== undefined) values.set(name, value);
  }
  return { values, denied };
}

/**
 * Whether a live command (monitor, serve) has taken the signals ({@linkcode onSignals}): from then on stdout is
 * written asynchronously, so that a reader that stops reading holds up the output alone, never the keys, the
 * signals and the polls.
 */
let liveCommand = false;

/** The buffer text for stdout is encoded into, write after write: a text of up to 256 kB of UTF-8. */
const stdoutBuffer = new Uint8Array(256 * 1024);

async function writeStdout(text: string): Promise<void> {
  if (!liveCommand) {
    writeStdoutNow(text);
    return;
  }
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}

/**
 * Write `text` before returning: a one-shot command's output (a snapshot's chunks, 126 of 80 kB at 25,000 rows)
 * is its last work, which nothing runs beside. Each asynchronous write was a job for Deno's thread pool and a
 * wake-up (~10 ms of CPU in all at 25,000 rows), each encoding a fresh buffer.
 */
function writeStdoutNow(text: string): void {
  const bytes = text.length * 3 <= stdoutBuffer.length
    ? stdoutBuffer.subarray(0, encoder.encodeInto(text, stdoutBuffer).written)
    : encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

/** The process's own terminal: stdout for frames, stdin for raw mode and keys. */
export const processTerminal: TerminalDevice = {
  write(text) {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
  },
  setRaw(on) {
    if (Deno.stdin.isTerminal()) Deno.stdin.setRaw(on, { cbreak: false });
  },
  size() {
    try {
      return Deno.consoleSize();
    } catch {
      return { columns: 80, rows: 24 };
    }
  },
  read(buffer) {
    return Deno.stdin.read(buffer);
  },
};

/** The programs this process started that have not ended: an exit at once (a second Ctrl+C) kills them first. */
const running = new Set<Deno.ChildProcess>();

/**
 * Aborted by an exit at once: every program run for its output is given this signal, which ends it (SIGTERM).
 * Those are not spawned and kept as `running` children: `Deno.Command.output()` reads their output natively,
 * where a spawned child's `output()` goes through streams (about 2.5 MiB more peak RSS at 1,000 connections).
 */
const exitingNow = new AbortController();

function started(child: Deno.ChildProcess): Deno.ChildProcess {
  running.add(child);
  child.status.finally(() => running.delete(child)).catch(() => {});
  return child;
}

/**
 * Kill every program this process started that is still running: SIGKILL for the spawned ones (bpftrace,
 * tcpdump, ss -E, a dump), SIGTERM for those run for their output (ss, find, ps). There is no waiting for them.
 */
function killPrograms(): void {
  exitingNow.abort();
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // It has exited already.
    }
  }
}

const programs: Programs = {
  async output(command, args, options) {
    const output = await new Deno.Command(command, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(options.env === undefined ? {} : { env: options.env }),
      signal: options.signal === undefined
        ? exitingNow.signal
        : AbortSignal.any([options.signal, exitingNow.signal]),
    }).output();
    return { code: output.code, signal: output.signal, stdout: output.stdout, stderr: output.stderr };
  },
  spawn(command, args, options): RunningProgram {
    const child = started(
      new Deno.Command(command, {
        args: [...args],
        stdin: options.input ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
        ...(options.env === undefined ? {} : { env: options.env }),
      }).spawn(),
    );
    return {
      ...(options.input ? { stdin: child.stdin } : {}),
      stdout: child.stdout,
      stderr: child.stderr,
      status: child.status.then((status) => ({ code: status.code, signal: status.signal })),
      kill: (signal) => child.kill(signal),
    };
  },
};

function fileInfo(info: Deno.FileInfo): FileInfo {
  return {
    isFile: info.isFile,
    isDirectory: info.isDirectory,
    isSymlink: info.isSymlink,
    isFifo: info.isFifo,
    isCharDevice: info.isCharDevice,
    isBlockDevice: info.isBlockDevice,
    isSocket: info.isSocket,
    size: info.size,
    mtime: info.mtime,
  };
}

const files: Files = {
  stat: async (path) => fileInfo(await Deno.stat(path)),
  statSync: (path) => fileInfo(Deno.statSync(path)),
  async open(path, options): Promise<OpenFile> {
    const file = await Deno.open(path, options);
    return {
      read: (buffer) => file.read(buffer),
      write: (bytes) => file.write(bytes),
      stat: async () => fileInfo(await file.stat()),
      syncData: () => file.syncData(),
      [Symbol.dispose]: () => file.close(),
    };
  },
  readTextFile: (path) => Deno.readTextFile(path),
  readTextFileSync: (path) => Deno.readTextFileSync(path),
  writeTextFile: (path, text, options) => Deno.writeTextFile(path, text, options),
  mkdir: (path, options) => Deno.mkdir(path, options),
  rename: (from, to) => Deno.rename(from, to),
  remove: (path) => Deno.remove(path),
  readDir: (path): AsyncIterable<DirectoryEntry> => Deno.readDir(path),
  readLink: (path) => Deno.readLink(path),
  readStdin: () => new Response(Deno.stdin.readable).text(),
  sqliteOpener: async () => {
    const { DatabaseSync } = await import("node:sqlite");
    return (path, options) => new DatabaseSync(path, options);
  },
};

function streamConnection(conn: Deno.Conn): StreamConnection {
  return {
    read: (buffer) => conn.read(buffer),
    write: (bytes) => conn.write(bytes),
    close: () => conn.close(),
  };
}

/**
 * UDP through `node:dgram` (Deno's own datagram API is still unstable). The
 * receiver's name is resolved once: a lookup per message would be a DNS query per event.
 * node:dgram and node:dns are part of Deno's Node layer (~+3 MiB of RSS at import): they load
 * only for a run that sends syslog over UDP (a literal `import()`, so `deno compile` embeds them).
 */
async function openDatagram(options: { hostname: string; port: number }): Promise<DatagramSender> {
  const address = options.hostname.includes(":")
    ? { address: options.hostname, family: 6 }
    : await (await import("node:dns/promises")).lookup(options.hostname, 4);
  const { default: dgram } = await import("node:dgram");
  const socket = dgram.createSocket(address.family === 6 ? "udp6" : "udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, address.family === 6 ? "::" : "0.0.0.0", () => {
      socket.off("error", reject);
      resolve();
    });
  });
  return {
    send: (bytes) =>
      new Promise((resolve, reject) =>
        socket.send(bytes, options.port, address.address, (error) => (error ? reject(error) : resolve()))
      ),
    onError: (listener) => void socket.on("error", listener),
    close: () => socket.close(),
  };
}

const network: Network = {
  openDatagram,
  fetch: (input, init) => fetch(input, init),
  resolveDns: (name, type, options) => Deno.resolveDns(name, type, options),
  async connect(options) {
    const tcp = await Deno.connect(options);
    tcp.setKeepAlive(true);
    return streamConnection(tcp);
  },
  async connectTls(options) {
    const tls = await Deno.connectTls(options);
    try {
      await tls.handshake();
    } catch (error) {
      tls.close();
      throw error;
    }
    return streamConnection(tls);
  },
  serve(options, handler): HttpServer {
    const server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      signal: options.signal,
      onListen: (addr) => options.onListen(addr.port),
    }, handler);
    return {
      port: server.addr.transport === "tcp" ? server.addr.port : options.port,
      finished: server.finished,
    };
  },
};

/** This process's user id, or null (Windows, or no `--allow-sys=uid`). */
function uid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null;
  }
}

/**
 * Ctrl+C and SIGTERM end the run cleanly (exports and logs written); a second
 * one exits at once (130), killing the programs the run started first: a last
 * poll's `ss` or `find`, bpftrace or tcpdump still stopping are not left behind.
 * A resize redraws the dashboard. Returns the detach function.
 */
function onSignals(stop: () => void, redraw: () => void): () => void {
  liveCommand = true;
  const attached: [Deno.Signal, () => void][] = [];
  let stopping = false;
  const onStop = () => {
    if (stopping) {
      killPrograms();
      Deno.exit(130);
    }
    stopping = true;
    stop();
  };
  const signals: [Deno.Signal, () => void][] = Deno.build.os === "windows"
    ? [["SIGINT", onStop], ["SIGBREAK", onStop]]
    : [["SIGINT", onStop], ["SIGTERM", onStop], ["SIGWINCH", redraw]];
  for (const [signal, handler] of signals) {
    try {
      Deno.addSignalListener(signal, handler);
      attached.push([signal, handler]);
    } catch {
      // A platform without this signal: nothing to listen to.
    }
  }
  return () => {
    for (const [signal, handler] of attached) Deno.removeSignalListener(signal, handler);
  };
}

/**
 * The machine this process runs on.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { denoPlatform } from "./deno_platform.ts";
 * const platform = denoPlatform();
 * ok(platform.pid === Deno.pid && platform.os === Deno.build.os);
 * ```
 */
export function denoPlatform(): Platform {
  usePathsOf(Deno.build.os);
  return {
    os: Deno.build.os,
    arch: Deno.build.arch,
    pid: Deno.pid,
    runtime: { deno: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript },
    now: () => new Date(),
    sleep: abortableSleep,
    readEnv,
    mayRead: (path) => Deno.permissions.querySync({ name: "read", path }).state === "granted",
    mayWrite: (path) => Deno.permissions.querySync({ name: "write", path }).state === "granted",
    may: (query) => Deno.permissions.querySync(query).state === "granted",
    uid,
    hostname: () => Deno.hostname(),
    programs,
    files,
    network,
    stdout: writeStdout,
    stdoutIsTerminal: () => Deno.stdout.isTerminal(),
    stderr: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
    terminal: processTerminal,
    onSignals,
  };
}
