/**
 * `--sniff-dns`: DNS answers as they cross any interface, read from tcpdump,
 * so that each answered address can be named with what the program asked.
 *
 * @module
 */
import { PermissionError, ToolError } from "../model/errors.ts";
import type { DnsAnswer } from "../model/dns_answer.ts";
import { parseDnsLine } from "../parse/tcpdump_dns.ts";
import type { StreamTool, ToolStream } from "./tool_stream.ts";
import { startRace } from "./start_race.ts";
import { isRunStop } from "./group_stop.ts";

/**
 * tcpdump's arguments: every interface (loopback resolvers such as
 * systemd-resolved's 127.0.0.53 included), numeric, stdout line-buffered
 * (`-l`), packets handed over at once (`--immediate-mode`), `-vvv` for the
 * answers' TTLs, and only what DNS servers send (`src port 53`, UDP and TCP).
 */
export const TCPDUMP_ARGS = ["-i", "any", "-n", "-l", "-vvv", "--immediate-mode", "src port 53"] as const;

/** A running sniffer. */
export interface DnsSniffer {
  /**
   * Answers read (`truncated`: of them, those cut short, whose complete
   * records were used), and answers that could not be read at all (DNS over
   * TCP split across segments, names with spaces or commas, cuts before the
   * first record).
   */
  readonly counts: { answers: number; truncated: number; skipped: number };
  close(): Promise<void>;
}

/** Options of {@linkcode startDnsSniffer}. */
export interface DnsSnifferOptions {
  onAnswer: (answer: DnsAnswer, at: number) => void;
  /** One line for the user: the first answer that could not be read, tcpdump stopping. */
  onNote: (line: string) => void;
  stream: StreamTool;
  now?: () => number;
  /** How long tcpdump may take to start listening. Default 20 s. */
  readyTimeoutMs?: number;
  /** The run's stop: one while tcpdump starts ends it then. */
  stop?: AbortSignal;
}

function failure(errors: readonly string[], code: number | null): string {
  const line = errors.find((l) => /^tcpdump: /.test(l) && !/listening on|data link type/.test(l)) ??
    errors[0];
  if (line === undefined) return `tcpdump exited with code ${code ?? "?"}`;
  if (/permission|Operation not permitted/i.test(line)) {
    return `${line.replace(/^tcpdump: /, "tcpdump: ")} (run as root)`;
  }
  return line;
}

/**
 * Start tcpdump and hand every DNS answer it reads to `onAnswer`, waiting
 * until it listens. Returns the running sniffer, or the reason it could not
 * start (not installed, not allowed, not root) in one line, or null when `stop`
 * aborted first (tcpdump is ended then).
 *
 * @example
 * ```ts ignore
 * const stream = toolStreamer(platform.programs);
 * const sniffer = await startDnsSniffer({ stream, onAnswer: (answer) => console.log(answer.question) });
 * if (typeof sniffer === "object" && sniffer !== null) await sniffer.close();
 * ```
 */
export async function startDnsSniffer(options: DnsSnifferOptions): Promise<DnsSniffer | string | null> {
  if (options.stop?.aborted) return null;
  const stream = options.stream;
  const now = options.now ?? Date.now;
  const counts = { answers: 0, truncated: 0, skipped: 0 };
  const errors: string[] = [];
  let listening: (() => void) | null = null;
  const started = new Promise<void>((resolve) => (listening = resolve));
  let tool: ToolStream;
  try {
    tool = stream("tcpdump", [...TCPDUMP_ARGS], {
      onLine: (line) => {
        const parsed = parseDnsLine(line);
        if (parsed.kind === "answer") {
          counts.answers++;
          if (parsed.answer.truncated) counts.truncated++;
          options.onAnswer(parsed.answer, now());
        } else if (parsed.kind === "skipped") {
          if (counts.skipped++ === 0) {
            options.onNote(
              `note: a DNS answer could not be read and was skipped (${parsed.reason}); ` +
                "the count is in the summary",
            );
          }
        }
      },
      onErrorLine: (line) => {
        if (/listening on /.test(line)) listening?.();
        else if (errors.length < 20) errors.push(line);
      },
    });
  } catch (error) {
    if (error instanceof PermissionError) return `conntrail may not run tcpdump (add ${error.flag})`;
    if (error instanceof ToolError && error.notFound) {
      return "tcpdump is not installed (Debian/Ubuntu: apt-get install tcpdump)";
    }
    return error instanceof Error ? error.message : String(error);
  }
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  const outcome = await startRace(started, tool.exited, {
    timeoutMs,
    ...(options.stop ? { stop: options.stop } : {}),
  });
  if (outcome !== "ready") {
    await tool.close();
    if (outcome === "stopped") return null;
    return outcome === "timeout"
      ? `tcpdump did not start within ${timeoutMs / 1000} s`
      : failure(errors, outcome.code);
  }
  let closing = false;
  tool.exited.then(async (exit) => {
    // Ended by the signal that stops the run (Ctrl+C, `timeout`: the whole process group): nothing to say.
    const runStop = await isRunStop(exit, options.stop);
    if (!closing && !runStop) {
      options.onNote(
        `warning: tcpdump stopped (${failure(errors, exit.code)}); DNS names are no longer learnt`,
      );
    }
  });
  return {
    counts,
    close: () => {
      closing = true;
      return tool.close();
    },
  };
}
