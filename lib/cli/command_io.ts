/**
 * What every command runs on: the one platform main.ts builds, and the few
 * seams through which tests stand in for a source or a remote service.
 *
 * @module
 */
import type { Collector } from "../collect/collector.ts";
import type { BlocklistFilesIo } from "../enrich/blocklist_files.ts";
import type { PtrResolver } from "../enrich/reverse_dns.ts";
import type { Platform } from "../platform/platform.ts";
import type { KernelEventsIo } from "./kernel_events.ts";

/** A command's io: the platform, and what tests may put in place of the real clients. */
export interface CommandIo extends Platform {
  /** Where sockets come from; by default the collector the options name (`--collector`, `--input`). */
  collector?: Collector;
  /** AbuseIPDB requests and list downloads instead of the platform's network (tests: a loopback server's). */
  fetch?: typeof fetch;
  /** PTR lookups instead of the platform's DNS. */
  resolver?: PtrResolver;
  /** Reads block lists and resolves their domains instead of the platform's files and DNS. */
  lists?: BlocklistFilesIo;
  /** How `--trace` and `--sniff-dns` start their tools; the default runs bpftrace, ss -E and tcpdump. */
  kernelEvents?: Pick<KernelEventsIo, "openTrace" | "startSniffer" | "startFinalCounters">;
}

/**
 * One line for stderr (a newline is added).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { warnLine } from "./command_io.ts";
 * const said: string[] = [];
 * warnLine({ stderr: (text) => void said.push(text) })("note: hello");
 * deepStrictEqual(said, ["note: hello\n"]);
 * ```
 */
export function warnLine(io: Pick<Platform, "stderr">): (line: string) => void {
  return (line) => io.stderr(line + "\n");
}
