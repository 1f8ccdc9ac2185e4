import { ToolError } from "../model/errors.ts";
import type { Collector, CollectorName, CollectResult } from "./collector.ts";
import { createInputCollector } from "./input_collector.ts";
import { createLsofCollector } from "./lsof_collector.ts";
import { createNetstatCollector } from "./netstat_collector.ts";
import { createProcCollector } from "./proc_collector.ts";
import type { RunTool } from "./run_tool.ts";
import { createSsCollector } from "./ss_collector.ts";

/** The collectors `--collector auto` tries on each OS, in order. */
export function autoCollectorOrder(os: typeof Deno.build.os): Exclude<CollectorName, "auto">[] {
  if (os === "linux") return ["ss", "netstat"];
  if (os === "darwin") return ["lsof", "netstat"];
  return ["netstat"];
}

/** Options of {@linkcode createCollector}. */
export interface CreateCollectorOptions {
  /** Parse this saved output (or `-` for stdin) instead of reading the system. */
  input?: string;
  os?: typeof Deno.build.os;
  run?: RunTool;
}

function createNamed(name: Exclude<CollectorName, "auto">, options: CreateCollectorOptions): Collector {
  const deps = { run: options.run, os: options.os };
  switch (name) {
    case "ss":
      return createSsCollector({ run: options.run });
    case "proc":
      return createProcCollector();
    case "netstat":
      return createNetstatCollector(deps);
    case "lsof":
      return createLsofCollector(deps);
  }
}

/**
 * The collector `--collector` names. `auto` takes the first of the OS's
 * collectors whose tool is installed (ss, then netstat on Linux; lsof, then
 * netstat on macOS; netstat on Windows) and says so when it falls back.
 */
export function createCollector(name: CollectorName, options: CreateCollectorOptions = {}): Collector {
  if (options.input !== undefined) return createInputCollector(options.input, name);
  if (name !== "auto") return createNamed(name, options);
  const order = autoCollectorOrder(options.os ?? Deno.build.os);
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
