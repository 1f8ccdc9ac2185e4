/** The fastest of `runs` runs of `work`, with its result: the timing helper of every benchmark here. */
export function bestOf<T>(runs: number, work: () => T): { ms: number; result: T } {
  let best = Infinity;
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = work();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, result };
}

/** {@linkcode bestOf} for asynchronous work. */
export async function bestOfAsync<T>(
  runs: number,
  work: () => Promise<T>,
): Promise<{ ms: number; result: T }> {
  let best = Infinity;
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await work();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, result };
}
