import type { OperatingSystem } from "../platform/platform.ts";
import { ToolError } from "../model/errors.ts";
import type { Collector, CollectorName, CollectorPlatform, CollectResult } from "./collector.ts";
import { createInputCollector } from "./input_collector.ts";
import { createLsofCollector } from "./lsof_collector.ts";
import { createNetstatCollector } from "./netstat_collector.ts";
import { createProcCollector } from "./proc_collector.ts";
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
      });
      break;
    case "proc":
      collector = createProcCollector({ platform });
      break;
    case "netstat":
      collector = createNetstatCollector(deps);
      break;
    case "lsof":
      collector = createLsofCollector(deps);
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
  if (options.input !== undefined) {
    return createInputCollector(options.input, {
      collector: name,
      files: options.platform.files,
      traffic: options.traffic ?? false,
    });
  }
  if (name !== "auto") return createNamed(name, options);
  const order = autoCollectorOrder(options.platform.os);
  let index = 0;
  let current = createNamed(order[0] ?? "netstat", options);
  const fallbackNotes: string[] = [];
  return {
    get name() {
      return current.name;
    },
    async collect(): Promise<CollectResult> {
      for (;;) {
        try {
          const result = await current.collect();
          result.notes.unshift(...fallbackNotes.splice(0));
          return result;
        } catch (error) {
          const next = order[index + 1];
          if (!(error instanceof ToolError && error.notFound) || next === undefined) throw error;
          fallbackNotes.push(`"${current.name}" is not installed; using ${next} instead`);
          current = createNamed(next, options);
          index++;
        }
      }
    },
  };
}
