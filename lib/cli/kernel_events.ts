import type { DnsSniffer } from "../collect/dns_sniffer.ts";
import type { CollectorPlatform } from "../collect/collector.ts";
import { toolRunner } from "../collect/run_tool.ts";
import { toolStreamer } from "../collect/tool_stream.ts";
import type { OpenedTrace, TraceSource } from "../collect/trace_source.ts";
import { type FinalCountersSource, startFinalCounters } from "../collect/final_counters.ts";
import { switchFinalCounters } from "../collect/final_counters_switch.ts";
import { readUserNames } from "../collect/user_names.ts";
import type { DnsAnswer } from "../model/dns_answer.ts";
import type { DnsNames } from "../enrich/dns_names.ts";

/** The flags of the monitor and `serve` that read kernel events and DNS answers. */
export interface KernelEventFlags {
  /** `--trace`: connection events from the kernel between polls. */
  trace: boolean;
  /** `--sniff-dns`: the names programs asked for, from DNS answers. */
  sniffDns: boolean;
  /**
   * Each destroyed TCP socket's final counters from `ss -E` (Linux), so that the counters need not be read
   * at every poll (not a command-line flag: the monitor asks for it where no output shows a rate per poll).
   */
  finalCounters?: boolean;
  /** The time unit, seconds: the final counters are kept for the poll that reports the close. */
  timeUnit?: number;
}

/** How the sources start; tests pass scripted ones. */
export interface KernelEventsIo {
  /** The OS, and the programs bpftrace, ss -E and tcpdump run on. */
  machine: CollectorPlatform;
  /** One line for the user. */
  note: (line: string) => void;
  /** The run's stop: one while bpftrace or tcpdump starts ends them then, and nothing more is started. */
  stop?: AbortSignal;
  openTrace?: () => Promise<OpenedTrace>;
  /** Null: stopped as it started. */
  startSniffer?: (
    onAnswer: (answer: DnsAnswer, at: number) => void,
    onNote: (line: string) => void,
  ) => Promise<DnsSniffer | string | null>;
  /** Starts `ss -E` for the final counters; the default runs it through stdbuf. */
  startFinalCounters?: () => FinalCountersSource | string;
}

/** The sources a run reads besides its polls; each is null when off or unavailable. */
export interface KernelEvents {
  trace: TraceSource | null;
  /** Destroyed sockets' final counters, when asked for and `ss -E` could start. */
  finalCounters: FinalCountersSource | null;
  /** Names learnt from DNS answers. */
  names: DnsNames | null;
  /** For the tracker: the name a connection to `ip` at `at` was asked by. */
  domainOf: ((ip: string, at: number) => string | null) | undefined;
  /** Stop the tools; returns the one-line DNS summary, if the sniffer ran. */
  close(): Promise<string | null>;
}

/**
 * Start what `--trace` and `--sniff-dns` ask for. Neither is ever fatal: a
 * source that cannot run is left out with one line saying why, what the run
 * does instead, and what to add to have it. Once `stop` aborts, a source that
 * is starting is ended and none is started (the run is ending).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { openKernelEvents } from "./kernel_events.ts";
 * import { denoPlatform } from "../platform/deno_platform.ts";
 * const notes: string[] = [];
 * const events = await openKernelEvents({ trace: false, sniffDns: true }, {
 *   machine: { ...denoPlatform(), os: "linux" },
 *   note: (line) => notes.push(line),
 *   startSniffer: () => Promise.resolve("tcpdump is not installed"),
 * });
 * deepStrictEqual([events.trace, events.names, await events.close()], [null, null, null]);
 * deepStrictEqual(notes.length, 1);
 * ```
 */
export async function openKernelEvents(flags: KernelEventFlags, io: KernelEventsIo): Promise<KernelEvents> {
  // The tracer and the sniffer (and their parsers) are imported by the runs that ask for them: most runs have
  // neither, and a module evaluated at start stays in memory for the whole run.
  let trace: TraceSource | null = null;
  if (flags.trace) {
    const machine = io.machine;
    const opened = await (io.openTrace ??
      (async () =>
        (await import("../collect/trace_source.ts")).openTraceSource({
          os: machine.os,
          stream: toolStreamer(machine.programs),
          run: toolRunner(machine.programs),
          userNames: readUserNames(machine),
          ...(io.stop === undefined ? {} : { stop: io.stop }),
        })))();
    trace = opened.source;
    if (opened.note !== "") io.note(opened.note);
  }
  let finalCounters: FinalCountersSource | null = null;
  if (flags.finalCounters === true && io.machine.os === "linux" && io.stop?.aborted !== true) {
    const timeUnitMs = (flags.timeUnit ?? 1) * 1000;
    const start = io.startFinalCounters ??
      (() =>
        startFinalCounters({
          stream: toolStreamer(io.machine.programs),
          timeUnitMs,
          ...(io.stop === undefined ? {} : { stop: io.stop }),
        }));
    const started = start();
    // Not a note: without it the counters are read at every poll, as they always were. Under churn it stops
    // and starts again (switchFinalCounters).
    if (typeof started !== "string") {
      // Not the wall clock: one set back would keep ss -E off for as long, one set forward would count as calm.
      finalCounters = switchFinalCounters(started, {
        start,
        now: () => performance.now(),
        timeUnitMs,
        ...(io.stop === undefined ? {} : { stop: io.stop }),
      });
    }
  }
  let names: DnsNames | null = null;
  let sniffer: DnsSniffer | null = null;
  if (flags.sniffDns) {
    const learnt = new (await import("../enrich/dns_names.ts")).DnsNames();
    const start = io.startSniffer ??
      (async (onAnswer, onNote) =>
        io.machine.os === "linux" || io.machine.os === "darwin"
          ? (await import("../collect/dns_sniffer.ts")).startDnsSniffer({
            stream: toolStreamer(io.machine.programs),
            onAnswer,
            onNote,
            ...(io.stop === undefined ? {} : { stop: io.stop }),
          })
          : "--sniff-dns needs tcpdump (Linux or macOS)");
    // Null: stopped as it started; the run ends now, with nothing to say.
    const started = io.stop?.aborted ? null : await start((answer, at) => learnt.add(answer, at), io.note);
    if (typeof started === "string") {
      io.note(
        `note: --sniff-dns is off: ${started}; connections have no domain (run as root with --allow-run=tcpdump)`,
      );
    } else if (started !== null) {
      sniffer = started;
      names = learnt;
      io.note(
        "note: DNS answers: tcpdump on every interface (port 53); connections get the domain they asked for",
      );
    }
  }
  return {
    trace,
    finalCounters,
    names,
    domainOf: names === null ? undefined : (ip, at) => names?.lookup(ip, at)?.domain ?? null,
    close: async () => {
      await Promise.all([trace?.close(), sniffer?.close(), finalCounters?.close()]);
      if (sniffer === null) return null;
      const { answers, truncated, skipped } = sniffer.counts;
      return `DNS: ${answers} answers read (${truncated} cut short, their complete records used), ` +
        `${skipped} could not be read, ${names?.size ?? 0} addresses named`;
    },
  };
}
