import { UsageError } from "./usage_error.ts";
import { timerDelay } from "../model/timer_delay.ts";
import type { Files } from "../platform/platform.ts";
import { userFiles } from "../platform/user_files.ts";

/** How often the stop file is looked for: well under a time unit, and a `stat` costs microseconds. */
const CHECK_MS = 200;

/**
 * `--stop-file FILE`: call `stop` once the file exists, as Ctrl+C would. A
 * supervisor that cannot send a signal to a process it started (Windows has
 * no SIGTERM; the GitHub Action's post step is not conntrail's parent) creates
 * the file instead. A file already there at the start is a usage error, so a
 * stale one never ends a run at once. Returns the function that stops watching.
 */
export async function watchStopFile(
  path: string,
  options: { files: Files; stop: () => void; onError: (error: unknown) => void },
): Promise<() => void> {
  const { stop, onError } = options;
  const user = userFiles(options.files);
  if (await user.userFileExists(path)) {
    throw new UsageError(`--stop-file "${path}" exists already; remove it or name another file`);
  }
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    user.userFileExists(path).then((exists) => {
      if (exists) {
        clearInterval(timer);
        stop();
      }
    }, (error) => {
      clearInterval(timer);
      onError(error);
    }).finally(() => (checking = false));
  }, timerDelay(CHECK_MS));
  return () => clearInterval(timer);
}
