/** How a monitor run's polls went, for the header, the status line and the summary. */
export interface PollInfo {
  /** How long this poll took, ms: reading the sockets, tracking, alerts and the output. */
  pollMs: number;
  /** The mean of the recent polls, ms. */
  recentMs: number;
  /** Connections the monitor's filters (`--filter-local`, `--port`, …) left out at this poll. */
  hiddenConnections: number;
  /** Rows those connections would have made. */
  hiddenRows: number;
}
