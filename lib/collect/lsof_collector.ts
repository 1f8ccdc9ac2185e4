import { LSOF_FIELDS, parseLsof } from "../parse/lsof.ts";
import type { Collector, CollectorPlatform, CollectResult } from "./collector.ts";
import { findExePaths } from "./linux_exe_paths.ts";
import { psExePaths } from "./macos_exe_paths.ts";
import { ProcessPathCache } from "./process_paths.ts";
import { DESCRIPTOR_WALK_TIMEOUT_MS, type RunTool, toolRunner } from "./run_tool.ts";
import { singleFlight } from "./single_flight.ts";

/** lsof arguments: numeric hosts and ports, TCP and UDP, whole command names, field output. */
export const LSOF_ARGS = ["-nP", "-iTCP", "-iUDP", "+c0", `-F${LSOF_FIELDS}`] as const;

/** The macOS default collector (also usable on Linux): `lsof -F` field output. */
export function createLsofCollector(options: { platform: CollectorPlatform; run?: RunTool }): Collector {
  const run = options.run ?? toolRunner(options.platform.programs);
  const os = options.platform.os;
  const notes: string[] = [];
  const onUnavailable = (remedy: string) => notes.push(`process paths are left out: ${remedy}`);
  const paths = new ProcessPathCache(
    os === "linux" ? findExePaths(run, onUnavailable) : psExePaths(run, onUnavailable),
  );

  const collect = async (): Promise<CollectResult> => {
    // lsof exits 1 when it finds no socket at all, and warns on stderr about unreadable mounts.
    const parsed = parseLsof(
      (await run("lsof", LSOF_ARGS, { okCodes: [0, 1], timeoutMs: DESCRIPTOR_WALK_TIMEOUT_MS })).stdout,
    );
    await paths.fill(parsed.sockets);
    const result = { sockets: parsed.sockets, skipped: parsed.skipped, notes: [...notes] };
    notes.length = 0;
    return result;
  };
  return { name: "lsof", collect: singleFlight(collect) };
}
