/**
 * Tracers for runMonitor tests: the {@linkcode TraceFeed} a traced run drains at each poll.
 *
 * @module
 */
import type { TraceEvent } from "../../lib/model/trace_event.ts";
import type { TraceFeed } from "../../lib/monitor/run_monitor.ts";

/** A tracer that saw nothing, and says `notes` each time it is asked. */
export function quietTrace(notes: string[] = []): TraceFeed {
  return { drain: () => Promise.resolve([]), takeNotes: () => [...notes] };
}

/**
 * A tracer that hands over `pending` (oldest first; the array is emptied as it goes) as the polls drain up to
 * their `before`, and records each `before` in `befores`.
 */
export function pendingTrace(pending: TraceEvent[]): { trace: TraceFeed; befores: number[] } {
  const befores: number[] = [];
  const trace: TraceFeed = {
    drain: (before) => {
      befores.push(before);
      const due = pending.filter((e) => e.at <= before);
      pending.splice(0, due.length);
      return Promise.resolve(due);
    },
    takeNotes: () => [],
  };
  return { trace, befores };
}
