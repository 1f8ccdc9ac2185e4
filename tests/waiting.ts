/**
 * Waiting on events in tests: a line printed, a row present, a file written.
 * Nothing here waits for a fixed time. A wait that never sees its event fails
 * after {@linkcode HANG_GUARD_MS}: that bound only turns a hang into a
 * message, it is not a speed claim (timing belongs in `deno task bench`).
 */

/** How long a wait may go unanswered before the test fails as hung. */
export const HANG_GUARD_MS = 120_000;

/** Between two looks at a condition that has no event of its own (a tmux screen, an HTTP answer). */
const POLL_MS = 25;

/** One turn of the event loop: lets callbacks queued by I/O that has already finished run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Look at a condition until it holds, and return what it returned. `what` says
 * in the failure what was awaited.
 */
export async function waitFor<T>(
  look: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  what: string,
): Promise<T> {
  const guard = Date.now() + HANG_GUARD_MS;
  let last: unknown = undefined;
  for (;;) {
    try {
      const value = await look();
      if (value !== null && value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > guard) throw new Error(`never happened: ${what} (last look: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * The lines a child process prints, read as they come: a test waits for the
 * line it needs, and every line read so far stays available.
 */
export class Lines {
  readonly lines: string[] = [];
  /** True when the stream ended in the middle of its last line (a killed process). */
  endedMidLine = false;
  /** Resolves when the stream ends. */
  readonly done: Promise<void>;
  #partial = "";
  #waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#pump(stream);
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const parts = (this.#partial + chunk).split("\n");
        this.#partial = parts.pop() ?? "";
        for (const line of parts) this.#add(line);
      }
    } catch {
      // A killed child can end its pipe abruptly; what was read stays.
    } finally {
      if (this.#partial !== "") {
        this.endedMidLine = true;
        this.#add(this.#partial);
      }
      this.#partial = "";
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter.resolve("");
    }
  }

  #add(line: string): void {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.test(line)) return true;
      waiter.resolve(line);
      return false;
    });
  }

  /** Everything read so far, one line each. */
  get text(): string {
    return this.lines.join("\n");
  }

  /**
   * The first line (already read or still to come, from line `from` on) that
   * passes `test`. Fails when the stream ends without one, or after the hang
   * guard.
   */
  async until(test: (line: string) => boolean, what: string, from = 0): Promise<string> {
    const seen = this.lines.find((line, i) => i >= from && test(line));
    if (seen !== undefined) return seen;
    if (this.#ended) throw new Error(`never printed: ${what}; printed:\n${this.text.slice(-3000)}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const line = await new Promise<string | null>((resolve) => {
      this.#waiters.push({ test, resolve });
      timer = setTimeout(() => resolve(null), HANG_GUARD_MS);
    });
    clearTimeout(timer);
    if (line === null || (this.#ended && !test(line))) {
      throw new Error(`never printed: ${what}; printed:\n${this.text.slice(-3000)}`);
    }
    return line;
  }

  /** The first NDJSON object (already read or still to come, from line `from` on) that passes `test`. */
  async untilJson(
    test: (event: Record<string, unknown>) => boolean,
    what: string,
    from = 0,
  ): Promise<Record<string, unknown>> {
    const parse = (line: string): Record<string, unknown> | null => {
      try {
        const value = JSON.parse(line);
        return typeof value === "object" && value !== null ? value : null;
      } catch {
        return null;
      }
    };
    const line = await this.until(
      (l) => {
        const event = parse(l);
        return event !== null && test(event);
      },
      what,
      from,
    );
    return parse(line) ?? {};
  }

  /** Every whole line that parses as a JSON object. */
  json(): Record<string, unknown>[] {
    return this.lines.flatMap((line) => {
      try {
        const value = JSON.parse(line);
        return typeof value === "object" && value !== null ? [value] : [];
      } catch {
        return [];
      }
    });
  }
}
