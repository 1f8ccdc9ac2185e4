import { Timeline } from "./timeline.ts";
import type { TrafficMeter } from "./traffic_meter.ts";

/** A process seen in a row. Fields are `null` where the OS did not tell. */
export interface ProcessInfo {
  pid: number | null;
  name: string | null;
  path: string | null;
}

/** How rows are formed: one per remote IP (default), per process, or per connection. */
export type GroupBy = "ip" | "process" | "connection";

const MAX_PORTS = 32;
const MAX_PROCESSES = 8;

/**
 * The lists a row starts with, and the one-state lists rows share. A list is replaced, never changed, when
 * it grows: one `push` onto an empty array makes room for 17 (152 bytes), and rows hold a port or two, one
 * process and one state (at 10,000 rows kept, ~3 MiB for room never used; the state list was made anew for
 * every present row at every poll).
 */
const NONE: readonly never[] = Object.freeze([]);
const ONLY_STATE = new Map<string, readonly string[]>();
const ONLY_STATE_MAX = 64;

/** One row of the monitor: what is known about a remote IP, a process or a connection. */
export class TrackedRow {
  readonly key: string;
  /** What the row shows on the left: an IP, `name (pid)`, or both endpoints. */
  readonly label: string;
  /** The address enrichment looks up: the remote IP, or the local IP of a listening row. */
  readonly ip: string | null;
  /** True for the row of listening sockets on a local address. */
  readonly listening: boolean;
  readonly timeline: Timeline;
  readonly firstColumn: number;
  readonly firstSeen: Date;
  lastColumn: number;
  lastSeen: Date;
  /** Time units in which the row had at least one socket. */
  activeColumns = 0;
  /** Sockets in the row at the latest poll. */
  openConnections = 0;
  /** Status words at the latest poll that found the row, sorted (see {@linkcode clearStates}, {@linkcode addState}). */
  states: readonly string[] = NONE;
  /** Service ports (the remote port going out, the local port coming in or listening), first seen first. */
  ports: readonly number[] = NONE;
  /** Ports beyond the ones kept. */
  morePorts = 0;
  processes: readonly ProcessInfo[] = NONE;
  moreProcesses = 0;
  /**
   * The bytes its connections moved (`--traffic`): null until one of them
   * has counters (never for UDP or listening rows: unknown, not zero).
   */
  traffic: TrafficMeter | null = null;
  /**
   * The tracker's bookkeeping, by its poll number: the poll that last found the row present, whether the
   * poll before that one had, and the poll that last read counters of its connections. Stamps, not per-poll
   * sets of rows (garbage at every poll).
   */
  presentIn = -1;
  presentBefore = false;
  countedIn = -1;

  constructor(
    init: {
      key: string;
      label: string;
      ip: string | null;
      listening: boolean;
      width: number;
    },
    column: number,
    seen: Date,
  ) {
    this.key = init.key;
    this.label = init.label;
    this.ip = init.ip;
    this.listening = init.listening;
    this.timeline = new Timeline(init.width);
    this.firstColumn = column;
    this.lastColumn = column;
    this.firstSeen = seen;
    this.lastSeen = seen;
  }

  /** Forget the states: a poll that finds the row lists them again. */
  clearStates(): void {
    this.states = NONE;
  }

  /** Add a status word, keeping the list sorted (a list of one is shared with the rows in that state). */
  addState(status: string): void {
    const states = this.states;
    if (states.includes(status)) return;
    if (states.length > 0) {
      this.states = [...states, status].sort();
      return;
    }
    let only = ONLY_STATE.get(status);
    if (only === undefined) {
      only = Object.freeze([status]);
      if (ONLY_STATE.size < ONLY_STATE_MAX) ONLY_STATE.set(status, only);
    }
    this.states = only;
  }

  /** Remember a service port, keeping the list bounded. */
  addPort(port: number | null): void {
    if (port === null || this.ports.includes(port)) return;
    if (this.ports.length < MAX_PORTS) this.ports = this.ports.concat(port);
    else this.morePorts++;
  }

  /** Remember a process, keeping the list bounded. */
  addProcess(info: ProcessInfo): void {
    this.addProcessOf(info.pid, info.name, info.path);
  }

  /** {@linkcode addProcess} from the fields: nothing is made for a process the row already names. */
  addProcessOf(pid: number | null, name: string | null, path: string | null): void {
    if (pid === null && name === null) return;
    // Indexed, not for-of: it runs for every open connection each poll, and Maglev (the top tier under
    // --max-opt=2) makes a for-of's iterator and its results (2.7 MB a poll at 10k) where Turbofan makes none.
    const processes = this.processes;
    for (let i = 0; i < processes.length; i++) {
      const p = processes[i]!;
      if (p.pid === pid && p.name === name) return;
    }
    if (this.processes.length < MAX_PROCESSES) this.processes = this.processes.concat({ pid, name, path });
    else this.moreProcesses++;
  }

  /** Share of the run's time units in which the row was present, 0..1. */
  activityShare(totalColumns: number): number {
    return totalColumns <= 0 ? 0 : this.activeColumns / totalColumns;
  }
}
