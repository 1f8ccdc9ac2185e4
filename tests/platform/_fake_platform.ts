/**
 * A whole {@linkcode Platform} with nothing real behind it: programs answer
 * from a script, files live in a map, DNS answers from a table, and every
 * write to stdout and stderr is kept. Commands run on it end to end.
 */
import { dirname } from "node:path";
import type {
  DirectoryEntry,
  FileInfo,
  Files,
  Network,
  OpenFile,
  Platform,
  ProgramOutput,
  Programs,
} from "../../lib/platform/platform.ts";

/** An error named as the runtime names its own, which lib tells apart by name. */
function systemError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a fake platform was told and what it did. */
export interface FakePlatform extends Platform {
  /** Files by path (text). */
  readonly fileTexts: Map<string, string>;
  /** Every program run, as `command arg…`. */
  readonly ran: string[];
  stdoutText(): string;
  stderrText(): string;
}

/** Options of {@linkcode fakePlatform}. */
export interface FakePlatformOptions {
  /** Output by command line (`ss -tunapeH`); a command with none is "not installed". */
  programs?: Record<string, string>;
  files?: Record<string, string>;
  /** Answers by `TYPE name` (`PTR 7.113.0.203.in-addr.arpa.`, `A bad.example`). */
  dns?: Record<string, string[]>;
  env?: Record<string, string>;
  now?: Date;
}

function fileInfo(isFile: boolean, size: number): FileInfo {
  return {
    isFile,
    isDirectory: !isFile,
    isSymlink: false,
    isFifo: false,
    isCharDevice: false,
    isBlockDevice: false,
    isSocket: false,
    size,
    mtime: new Date(0),
  };
}

function fakeFiles(texts: Map<string, string>): Files {
  const directories = new Set<string>(["/"]);
  const isDirectory = (path: string) =>
    directories.has(path) || [...texts.keys()].some((file) => file.startsWith(path.replace(/\/?$/, "/")));
  const stat = (path: string): FileInfo => {
    const text = texts.get(path);
    if (text !== undefined) return fileInfo(true, encoder.encode(text).length);
    if (isDirectory(path)) return fileInfo(false, 0);
    throw systemError("NotFound", `no such file: ${path}`);
  };
  const read = (path: string): string => {
    const text = texts.get(path);
    if (text === undefined) throw systemError("NotFound", `no such file: ${path}`);
    return text;
  };
  return {
    stat: (path) => Promise.resolve().then(() => stat(path)),
    statSync: stat,
    open(path, options): Promise<OpenFile> {
      if (options.createNew && texts.has(path)) return Promise.reject(systemError("AlreadyExists", path));
      if (!options.write) read(path);
      let bytes = options.write ? new Uint8Array() : encoder.encode(read(path));
      let offset = 0;
      const file: OpenFile = {
        read(buffer) {
          if (offset >= bytes.length) return Promise.resolve(null);
          const n = Math.min(buffer.length, bytes.length - offset);
          buffer.set(bytes.subarray(offset, offset + n));
          offset += n;
          return Promise.resolve(n);
        },
        write(chunk) {
          const grown = new Uint8Array(bytes.length + chunk.length);
          grown.set(bytes);
          grown.set(chunk, bytes.length);
          bytes = grown;
          texts.set(path, decoder.decode(bytes));
          return Promise.resolve(chunk.length);
        },
        stat: () => Promise.resolve(fileInfo(true, bytes.length)),
        syncData: () => Promise.resolve(),
        [Symbol.dispose]: () => {},
      };
      if (options.write) texts.set(path, "");
      return Promise.resolve(file);
    },
    readTextFile: (path) => Promise.resolve().then(() => read(path)),
    readTextFileSync: read,
    writeTextFile(path, text, options) {
      if (!isDirectory(dirname(path))) return Promise.reject(systemError("NotFound", dirname(path)));
      texts.set(path, (options.append ? texts.get(path) ?? "" : "") + text);
      return Promise.resolve();
    },
    mkdir(path) {
      for (let dir = path; dir !== "/" && dir !== "."; dir = dirname(dir)) directories.add(dir);
      return Promise.resolve();
    },
    rename(from, to) {
      texts.set(to, read(from));
      texts.delete(from);
      return Promise.resolve();
    },
    remove(path) {
      texts.delete(path);
      return Promise.resolve();
    },
    async *readDir(path): AsyncIterable<DirectoryEntry> {
      const prefix = path.replace(/\/?$/, "/");
      for (const file of texts.keys()) {
        const rest = file.slice(prefix.length);
        if (file.startsWith(prefix) && !rest.includes("/")) {
          yield { name: rest, isFile: true, isDirectory: false, isSymlink: false };
        }
      }
    },
    readLink: (path) => Promise.reject(systemError("NotFound", path)),
    readStdin: () => Promise.resolve(""),
    sqliteOpener: () => Promise.reject(systemError("NotCapable", "no SQLite here: use --store json")),
  };
}

