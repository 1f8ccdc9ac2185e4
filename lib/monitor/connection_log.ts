import { joinPath as join } from "../platform/file_path.ts";
import type { DescribeAddress } from "../model/address_info.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import { fileTimestamp } from "../model/timestamp.ts";
import { type LogFormat, logHeader, logRecord } from "../render/log_records.ts";
import type { Files } from "../platform/platform.ts";
import { type UserFiles, userFiles } from "../platform/user_files.ts";

/** Options of {@linkcode ConnectionLog.open}. */
export interface ConnectionLogOptions {
  /** Where the files are written. */
  files: Files;
  directory: string;
  formats: readonly LogFormat[];
  startedAt: Date;
  describe: DescribeAddress;
  /** Buffered records are written at least this often (default 5 s) and on close. */
  flushIntervalMs?: number;
}

/** Events a log keeps: a connection appearing, closing, or raising an alert — not every poll. */
const LOGGED = new Set(["NEW", "CLOSED", "ALERT"]);
const MAX_BUFFERED = 5000;

/**
 * The session's log files, `connections_<YYYYmmdd_HHMMSS>.<format>` in the log
 * directory, one per format. Records are buffered and appended in batches.
 */
export class ConnectionLog {
  readonly paths: readonly string[];
  readonly #directory: string;
  readonly #user: UserFiles;
  readonly #formats: readonly LogFormat[];
  readonly #describe: DescribeAddress;
  readonly #flushIntervalMs: number;
  #buffers: string[][];
  #buffered = 0;
  #lastFlush = 0;
  #written = 0;

  private constructor(options: ConnectionLogOptions, paths: string[]) {
    this.paths = paths;
    this.#directory = options.directory;
    this.#user = userFiles(options.files);
    this.#formats = options.formats;
    this.#describe = options.describe;
    this.#flushIntervalMs = options.flushIntervalMs ?? 5000;
    this.#buffers = options.formats.map(() => []);
  }

  /** Create the directory and the session's files (with their headers). */
  static async open(options: ConnectionLogOptions): Promise<ConnectionLog> {
    const user = userFiles(options.files);
    await user.makeUserDirectory(options.directory);
    const stamp = fileTimestamp(options.startedAt);
    const formats = [...new Set(options.formats)];
    const paths = formats.map((format) => join(options.directory, `connections_${stamp}.${format}`));
    for (const [i, format] of formats.entries()) {
      await user.writeUserFile(paths[i] ?? "", logHeader(format), {
        append: true,
        flagPath: options.directory,
      });
    }
    return new ConnectionLog({ ...options, formats }, paths);
  }

  /** Records written to disk so far (per format). */
  get written(): number {
    return this.#written;
  }

  /** Buffer the events a log keeps. */
  record(events: readonly ConnectionEvent[]): void {
    for (const event of events) {
      if (!LOGGED.has(event.event)) continue;
      const c = event.connection;
      const info = this.#describe(c.remote_ip ?? c.local_ip);
      this.#formats.forEach((format, i) => this.#buffers[i]?.push(logRecord(event, info, format)));
      this.#buffered++;
    }
  }

  /** Write the buffer when the interval has passed or it has grown large. */
  async maybeFlush(nowMs: number): Promise<void> {
    if (this.#buffered >= MAX_BUFFERED || nowMs - this.#lastFlush >= this.#flushIntervalMs) {
      this.#lastFlush = nowMs;
      await this.flush();
    }
  }

  /** Append everything buffered to the files. */
  async flush(): Promise<void> {
    if (this.#buffered === 0) return;
    const buffers = this.#buffers;
    const count = this.#buffered;
    this.#buffers = this.#formats.map(() => []);
    this.#buffered = 0;
    for (const [i, lines] of buffers.entries()) {
      await this.#user.writeUserFile(this.paths[i] ?? "", lines.join(""), {
        append: true,
        flagPath: this.#directory,
      });
    }
    this.#written += count;
  }
}
