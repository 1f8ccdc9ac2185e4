import { isPermissionDenied, PermissionError, ToolError } from "../model/errors.ts";
import type { Family } from "../model/connection.ts";
import { parseLsof } from "../parse/lsof.ts";
import { parseLsofTable } from "../parse/lsof_table.ts";
import { parseNetstat } from "../parse/netstat.ts";
import type { ParseResult } from "../parse/parse_result.ts";
import { parseProcNet } from "../parse/proc_net.ts";
import { parseSs } from "../parse/ss.ts";
import type { Collector, CollectorName } from "./collector.ts";
import type { Files } from "../platform/platform.ts";

/** Read a saved /proc/net table; the protocol comes from the file name, the family from the addresses. */
function parseProcNetCapture(text: string, fileName: string): ParseResult {
  const family: Family = /^\s*\d+:\s+[0-9A-Fa-f]{32}:/m.test(text) ? 6 : 4;
  return parseProcNet(text, { protocol: /udp/i.test(fileName) ? "UDP" : "TCP", family });
}

function parseLsofCapture(text: string): ParseResult {
  return /^p\d+\s*$/m.test(text) ? parseLsof(text) : parseLsofTable(text);
}

/** Which collector's output a capture looks like, for `--input` with `--collector auto`. */
export function detectCaptureFormat(text: string): Exclude<CollectorName, "auto"> {
  const head = text.slice(0, 4096);
  if (/^p\d+\s*$/m.test(head) || /^COMMAND\s+PID\s/m.test(head)) return "lsof";
  if (/^\s*sl\s+local_address/m.test(head)) return "proc";
  if (/^(Netid|State)\s+/m.test(head) || /^(tcp|udp)\s+[A-Z-]+\s+\d+\s+\d+\s/m.test(head)) return "ss";
  // `ss -t` alone prints no Netid column: rows start with ss's own state words (ESTAB, TIME-WAIT, UNCONN).
  if (
    /^(ESTAB|UNCONN|TIME-WAIT|SYN-SENT|SYN-RECV|FIN-WAIT-[12]|CLOSE-WAIT|LAST-ACK)\s+\d+\s+\d+\s/m.test(head)
  ) {
    return "ss";
  }
  return "netstat";
}

/**
 * A collector that parses saved output of `ss`, `netstat` (Linux, macOS or
 * Windows), `lsof` (`-F` or columns) or a `/proc/net` table instead of running
 * anything: for captures from other machines, and for tests. `-` reads stdin.
 * With `traffic`, the byte counters of `ss -i` and macOS 26 `netstat -anv`
 * captures are read; every other socket's are `null`.
 */
export function createInputCollector(
  path: string,
  options: { collector: CollectorName; files: Pick<Files, "readTextFile" | "readStdin">; traffic?: boolean },
): Collector {
  const { collector, files, traffic = false } = options;
  let name: string = collector;
  return {
    get name() {
      return name;
    },
    async collect() {
      let text: string;
      try {
        text = path === "-" ? await files.readStdin() : await files.readTextFile(path);
      } catch (error) {
        if (isPermissionDenied(error)) {
          throw new PermissionError(
            `cannot read "${path}"; run with --allow-read=${path}`,
            `--allow-read=${path}`,
            {
              cause: error,
            },
          );
        }
        throw new ToolError(`cannot read "${path}": ${(error as Error).message}`, { cause: error });
      }
      const format = collector === "auto" ? detectCaptureFormat(text) : collector;
      name = format;
      let parsed: ParseResult;
      try {
        if (format === "ss") parsed = parseSs(text, { traffic });
        else if (format === "proc") parsed = parseProcNetCapture(text, path);
        else if (format === "lsof") parsed = parseLsofCapture(text);
        else parsed = parseNetstat(text, { traffic });
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        throw new ToolError(`cannot read "${path}" as ${format} output: ${error.message}`, { cause: error });
      }
      if (traffic) {
        for (const socket of parsed.sockets) {
          socket.bytes_sent ??= null;
          socket.bytes_received ??= null;
        }
      }
      return { sockets: parsed.sockets, skipped: parsed.skipped, notes: parsed.notes ?? [] };
    },
  };
}
