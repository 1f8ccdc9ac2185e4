import type { ConnectionEvent, StatusEvent } from "../model/monitor_event.ts";

/** Where a monitor run shows what it sees: the refresh dashboard or scroll lines. */
export interface MonitorOutput {
  /** After each poll: its events, the status summary when one is due, and the poll's time. */
  onPoll(events: readonly ConnectionEvent[], status: StatusEvent | null, at: Date): Promise<void>;
  /** The run is over: write what is still waiting. */
  close(): Promise<void>;
}
