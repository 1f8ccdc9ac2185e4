import { isoWithOffset } from "../model/timestamp.ts";
import type { AbuseIpdb, AbuseIpdbOptions } from "../enrich/abuseipdb.ts";
import {
  BlocklistFiles,
  type BlocklistFilesIo,
  blocklistIo,
  type BlocklistSource,
} from "../enrich/blocklist_files.ts";
import type { ThreatSources } from "../enrich/threat_verdict.ts";
import type { Reputation } from "../model/risk.ts";
import type { AlertWatch } from "../monitor/alert_watch.ts";
import type { Connection } from "../model/connection.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import { reputationConfig, type ReputationFlags } from "./reputation_config.ts";
import type { Platform } from "../platform/platform.ts";

/** The default block list: read when it exists in the working directory. */
export const DEFAULT_BLOCKLIST = "ips.txt";

/** How often list files are checked for changes. */
const LIST_CHECK_MS = 2_000;

/** The flags shared by the monitor and `conntrail check`. */
export interface ThreatFlags extends ReputationFlags {
  /** `--blocklist` files; empty means the default `ips.txt` when present. */
  blocklist: string[];
  includePrivate: boolean;
  /** `--expect FILE`: allowed destinations. */
  expect?: string;
}

/** Where threat intelligence reads and asks; tests pass loopback servers and fakes. */
export interface ThreatIo {
  env: ReadonlyMap<string, string>;
  note: (line: string) => void;
  now: () => number;
  fetch?: typeof fetch;
  /** The files lists and `.env` are read from, the network list domains are resolved on. */
  machine: Pick<Platform, "files" | "network" | "mayRead">;
  /** Reads the list files and resolves their domains instead of the machine (tests). */
  lists?: BlocklistFilesIo;
  /** Reputation answers already known (from history). */
  cached?: Iterable<[string, Reputation]>;
  onReputation?: (ip: string, reputation: Reputation) => void;
  /** How the AbuseIPDB client waits: `conntrail check` bounds it; tests inject a clock. */
  reputationWaits?: Pick<AbuseIpdbOptions, "patienceMs" | "attempts" | "backoffMs" | "timeoutMs" | "sleep">;
  /** Names learnt from DNS answers (`--sniff-dns`), matched against list domains and `--expect`. */
  names?: ThreatSources["names"];
}

/** Block lists, `--expect` and reputation for one run. */
export interface ThreatIntel {
  sources: ThreatSources;
  blocklists: BlocklistFiles;
  expected: BlocklistFiles | null;
  reputation: AbuseIpdb | null;
  /** Re-read changed list files now and then; returns at once (the work runs in the background). */
  refreshSoon: () => void;
  close: () => void;
}

/**
 * Read the lists (the default `ips.txt` only when present), the `--expect`
 * file and the reputation settings, and start the AbuseIPDB client when a key
 * is configured. Lines for the user go to `io.note` as they happen.
 */
export async function openThreatIntel(flags: ThreatFlags, io: ThreatIo): Promise<ThreatIntel> {
  const sources: BlocklistSource[] = flags.blocklist.length === 0
    ? [{ path: DEFAULT_BLOCKLIST, optional: true }]
    : flags.blocklist.map((path) => ({ path, optional: false }));
  const listOptions = { onNote: io.note, now: io.now, io: io.lists ?? blocklistIo(io.machine) };
  const blocklists = new BlocklistFiles(sources, listOptions);
  await blocklists.load();
  if (!flags.includePrivate) {
    // Said once, at the start: such a list raises nothing, and silence would look like a clean run.
    for (const list of blocklists.specialOnly) {
      io.note(
        `note: ${list.path}: its ${list.entries} ${list.entries === 1 ? "entry is a" : "entries are all"} ` +
          "private or special address" + (list.entries === 1 ? "" : "es") +
          ", which lists are not matched against without --include-private; it can raise no alert",
      );
    }
  }
  let expected: BlocklistFiles | null = null;
  if (flags.expect !== undefined) {
    expected = new BlocklistFiles([{ path: flags.expect, optional: false }], listOptions);
    await expected.load();
  }
  const config = await reputationConfig(flags, { env: io.env, machine: io.machine });
  for (const line of config.notes) io.note(line);
  // The client is imported by the runs that have a key: most have none.
  const reputation = config.settings === null
    ? null
    : new (await import("../enrich/abuseipdb.ts")).AbuseIpdb(config.settings, {
      onNote: io.note,
      now: io.now,
      fetch: io.fetch ?? io.machine.network.fetch,
      ...(io.cached === undefined ? {} : { cached: io.cached }),
      ...(io.onReputation === undefined ? {} : { onResult: io.onReputation }),
      ...io.reputationWaits,
    });
  let lastCheck = io.now();
  const expectedIndex = expected === null ? null : () => expected.index;
  return {
    sources: {
      blocklists: () => blocklists.index,
      reputation: reputation === null ? null : (ip) => reputation.lookup(ip),
      expected: expectedIndex,
      ...(flags.expect === undefined ? {} : { expectedName: flags.expect }),
      includePrivate: flags.includePrivate,
      names: io.names ?? null,
    },
    blocklists,
    expected,
    reputation,
    refreshSoon: () => {
      const now = io.now();
      if (now - lastCheck < LIST_CHECK_MS) return;
      lastCheck = now;
      blocklists.refresh().catch((error) => io.note(`warning: block lists not re-read: ${error}`));
      expected?.refresh().catch((error) => io.note(`warning: ${flags.expect} not re-read: ${error}`));
    },
    close: () => reputation?.close(),
  };
}

/**
 * The monitor loop's `alerts` hook: re-read changed lists now and then, and
 * judge the connections new in this poll (all of them when a list changed).
 */
export function pollAlerts(
  threat: ThreatIntel,
  watch: AlertWatch,
): (connections: readonly Connection[], changes: readonly ConnectionEvent[], at: Date) => ConnectionEvent[] {
  return (connections, changes, at) => {
    threat.refreshSoon();
    const fresh = changes.filter((e) => e.event === "NEW").map((e) => e.connection);
    // A connection unchanged since an earlier poll keeps that poll's stamp (see ConnectionMemory): judged again
    // now, it is stamped now.
    const stamp = isoWithOffset(at);
    const all = () => connections.map((c) => c.timestamp === stamp ? c : { ...c, timestamp: stamp });
    return watch.check(all, at.getTime(), fresh);
  };
}
