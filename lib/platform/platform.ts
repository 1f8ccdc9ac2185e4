/**
 * What conntrail asks of the machine, in one object: the clock, the
 * environment, permissions, standard output and error, the terminal and its
 * keys, signals, the OS and process id, the programs it runs, the files it
 * reads and writes, and the network (DNS, TCP/TLS, the HTTP server). main.ts
 * builds the real one once ({@linkcode denoPlatform} in deno_platform.ts) and
 * hands it down; tests build fakes. Nothing in lib/ but deno_platform.ts names
 * `Deno` (tests/platform/no_deno_test.ts).
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";

/** The operating systems the runtime reports (`Deno.build.os`). */
export type OperatingSystem =
  | "darwin"
  | "linux"
  | "android"
  | "windows"
  | "freebsd"
  | "netbsd"
  | "aix"
  | "solaris"
  | "illumos";

/** What a program that ran to its end wrote, and how it ended. */
export interface ProgramOutput {
  code: number;
  /** The signal that killed it, or null. */
  signal: string | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** A program started with its standard output and error piped, and its input closed unless it was asked for. */
export interface RunningProgram {
  /** Its standard input, where `spawn` was asked for it (`input`); closing it is the program's end of input. */
  readonly stdin?: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
  /** Send a signal; throws when it has exited. */
  kill(signal: "SIGTERM" | "SIGKILL"): void;
}

/**
 * Running other programs. Both throw, when the program cannot start, errors
 * named `NotFound` (not installed) or `NotCapable` (not allowed to run it).
 */
export interface Programs {
  /**
   * Run to the end, input closed; an abort of `signal` kills it and rejects with the signal's reason. `env`: variables
   * added to the environment it inherits.
   */
  output(
    command: string,
    args: readonly string[],
    options: { signal?: AbortSignal; env?: Readonly<Record<string, string>> },
  ): Promise<ProgramOutput>;
  /** Start a program; with `input`, its standard input is a pipe (`RunningProgram.stdin`). */
  spawn(
    command: string,
    args: readonly string[],
    options: { env?: Readonly<Record<string, string>>; input?: boolean },
  ): RunningProgram;
}

/** What a path is. */
export interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  /** Null where the OS does not tell (Windows). */
  isFifo: boolean | null;
  isCharDevice: boolean | null;
  isBlockDevice: boolean | null;
  isSocket: boolean | null;
  size: number;
  mtime: Date | null;
}

/** An open file. */
export interface OpenFile extends Disposable {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  stat(): Promise<FileInfo>;
  syncData(): Promise<void>;
}

/** One entry of a directory. */
export interface DirectoryEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

/**
 * Files. Failures are errors named `NotFound`, `NotCapable` (no permission
 * for the run) or `PermissionDenied` (the OS refused), as the runtime names them.
 */
