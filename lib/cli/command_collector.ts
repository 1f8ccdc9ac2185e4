/**
 * The collector a command reads sockets with. Apart from command_io.ts so
 * that commands that read no sockets (check, history) never load the collectors.
 *
 * @module
 */
import type { Collector, CollectorName } from "../collect/collector.ts";
import { createCollector, type CreateCollectorOptions } from "../collect/create_collector.ts";
import type { CommandIo } from "./command_io.ts";

/**
 * The collector a command's options name, on the platform, unless the io brings its own; `reading` says how it
 * will be read (once, with or without process paths).
 */
export function collectorOf(
  options: { collector: CollectorName; input?: string; traffic?: boolean; ownerWalkSpacing?: number },
  io: CommandIo,
  reading: Pick<CreateCollectorOptions, "once" | "processPaths"> = {},
): Collector {
  return io.collector ?? createCollector(options.collector, {
    platform: io,
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.traffic === undefined ? {} : { traffic: options.traffic }),
    ...(options.ownerWalkSpacing === undefined ? {} : { ownerWalkSpacing: options.ownerWalkSpacing }),
    ...reading,
  });
}
