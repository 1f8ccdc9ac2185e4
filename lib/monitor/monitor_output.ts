import type { ConnectionEvent, StatusEvent } from "../model/monitor_event.ts";
import type { PollInfo } from "../model/poll_info.ts";

/** Where a monitor run shows what it sees: the refresh dashboard or scroll lines. */
export interface MonitorOutput {
  /**
   * After each poll: its events, the status summary when one is due, the
   * poll's time, and how the polls go (the time the previous ones took, what
   * the filters hid).
   */
  onPoll(
    events: readonly ConnectionEvent[],
    status: StatusEvent | null,
    at: Date,
    info?: PollInfo,
  ): Promise<void>;
  /** The run is over: write what is still waiting. */
  close(): Promise<void>;
}
