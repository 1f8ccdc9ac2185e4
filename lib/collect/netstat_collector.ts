import type { Socket } from "../model/connection.ts";
import { parseNetstat } from "../parse/netstat.ts";
import { parseGetProcessCsv, parseTasklistCsv } from "../parse/windows_processes.ts";
import type { Collector, CollectorPlatform, CollectResult } from "./collector.ts";
import { findExePaths } from "./linux_exe_paths.ts";
import { psExePaths } from "./macos_exe_paths.ts";
import { offWhenUnavailable, ProcessPathCache } from "./process_paths.ts";
import { DESCRIPTOR_WALK_TIMEOUT_MS, type RunTool, toolRunner } from "./run_tool.ts";
import { oncePerInode } from "./once_per_inode.ts";
import { singleFlight } from "./single_flight.ts";
import { nameUsers, readUserNames } from "./user_names.ts";

/**
 * `netstat` arguments per OS: Linux `-e` adds user and inode, `-W` keeps IPv6
 * whole; macOS `-l` prints IPv6 addresses whole (without it they are cut to 16
 * characters; `-W` only widens host names).
 */
export const NETSTAT_ARGS: Record<"linux" | "darwin" | "windows", string[]> = {
  linux: ["-tunapeW"],
  darwin: ["-anvlW"],
  windows: ["-ano"],
};

/** Names and paths of Windows processes by pid, from `tasklist` and PowerShell, cached per pid. */
function windowsProcesses(run: RunTool, onUnavailable: (remedy: string) => void) {
  const names = new Map<number, string>();
  const paths = new ProcessPathCache(offWhenUnavailable("powershell", async (pids) => {
    const script = `Get-Process -Id ${pids.join(",")} -ErrorAction SilentlyContinue | ` +
      "Select-Object Id,Path | ConvertTo-Csv -NoTypeInformation";
    const { stdout } = await run("powershell", ["-NoProfile", "-NonInteractive", "-Command", script], {
      timeoutMs: 20_000,
    });
    return parseGetProcessCsv(stdout);
  }, onUnavailable));
  return async (sockets: Socket[]) => {
    if (sockets.some((s) => s.pid !== null && s.pid !== 0 && !names.has(s.pid))) {
      const { stdout } = await run("tasklist", ["/FO", "CSV", "/NH"]);
      names.clear();
      for (const [pid, name] of parseTasklistCsv(stdout)) names.set(pid, name);
    }
    for (const s of sockets) {
      if (s.pid === 0) s.pid = null; // PID 0 is the idle process: "no owner".
      if (s.pid !== null) s.process_name = names.get(s.pid) ?? null;
    }
    await paths.fill(sockets);
  };
}

/**
 * The `netstat` collector: the Linux fallback when `ss` is missing, the macOS
 * fallback to lsof, and the Windows collector (with names from `tasklist` and
 * paths from PowerShell, each asked only about new pids). With `traffic`,
 * macOS 26's `netstat -anv` byte columns are read (older macOS, Linux and
 * Windows netstat print none: `null`).
 */
export function createNetstatCollector(
  options: { platform: CollectorPlatform; run?: RunTool; traffic?: boolean },
): Collector {
  const traffic = options.traffic ?? false;
  const run = options.run ?? toolRunner(options.platform.programs);
  const os = options.platform.os;
  const notes: string[] = [];
  const onUnavailable = (remedy: string) => notes.push(`process paths are left out: ${remedy}`);
  const args = NETSTAT_ARGS[os === "windows" ? "windows" : os === "darwin" ? "darwin" : "linux"];
  // Only this OS's way of naming owners is built: one path cache, read once per new process.
  let describeOwners: (sockets: Socket[]) => Promise<void>;
  if (os === "windows") {
    describeOwners = windowsProcesses(run, onUnavailable);
  } else if (os === "darwin") {
    const paths = new ProcessPathCache(psExePaths(run, onUnavailable));
    describeOwners = (sockets) => paths.fill(sockets);
  } else {
    const paths = new ProcessPathCache(findExePaths(run, onUnavailable));
    const userNames = readUserNames(options.platform);
    describeOwners = async (sockets) => {
      await paths.fill(sockets);
      nameUsers(sockets, userNames);
    };
  }

  const collect = async (): Promise<CollectResult> => {
    const parsed = parseNetstat(
      (await run("netstat", args, { timeoutMs: DESCRIPTOR_WALK_TIMEOUT_MS })).stdout,
      { traffic },
    );
    const sockets = oncePerInode(parsed.sockets);
    await describeOwners(sockets);
    const result = {
      sockets,
      skipped: parsed.skipped,
      notes: [...notes, ...parsed.notes ?? []],
    };
    const connected = sockets.filter((s) => s.protocol === "TCP" && s.remote_ip !== null);
    if (traffic && os === "darwin" && connected.length > 0 && connected.every((s) => s.bytes_sent === null)) {
      result.notes.push(
        "byte counters are left out: this macOS's netstat prints none (macOS 26 and later do)",
      );
    }
    notes.length = 0;
    return result;
  };
  return { name: "netstat", collect: singleFlight(collect) };
}
