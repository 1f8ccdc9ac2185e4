import type { Connection } from "../model/connection.ts";
import type { Reputation, RiskLevel } from "../model/risk.ts";
import { isoWithOffset } from "../model/timestamp.ts";
import type {
  AddressQuery,
  AddressRecord,
  AlertRecord,
  ConnectionRecord,
  HistoryEvent,
  HistoryStore,
  PruneCounts,
  SnapshotInfo,
} from "./history_store.ts";
import { emptyAddress, emptyState, type MemoryState, MemoryStore } from "./memory_store.ts";
import { HistoryFileError } from "./history_file_error.ts";
import type { Files } from "../platform/platform.ts";
import { type UserFiles, userFiles } from "../platform/user_files.ts";

/**
 * The files of the JSON store: the reputation tool's three (`HISTORY_FILE`,
 * `CONN_RECORD_FILE`, `ABUSEIP_INFO_FILE`), and two of conntrail's own for what
 * that tool never kept.
 */
export interface JsonStoreFiles {
  history: string;
  connections: string;
  abuseInfo: string;
  alerts: string;
  snapshots: string;
}

type FileName = keyof JsonStoreFiles;
type Json = Record<string, unknown>;

const REPUTATION_LEVELS = new Set(["SAFE", "SUSPICIOUS", "MALICIOUS", "UNKNOWN"]);

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A time as the files hold it: ISO 8601 text, or a number of seconds (or milliseconds) since the epoch. */
function timeValue(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value !== "string") return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : isoWithOffset(new Date(ms));
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** The largest JSON history file read: the store holds all of it in memory. */
const MAX_JSON_FILE_BYTES = 64 * 1024 * 1024;

async function readJson(user: UserFiles, path: string): Promise<unknown> {
  // Only a regular file, and only so much of it: a FIFO would hang the run, a huge file exhaust it.
  const text = await user.readOptionalUserFile(path, {
    maxBytes: MAX_JSON_FILE_BYTES,
    what: "a JSON history file",
  });
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8's message quotes the bad bytes; where they are is enough, and nothing raw reaches a terminal.
    const place = error instanceof Error ? error.message.match(/line (\d+) column (\d+)/) : null;
    const at = place === null ? "" : ` (line ${place[1]}, column ${place[2]})`;
    throw new HistoryFileError(
      `"${path}" is not valid JSON${at}; it was left as it is`,
      { cause: error },
    );
  }
}

function connectionFromJson(ip: string, value: Json, fallbackOpened: number): ConnectionRecord | null {
  const localIp = stringOrNull(value.local_ip);
  const localPort = numberOrNull(value.local_port);
  if (localIp === null || localPort === null) return null;
  return {
    // The reputation tool kept only established TCP: its records say neither.
    protocol: value.protocol === "UDP" ? "UDP" : "TCP",
    family: value.family === 4 || value.family === 6 ? value.family : ip.includes(":") ? 6 : 4,
    local_ip: localIp,
    local_port: localPort,
    remote_ip: ip,
    remote_port: numberOrNull(value.remote_port),
    status: stringOrNull(value.status) ?? "ESTABLISHED",
    direction:
      value.direction === "incoming" || value.direction === "listening" || value.direction === "unknown"
        ? value.direction
        : "outgoing",
    pid: numberOrNull(value.pid),
    process_name: stringOrNull(value.process_name),
    process_path: stringOrNull(value.process_path),
    user: stringOrNull(value.user),
    domain: stringOrNull(value.domain),
    opened_at: timeValue(value.opened_at) ?? fallbackOpened,
    open_at_start: value.open_at_start === true,
    closed_at: timeValue(value.closed_at),
    bytes_sent: numberOrNull(value.bytes_sent),
    bytes_received: numberOrNull(value.bytes_received),
  };
}

/**
 * A saved snapshot's connection, read as the SQLite store reads its rows: every field of the type it
 * names (a number where a name should be made `diff` fail with "safe.includes is not a function").
 * Null without a local address and port.
 */
function snapshotConnectionFromJson(value: Json): Connection | null {
  const localIp = stringOrNull(value.local_ip);
  const localPort = numberOrNull(value.local_port);
  if (localIp === null || localPort === null) return null;
  const remoteIp = stringOrNull(value.remote_ip);
  const connection: Connection = {
    timestamp: stringOrNull(value.timestamp) ?? "",
    protocol: value.protocol === "UDP" ? "UDP" : "TCP",
    family: value.family === 6 ? 6 : 4,
    local_ip: localIp,
    local_port: localPort,
    remote_ip: remoteIp,
    remote_port: remoteIp === null ? null : numberOrNull(value.remote_port),
    status: stringOrNull(value.status) ?? "UNKNOWN",
    direction:
      value.direction === "outgoing" || value.direction === "incoming" || value.direction === "listening"
        ? value.direction
        : "unknown",
    pid: numberOrNull(value.pid),
    process_name: stringOrNull(value.process_name),
    process_path: stringOrNull(value.process_path),
    user: stringOrNull(value.user),
  };
  const domain = stringOrNull(value.domain);
  if (domain !== null) connection.domain = domain;
  for (const field of ["bytes_sent", "bytes_received"] as const) {
    if (field in value) connection[field] = numberOrNull(value[field]);
  }
  return connection;
}