function fakePrograms(script: Record<string, string>, ran: string[]): Programs {
  return {
    output(command, args): Promise<ProgramOutput> {
      const line = [command, ...args].join(" ");
      ran.push(line);
      const stdout = script[line];
      if (stdout === undefined) return Promise.reject(systemError("NotFound", `${command}: not installed`));
      return Promise.resolve({
        code: 0,
        signal: null,
        stdout: encoder.encode(stdout),
        stderr: new Uint8Array(),
      });
    },
    spawn(command, args) {
      // The same script as output(), its stdout as a stream (the ss collector reads ss's text as it comes).
      const line = [command, ...args].join(" ");
      ran.push(line);
      const stdout = script[line];
      if (stdout === undefined) throw systemError("NotFound", `${command}: not installed`);
      const stream = (bytes: Uint8Array) =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            if (bytes.length > 0) controller.enqueue(bytes);
            controller.close();
          },
        });
      return {
        stdout: stream(encoder.encode(stdout)),
        stderr: stream(new Uint8Array()),
        status: Promise.resolve({ code: 0, signal: null }),
        kill() {
          throw new Error("it has exited");
        },
      };
    },
  };
}

function fakeNetwork(dns: Record<string, string[]>): Network {
  return {
    fetch: () => Promise.reject(systemError("NotCapable", "no network here")),
    resolveDns(name, type) {
      return Promise.resolve(dns[`${type} ${name}`] ?? []);
    },
    connect: () => Promise.reject(systemError("NotCapable", "no network here")),
    openDatagram: () => Promise.reject(systemError("NotCapable", "no network here")),
    connectTls: () => Promise.reject(systemError("NotCapable", "no network here")),
    serve: () => {
      throw systemError("NotCapable", "no network here");
    },
  };
}

/**
 * A platform of fakes: Linux, uid 1000, every permission granted, a clock
 * that moves only when the program sleeps.
 */
export function fakePlatform(options: FakePlatformOptions = {}): FakePlatform {
  const fileTexts = new Map(Object.entries(options.files ?? {}));
  const ran: string[] = [];
  const out: string[] = [];
  const err: string[] = [];
  let now = (options.now ?? new Date(Date.UTC(2026, 10, 21, 14, 30, 0))).getTime();
  const env = new Map(Object.entries(options.env ?? {}));
  return {
    os: "linux",
    arch: "x86_64",
    pid: 4242,
    runtime: { deno: "0.0.0-fake", v8: "0.0-fake", typescript: "0.0-fake" },
    now: () => new Date(now),
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    readEnv: (names) => ({
      values: new Map(names.flatMap((name) => env.has(name) ? [[name, env.get(name)!]] : [])),
      denied: [],
    }),
    mayRead: () => true,
    mayWrite: () => true,
    may: () => true,
    uid: () => 1000,
    hostname: () => "fakehost",
    programs: fakePrograms(options.programs ?? {}, ran),
    files: fakeFiles(fileTexts),
    network: fakeNetwork(options.dns ?? {}),
    stdout: (text) => {
      out.push(text);
      return Promise.resolve();
    },
    stdoutIsTerminal: () => false,
    stderr: (text) => void err.push(text),
    terminal: { write: () => {}, setRaw: () => {}, size: () => ({ columns: 80, rows: 24 }) },
    onSignals: () => () => {},
    fileTexts,
    ran,
    stdoutText: () => out.join(""),
    stderrText: () => err.join(""),
  };
}
