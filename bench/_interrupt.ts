/**
 * Clean-ups that must run when a bench is interrupted (Ctrl-C, `kill`, `timeout`): without them a stopped bench
 * leaves its socket farm, its contenders and its network namespace behind, and every later measurement on the
 * machine pays for their sockets (the kernel walks one TCP table for every namespace).
 *
 * `onInterrupt(cleanup)` registers a synchronous clean-up and returns the function that unregisters it (call it
 * once the thing is cleaned up the normal way). On SIGINT or SIGTERM the registered clean-ups run, newest first,
 * and the bench exits with 128 + the signal's number, as a shell reports it.
 */

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
let listening = false;

function runCleanupsAndExit(signal: keyof typeof EXIT_CODES): void {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch (error) {
      console.error(`bench clean-up failed: ${error instanceof Error ? error.message : error}`);
    }
  }
  cleanups.clear();
  Deno.exit(EXIT_CODES[signal]);
}

export function onInterrupt(cleanup: Cleanup): () => void {
  if (!listening) {
    listening = true;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => runCleanupsAndExit(signal));
    }
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