/** Build the memory state from the files' parsed contents; entries that do not read are left out. */
function stateFromJson(contents: Partial<Record<FileName, unknown>>): MemoryState {
  const state = emptyState();
  const history = isObject(contents.history) ? contents.history : {};
  for (const [ip, value] of Object.entries(history)) {
    if (!isObject(value)) continue;
    const first = timeValue(value.first_seen) ?? timeValue(value.last_seen);
    if (first === null) continue;
    const address = emptyAddress(ip, first);
    address.last_seen = Math.max(first, timeValue(value.last_seen) ?? first);
    address.times_seen = numberOrNull(value.times_seen) ?? 0;
    address.hostname = stringOrNull(value.hostname);
    address.country = stringOrNull(value.country);
    address.asn = numberOrNull(value.asn);
    address.as_org = stringOrNull(value.as_org);
    address.domain = stringOrNull(value.domain);
    const level = stringOrNull(value.risk_level);
    address.risk_level = level !== null && REPUTATION_LEVELS.has(level) ? level as RiskLevel : null;
    address.last_scanned = timeValue(value.last_scanned);
    if (Array.isArray(value.lists)) address.lists = value.lists.filter((l) => typeof l === "string");
    state.addresses.set(ip, address);
  }
  const abuse = isObject(contents.abuseInfo) ? contents.abuseInfo : {};
  for (const [ip, value] of Object.entries(abuse)) {
    const address = state.addresses.get(ip);
    if (address === undefined || !isObject(value)) continue;
    address.abuse_score = numberOrNull(value.abuseConfidenceScore);
    address.country ??= stringOrNull(value.Country);
    address.hostname ??= stringOrNull(value.hostname);
  }
  const connections = isObject(contents.connections) ? contents.connections : {};
  for (const [ip, value] of Object.entries(connections)) {
    // The reputation tool kept one record per address; conntrail keeps a list.
    const records = Array.isArray(value) ? value : [value];
    const fallback = state.addresses.get(ip)?.first_seen ?? 0;
    for (const record of records) {
      const connection = isObject(record) ? connectionFromJson(ip, record, fallback) : null;
      if (connection === null) continue;
      state.connections.push(connection);
      if (connection.process_name !== null) state.addresses.get(ip)?.processes.add(connection.process_name);
    }
  }
  state.connections.sort((a, b) => a.opened_at - b.opened_at);
  if (Array.isArray(contents.alerts)) {
    for (const value of contents.alerts) {
      const at = isObject(value) ? timeValue(value.at) : null;
      if (!isObject(value) || at === null || typeof value.remote_ip !== "string") continue;
      const level = stringOrNull(value.risk_level);
      state.alerts.push({
        at,
        protocol: value.protocol === "UDP" ? "UDP" : "TCP",
        remote_ip: value.remote_ip,
        remote_port: numberOrNull(value.remote_port),
        pid: numberOrNull(value.pid),
        process_name: stringOrNull(value.process_name),
        reason: stringOrNull(value.reason) ?? "",
        blocklist: stringOrNull(value.blocklist),
        risk_level: level !== null && REPUTATION_LEVELS.has(level) ? level as RiskLevel : null,
        abuse_score: numberOrNull(value.abuse_score),
      });
    }
  }
  const snapshots = isObject(contents.snapshots) ? contents.snapshots : {};
  if (Array.isArray(snapshots.snapshots)) {
    for (const value of snapshots.snapshots) {
      const id = isObject(value) ? numberOrNull(value.id) : null;
      const takenAt = isObject(value) ? timeValue(value.taken_at) : null;
      if (!isObject(value) || id === null || takenAt === null || !Array.isArray(value.connections)) continue;
      const list = value.connections.filter(isObject).map(snapshotConnectionFromJson)
        .filter((c) => c !== null);
      state.snapshots.push({ info: { id, taken_at: takenAt, connections: list.length }, connections: list });
      state.lastSnapshotId = Math.max(state.lastSnapshotId, id);
    }
  }
  state.lastSnapshotId = Math.max(state.lastSnapshotId, numberOrNull(snapshots.last_id) ?? 0);
  return state;
}

