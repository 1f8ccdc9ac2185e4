/**
 * The collector a command reads sockets with. Apart from command_io.ts so
 * that commands that read no sockets (check, history) never load the collectors.
 *
 * @module
 */
import type { Collector, CollectorName } from "../collect/collector.ts";
import { createCollector, type CreateCollectorOptions } from "../collect/create_collector.ts";
import { OWNER_WAIT_MS } from "../collect/held_sockets.ts";
import { OWNER_WALK_SPACING } from "../collect/owner_walks.ts";
import type { CommandIo } from "./command_io.ts";

/**
 * The collector a command's options name, on the platform, unless the io brings its own; `reading` says how it
 * will be read (once, with or without process paths).
 */
export function collectorOf(
  options: {
    collector: CollectorName;
    input?: string;
    traffic?: boolean;
    ownerWalkSpacing?: number;
    ownerWaitMs?: number;
    ownWalk?: boolean;
    dump?: boolean;
  },
  io: CommandIo,
  reading: Pick<CreateCollectorOptions, "once" | "processPaths"> = {},
): Collector {
  return io.collector ?? createCollector(options.collector, {
    platform: io,
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.traffic === undefined ? {} : { traffic: options.traffic }),
    ...(options.ownerWalkSpacing === undefined ? {} : { ownerWalkSpacing: options.ownerWalkSpacing }),
    ...(options.ownerWaitMs === undefined ? {} : { ownerWaitMs: options.ownerWaitMs }),
    ...(options.ownWalk === undefined ? {} : { ownWalk: options.ownWalk }),
    ...(options.dump === undefined ? {} : { dump: options.dump }),
    ...reading,
  });
}

/**
 * How a live command (monitor, serve) spaces the walks that learn new
 * sockets' processes: at most a quarter of a core, a socket held back at most
 * `OWNER_WAIT_MS` for its process. With `--trace`, a walk for every poll that
 * sees a new socket, none held: a socket the tracer reports must be in the
 * next poll (else polling closes it). The first reading's walk, which the
 * first line waits for, is conntrail's own (`find` and `ps`) where it may run. TCP is read from the kernel's
 * structures (`ss -taD -`) with `--no-traffic` too: cheaper than the text, and reused from poll to poll.
 */
export function liveOwnerWalk(
  trace: boolean,
): { ownerWalkSpacing: number; ownerWaitMs?: number; ownWalk: boolean; dump: boolean } {
  return trace
    ? { ownerWalkSpacing: 0, ownWalk: true, dump: true }
    : { ownerWalkSpacing: OWNER_WALK_SPACING, ownerWaitMs: OWNER_WAIT_MS, ownWalk: true, dump: true };
}