export interface Files {
  stat(path: string): Promise<FileInfo>;
  statSync(path: string): FileInfo;
  open(path: string, options: { read?: boolean; write?: boolean; createNew?: boolean }): Promise<OpenFile>;
  readTextFile(path: string): Promise<string>;
  readTextFileSync(path: string): string;
  writeTextFile(path: string, text: string, options: { append: boolean }): Promise<void>;
  mkdir(path: string, options: { recursive: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  readDir(path: string): AsyncIterable<DirectoryEntry>;
  readLink(path: string): Promise<string>;
  /** Standard input, read to its end as text. */
  readStdin(): Promise<string>;
  /**
   * How SQLite database files (the history) are opened. Asked for where a history is about to be opened, so
   * node:sqlite loads then: a value import of it in any module main.ts reaches is a static import of the
   * bundle, which every run loads (~3 ms of CPU and ~2 MiB of RSS, a `snapshot` that saves nothing too).
   * Awaited once, used synchronously: `SqliteStore.open` is synchronous, and opens a file twice when a
   * reader finds an old schema to upgrade.
   */
  sqliteOpener(): Promise<DatabaseOpener>;
}

/** Opens an SQLite database file as node:sqlite's `DatabaseSync` does. */
export type DatabaseOpener = (path: string, options: { readOnly: boolean }) => DatabaseSync;

/** A DNS server to ask instead of the system's. */
export interface NameServer {
  ipAddr: string;
  port?: number;
}

/** A connected byte stream (TCP or TLS). */
export interface StreamConnection {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/** A UDP socket bound to a port of its own, sending to one receiver. */
export interface DatagramSender {
  send(bytes: Uint8Array): Promise<void>;
  /** Called when the socket fails; it sends nothing after. */
  onError(listener: (error: Error) => void): void;
  close(): void;
}

/** Who sent a request to the HTTP server. */
export interface ServeInfo {
  remoteAddr: { hostname: string; port: number };
}

/** The HTTP server's request handler. */
export type ServeHandler = (request: Request, info: ServeInfo) => Response | Promise<Response>;

/** A running HTTP server. */
export interface HttpServer {
  /** The port it listens on. */
  readonly port: number;
  /** Settles when the server has stopped (its `signal` aborted). */
  readonly finished: Promise<void>;
}

/** The network. Failures are errors named as the runtime names them (`NotCapable`, `AddrInUse`, …). */
export interface Network {
  /** Records of `name`; PTR names keep their final dot. */
  resolveDns(
    name: string,
    type: "A" | "AAAA" | "PTR",
    options: { nameServer?: NameServer; signal?: AbortSignal },
  ): Promise<string[]>;
  /** A TCP connection, with keep-alive on. */
  connect(options: { hostname: string; port: number }): Promise<StreamConnection>;
  /**
   * A UDP socket sending to `hostname:port`: a name is looked up once (IPv4), an
   * IPv6 address (it has a colon) is used as it is.
   */
  openDatagram(options: { hostname: string; port: number }): Promise<DatagramSender>;
  /** A TLS connection whose handshake is done (a bad certificate fails here). */
  connectTls(options: { hostname: string; port: number; caCerts?: string[] }): Promise<StreamConnection>;
  /** HTTP requests (AbuseIPDB, list downloads). */
  fetch: typeof fetch;
  /** Serve HTTP on `hostname:port` until `signal` aborts; `onListen` gets the port once listening. */
  serve(
    options: { hostname: string; port: number; signal: AbortSignal; onListen: (port: number) => void },
    handler: ServeHandler,
  ): HttpServer;
}

/** Permissions a run is asked about, besides reading and writing paths. */
export type PermissionQuery =
  | { name: "net"; host?: string }
  | { name: "run"; command: string }
  | { name: "sys"; kind: "hostname" };

/** A terminal the dashboard draws on. */
export interface TerminalDevice {
  write(text: string): void;
  setRaw(on: boolean): void;
  size(): { columns: number; rows: number };
  /** Read typed bytes into `buffer`; null at the end of input. Absent: no keys are read. */
  read?(buffer: Uint8Array): Promise<number | null>;
}

/** Environment variables read, and those the run was not allowed to read. */
export interface EnvReading {
  values: Map<string, string>;
  denied: string[];
}

/** The machine, as conntrail uses it. */
export interface Platform {
  readonly os: OperatingSystem;
  /** `x86_64`, `aarch64`. */
  readonly arch: string;
  readonly pid: number;
  /** The runtime's versions, for `--version`. */
  readonly runtime: { deno: string; v8: string; typescript: string };
  now(): Date;
  /** Wait `ms`, or less when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** These environment variables, each only if the run may read it. */
  readEnv(names: readonly string[]): EnvReading;
  /** Whether reading `path` is permitted. */
  mayRead(path: string): boolean;
  /** Whether writing `path` is permitted. */
  mayWrite(path: string): boolean;
  /** Whether the run has this permission (only asked, never prompted). */
  may(query: PermissionQuery): boolean;
  /** This process's user id; null where there is none (Windows) or it may not be read. */
  uid(): number | null;
  /** The machine's name (needs `may({ name: "sys", kind: "hostname" })`). */
  hostname(): string;
  programs: Programs;
  files: Files;
  network: Network;
  /**
   * Write all of `text` to standard output. The Deno platform writes before returning until a live command takes
   * the signals (`onSignals`), asynchronously after: a one-shot command's output is its last work.
   */
  stdout(text: string): Promise<void>;
  stdoutIsTerminal(): boolean;
  /** Write `text` to standard error. */
  stderr(text: string): void;
  terminal: TerminalDevice;
  /** Ctrl+C and SIGTERM call `stop` (a second one exits at once), a resize `redraw`; returns the detach function. */
  onSignals(stop: () => void, redraw: () => void): () => void;
}

/**
 * The machine without the process's own streams, clock and signals: what a
 * session and its collectors, sources and sinks reach through. Commands get it
 * as part of their io; tests spread a fake or the real one into theirs.
 */
export type Machine = Pick<
  Platform,
  "os" | "arch" | "programs" | "files" | "network" | "may" | "mayRead" | "mayWrite" | "uid" | "hostname"
>;