/** The text of each file, from the state. */
function fileText(name: FileName, state: MemoryState): string {
  const lastReason = new Map<string, string>();
  for (const alert of state.alerts) lastReason.set(alert.remote_ip, alert.reason);
  const entries: Json = {};
  switch (name) {
    case "history":
      for (const a of state.addresses.values()) {
        entries[a.ip] = {
          first_seen: isoOrNull(a.first_seen),
          last_seen: isoOrNull(a.last_seen),
          times_seen: a.times_seen,
          risk_level: a.risk_level,
          last_scanned: isoOrNull(a.last_scanned),
          hostname: a.hostname,
          reason: lastReason.get(a.ip) ?? null,
          country: a.country,
          asn: a.asn,
          as_org: a.as_org,
          domain: a.domain ?? null,
          lists: a.lists,
        };
      }
      break;
    case "connections":
      for (const c of state.connections) {
        const list = (entries[c.remote_ip] ??= []) as Json[];
        list.push({
          remote_port: c.remote_port,
          local_ip: c.local_ip,
          local_port: c.local_port,
          pid: c.pid,
          is_checked: state.addresses.get(c.remote_ip)?.last_scanned != null,
          protocol: c.protocol,
          family: c.family,
          status: c.status,
          direction: c.direction,
          process_name: c.process_name,
          process_path: c.process_path,
          user: c.user,
          domain: c.domain ?? null,
          opened_at: isoOrNull(c.opened_at),
          open_at_start: c.open_at_start,
          closed_at: isoOrNull(c.closed_at),
          bytes_sent: c.bytes_sent,
          bytes_received: c.bytes_received,
        });
      }
      break;
    case "abuseInfo":
      for (const a of state.addresses.values()) {
        if (a.last_scanned === null) continue;
        entries[a.ip] = {
          IP_Address: a.ip,
          abuseConfidenceScore: a.abuse_score,
          Country: a.country,
          hostname: a.hostname,
        };
      }
      break;
    case "alerts":
      return JSON.stringify(state.alerts.map((a) => ({ ...a, at: isoOrNull(a.at) })), null, 2) + "\n";
    case "snapshots":
      return JSON.stringify(
        {
          last_id: state.lastSnapshotId,
          snapshots: state.snapshots.map((s) => ({
            id: s.info.id,
            taken_at: isoOrNull(s.info.taken_at),
            connections: s.connections,
          })),
        },
        null,
        2,
      ) + "\n";
  }
  return JSON.stringify(entries, null, 2) + "\n";
}

/** Which files a kind of event changes. */
const CHANGES: Record<HistoryEvent["kind"], FileName[]> = {
  opened: ["history", "connections"],
  owner: ["history", "connections"],
  status: ["connections"],
  closed: ["history", "connections"],
  seen: ["history", "connections"],
  alert: ["history", "alerts"],
  reputation: ["history", "abuseInfo", "connections"],
};

/**
 * History in JSON files, readable by the reputation tool's users: its three
 * files with its keys (every connection kept, as a list per address), plus
 * `alerts.json` and `snapshots.json`. Each changed file is rewritten whole
 * through a temporary file and a rename, so a crash leaves the old or the new
 * file, never half of one. Made for small histories; the SQLite store scales.
 */
export class JsonStore implements HistoryStore {
  readonly location: string;
  readonly #files: JsonStoreFiles;
  readonly #user: UserFiles;
  readonly #memory: MemoryStore;
  /** Files that did not exist yet: the first write creates them all, so the set is always complete. */
  readonly #missing: Set<FileName>;

  private constructor(files: JsonStoreFiles, user: UserFiles, memory: MemoryStore, missing: Set<FileName>) {
    this.#files = files;
    this.#user = user;
    this.#memory = memory;
    this.#missing = missing;
    this.location = `json ${files.history}`;
  }

  /** Read the files that exist; throws {@linkcode HistoryFileError} for one that is not JSON (and leaves it). */
  static async open(files: JsonStoreFiles, on: Files): Promise<JsonStore> {
    const user = userFiles(on);
    const contents: Partial<Record<FileName, unknown>> = {};
    for (const name of Object.keys(files) as FileName[]) contents[name] = await readJson(user, files[name]);
    const missing = (Object.keys(files) as FileName[]).filter((name) => contents[name] === undefined);
    return new JsonStore(files, user, new MemoryStore({}, stateFromJson(contents)), new Set(missing));
  }

  async #save(names: Iterable<FileName>): Promise<void> {
    for (const name of new Set([...names, ...this.#missing])) {
      await this.#user.replaceFileAtomically(this.#files[name], fileText(name, this.#memory.state));
      this.#missing.delete(name);
    }
  }

  async record(events: readonly HistoryEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.#memory.record(events);
    await this.#save(events.flatMap((e) => CHANGES[e.kind]));
  }

  reputations(): Promise<[string, Reputation][]> {
    return this.#memory.reputations();
  }

  addresses(query: AddressQuery): Promise<{ rows: AddressRecord[]; total: number }> {
    return this.#memory.addresses(query);
  }

  connections(ip: string, limit?: number): Promise<ConnectionRecord[]> {
    return this.#memory.connections(ip, limit);
  }

  alerts(options?: { ip?: string; since?: number; limit?: number }): Promise<AlertRecord[]> {
    return this.#memory.alerts(options);
  }

  async saveSnapshot(takenAt: number, connections: readonly Connection[]): Promise<SnapshotInfo> {
    const info = await this.#memory.saveSnapshot(takenAt, connections);
    await this.#save(["snapshots"]);
    return info;
  }

  snapshots(): Promise<SnapshotInfo[]> {
    return this.#memory.snapshots();
  }

  snapshot(id: number): Promise<Connection[] | null> {
    return this.#memory.snapshot(id);
  }

  async prune(before: number): Promise<PruneCounts> {
    const counts = await this.#memory.prune(before);
    await this.#save(Object.keys(this.#files) as FileName[]);
    return counts;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
