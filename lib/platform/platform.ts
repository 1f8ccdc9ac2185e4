/**
 * What conntrail asks of the machine, in one object: the clock, the
 * environment, permissions, standard output and error, the terminal and its
 * keys, signals, and the OS and process id. main.ts builds the real one once
 * ({@linkcode denoPlatform} in deno_platform.ts) and hands it down; tests build
 * fakes, so code below main.ts need not touch `Deno.*` for these.
 *
 * @module
 */

/** The operating systems Deno reports. */
export type OperatingSystem = typeof Deno.build.os;

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
  readonly pid: number;
  now(): Date;
  /** Wait `ms`, or less when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** These environment variables, each only if the run may read it. */
  readEnv(names: readonly string[]): EnvReading;
  /** Whether reading `path` is permitted. */
  mayRead(path: string): boolean;
  /** Whether writing `path` is permitted. */
  mayWrite(path: string): boolean;
  /** Write all of `text` to standard output. */
  stdout(text: string): Promise<void>;
  stdoutIsTerminal(): boolean;
  /** Write `text` to standard error. */
  stderr(text: string): void;
  terminal: TerminalDevice;
  /** Ctrl+C and SIGTERM call `stop` (a second one exits at once), a resize `redraw`; returns the detach function. */
  onSignals(stop: () => void, redraw: () => void): () => void;
}
