import type { Dashboard } from "../render/dashboard.ts";
import type { Terminal } from "../render/terminal.ts";
import type { MonitorOutput } from "./monitor_output.ts";
import { timerDelay } from "../model/timer_delay.ts";
import type { PollInfo } from "../model/poll_info.ts";

const REDRAW_DELAY_MS = 100;

/** Refresh mode: the dashboard drawn on the alternate screen after every poll, key and resize. */
export class RefreshOutput implements MonitorOutput {
  readonly #dashboard: Dashboard;
  readonly #terminal: Terminal;
  readonly #onQuit: () => void;
  #pendingRedraw: ReturnType<typeof setTimeout> | null = null;

  constructor(dashboard: Dashboard, terminal: Terminal, onQuit: () => void) {
    this.#dashboard = dashboard;
    this.#terminal = terminal;
    this.#onQuit = onQuit;
  }

  /** Take over the screen and draw the first (empty) frame. */
  start(): void {
    this.#terminal.enter();
    this.redraw();
  }

  redraw(): void {
    this.#terminal.draw(this.#dashboard.render(this.#terminal.size()));
  }

  /** Redraw soon, once, however many times this is called meanwhile (names arriving, resizes). */
  redrawSoon(): void {
    if (this.#pendingRedraw !== null) return;
    this.#pendingRedraw = setTimeout(() => {
      this.#pendingRedraw = null;
      this.redraw();
    }, timerDelay(REDRAW_DELAY_MS));
  }

  onKey(key: string): void {
    const action = this.#dashboard.onKey(key);
    if (action === "quit") this.#onQuit();
    else if (action === "redraw") this.redraw();
  }

  onPoll(_events: unknown, _status: unknown, _at: Date, info?: PollInfo): Promise<void> {
    this.#dashboard.onPoll(info);
    this.redraw();
    return Promise.resolve();
  }

  /** A note for the dashboard's status line, drawn soon. */
  note(line: string): void {
    this.#dashboard.note(line);
    this.redrawSoon();
  }

  close(): Promise<void> {
    if (this.#pendingRedraw !== null) clearTimeout(this.#pendingRedraw);
    this.#pendingRedraw = null;
    this.#terminal.restore();
    return Promise.resolve();
  }
}
