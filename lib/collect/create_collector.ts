import type { OperatingSystem } from "../platform/platform.ts";
import { ToolError } from "../model/errors.ts";
import type {
  Collector,
  CollectorName,
  CollectorPlatform,
  CollectRequest,
  CollectResult,
  OwnerHint,
} from "./collector.ts";
import type { RunTool } from "./run_tool.ts";
import { createSsCollector } from "./ss_collector.ts";
import { withoutCounters } from "./without_counters.ts";

/** The collectors `--collector auto` tries on each OS, in order. */
export function autoCollectorOrder(os: OperatingSystem): Exclude<CollectorName, "auto">[] {
  if (os === "linux") return ["ss", "netstat"];
  if (os === "darwin") return ["lsof", "netstat"];
  return ["netstat"];
}

/** Options of {@linkcode createCollector}. */
export interface CreateCollectorOptions {
  /** Parse this saved output (or `-` for stdin) instead of reading the system. */
  input?: string;
  /** The OS, programs, files and user id the collectors use. */
  platform: CollectorPlatform;
  run?: RunTool;
  /** `--traffic`: read each TCP connection's byte counters where the collector can. */
  traffic?: boolean;
  /** The ss collector's `ownerWalkSpacing` (see `SsCollectorOptions`). */
  ownerWalkSpacing?: number;
  /** The ss collector's `ownerWaitMs` (see `SsCollectorOptions`). */
  ownerWaitMs?: number;
  /** The collector is read once (`snapshot`): the ss collector then keeps nothing for a next reading. */
  once?: boolean;
  /** False when no one looks at `process_path`: the ss collector then runs no `find` (default true). */
  processPaths?: boolean;
  /** The ss collector's `ownWalk` (see `SsCollectorOptions`). */
  ownWalk?: boolean;
  /** The ss collector's `dump` (see `SsCollectorOptions`). */
  dump?: boolean;
}

/** Why a collector reads no byte counters on an OS, and what would. */
export function missingCountersNote(
  name: Exclude<CollectorName, "auto">,
  os: OperatingSystem,
): string | null {
  if (name === "ss" || (name === "netstat" && os === "darwin")) return null;
  if (os === "windows") {
    return "Windows keeps no per-connection byte counters that netstat or Get-NetTCPConnection show";
  }
  if (os === "darwin") return `${name} has none; \`--collector netstat\` reads them on macOS 26 and later`;
  return `${name} has none; the ss collector reads them (\`--collector ss\`)`;
}

/**
 * A collector whose module is imported on its first reading: a run loads only the collector it uses (the
 * netstat one brings a CSV parser for Windows, `--input` every parser), which a one-shot `snapshot` pays for
 * in start-up time and memory.
 */
function lazyCollector(name: string, load: () => Promise<Collector>): Collector {
  let loaded: Collector | null = null;
  let loading: Promise<Collector> | null = null;
  return {
    get name() {
      return loaded?.name ?? name;
    },
    async collect(request?: CollectRequest): Promise<CollectResult> {
      loading ??= load();
      loaded ??= await loading;
      return await loaded.collect(request);
    },
    async close() {
      await loaded?.close?.();
    },
  };
}

function createNamed(name: Exclude<CollectorName, "auto">, options: CreateCollectorOptions): Collector {
  const traffic = options.traffic ?? false;
  const platform = options.platform;
  const run = options.run;
  const deps = run === undefined ? { platform, traffic } : { platform, run, traffic };
  const note = traffic ? missingCountersNote(name, platform.os) : null;
  let collector: Collector;
  switch (name) {
    case "ss":
      collector = createSsCollector({
        ...deps,
        ...(options.ownerWalkSpacing === undefined ? {} : { ownerWalkSpacing: options.ownerWalkSpacing }),
        ...(options.ownerWaitMs === undefined ? {} : { ownerWaitMs: options.ownerWaitMs }),
        ...(options.once === undefined ? {} : { once: options.once }),
        ...(options.processPaths === undefined ? {} : { processPaths: options.processPaths }),
        ...(options.ownWalk === undefined ? {} : { ownWalk: options.ownWalk }),
        ...(options.dump === undefined ? {} : { dump: options.dump }),
      });
      break;
    case "proc":
      collector = lazyCollector(
        name,
        async () => (await import("./proc_collector.ts")).createProcCollector({ platform }),
      );
      break;
    case "netstat":
      collector = lazyCollector(
        name,
        async () => (await import("./netstat_collector.ts")).createNetstatCollector(deps),
      );
      break;
    case "lsof":
      collector = lazyCollector(
        name,
        async () => (await import("./lsof_collector.ts")).createLsofCollector(deps),
      );
      break;
  }
  return note === null ? collector : withoutCounters(collector, note);
}

/**
 * The collector `--collector` names. `auto` takes the first of the OS's
 * collectors whose tool is installed (ss, then netstat on Linux; lsof, then
 * netstat on macOS; netstat on Windows) and says so when it falls back.
 */
export function createCollector(name: CollectorName, options: CreateCollectorOptions): Collector {
  const input = options.input;
  if (input !== undefined) {
    return lazyCollector(
      name,
      async () =>
        (await import("./input_collector.ts")).createInputCollector(input, {
          collector: name,
          files: options.platform.files,
          traffic: options.traffic ?? false,
        }),
    );
  }
  if (name !== "auto") return createNamed(name, options);
  const order = autoCollectorOrder(options.platform.os);
  let index = 0;
  let current = createNamed(order[0] ?? "netstat", options);
  const fallbackNotes: string[] = [];
  let hint: OwnerHint | null = null;
  return {
    get name() {
      return current.name;
    },
    takeOwnersFrom(given: OwnerHint) {
      hint = given;
      current.takeOwnersFrom?.(given);
    },
    async close() {
      await current.close?.();
    },
    async collect(request?: CollectRequest): Promise<CollectResult> {
      for (;;) {
        try {
          const result = await current.collect(request);
          result.notes.unshift(...fallbackNotes.splice(0));
          return result;
        } catch (error) {
          const next = order[index + 1];
          if (!(error instanceof ToolError && error.notFound) || next === undefined) throw error;
          fallbackNotes.push(`"${current.name}" is not installed; using ${next} instead`);
          await current.close?.();
          current = createNamed(next, options);
          if (hint !== null) current.takeOwnersFrom?.(hint);
          index++;
        }
      }
    },
  };
}
