import type { CollectorName } from "../collect/collector.ts";
import { type CommandIo, warnLine } from "./command_io.ts";
import { collectorOf } from "./command_collector.ts";
import { captureFilters, type FilterSyntax } from "../model/capture_filter.ts";
import { filterConnections } from "../model/connection_filter.ts";
import { toConnections } from "../model/direction.ts";
import { LINGERING_STATUSES } from "../model/status.ts";
import { isoWithOffset } from "../model/timestamp.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import { skippedSummary } from "./skipped_summary.ts";

/** Options of `conntrail filter`. */
export interface FilterOptions {
  pid?: number;
  process?: string;
  remote?: string;
  port?: number;
  syntax: FilterSyntax;
  /** False leaves out listening and unconnected sockets. */
  listening: boolean;
  collector: CollectorName;
  input?: string;
}

/**
 * Clauses beyond which Linux refuses the compiled filter (BPF_MAXINSNS is 4096; a host-and-port clause
 * compiles to about 15 instructions) and tcpdump falls back to filtering in user space, which is slower.
 */
const LONG_FILTER_CLAUSES = 250;

function selectors(options: FilterOptions): string {
  const named = [
    options.pid === undefined ? null : `--pid ${options.pid}`,
    options.process === undefined ? null : `--process "${options.process}"`,
    options.remote === undefined ? null : `--remote ${options.remote}`,
    options.port === undefined ? null : `--port ${options.port}`,
  ].filter((s) => s !== null);
  return named.length === 0 ? "" : ` matches ${named.join(" ")}`;
}

/**
 * `conntrail filter`: read the sockets once, keep the selected ones, and
 * print a tcpdump (BPF) filter, a Wireshark display filter, or both. With one
 * syntax the output is the bare filter, for `tcpdump -i any "$(conntrail filter
 * --syntax bpf --pid 42)"`. No matching connection is a failure (exit 1).
 */
export async function runFilter(options: FilterOptions, io: CommandIo): Promise<number> {
  const warn = warnLine(io);
  const result = await collectorOf(options, io).collect();
  for (const note of result.notes) warn(`note: ${safeTerminalText(note)}`);
  const skipped = skippedSummary(result.skipped);
  if (skipped !== null) warn(`note: ${skipped}`);
  // TIME_WAIT and the like carry no more traffic: a capture has nothing to catch there.
  const live = toConnections(result.sockets, isoWithOffset(io.now())).filter((c) =>
    !LINGERING_STATUSES.has(c.status)
  );
  const connections = filterConnections(live, {
    pid: options.pid,
    process: options.process,
    remote: options.remote,
    port: options.port,
    listening: options.listening,
  });
  const filters = captureFilters(connections);
  if (filters.skipped > 0) {
    warn(`note: ${filters.skipped} connections have an address no filter can name; they are left out`);
  }
  if (filters.clauses === 0) {
    warn(`error: no live connection${safeTerminalText(selectors(options))}`);
    return 1;
  }
  if (filters.clauses > LONG_FILTER_CLAUSES) {
    warn(
      `note: ${filters.clauses} peers and ports: the kernel refuses a filter this long and tcpdump filters in user space (slower); narrow it with --pid, --process, --remote or --port`,
    );
  }
  switch (options.syntax) {
    case "bpf":
      await io.stdout(filters.bpf + "\n");
      break;
    case "wireshark":
      await io.stdout(filters.wireshark + "\n");
      break;
    case "both":
      await io.stdout(
        `# tcpdump (BPF), ${connections.length} connections: tcpdump -i any '<filter>'\n${filters.bpf}\n` +
          `# Wireshark display filter\n${filters.wireshark}\n`,
      );
      break;
  }
  return 0;
}
