/**
 * A concurrency bound with two priorities. Digest downloads go first because the chain walk waits on
 * them; log downloads fill the remaining slots.
 */
export type Priority = 'high' | 'low';

export interface Limiter {
  run<T>(priority: Priority, task: () => Promise<T>): Promise<T>;
  /** Tasks running or waiting. */
  readonly pending: number;
}

export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const queues: Record<Priority, (() => void)[]> = { high: [], low: [] };
  let active = 0;
  let waiting = 0;

  const next = (): void => {
    while (active < concurrency) {
      const start = queues.high.shift() ?? queues.low.shift();
      if (start === undefined) return;
      waiting -= 1;
      active += 1;
      start();
    }
  };

  return {
    get pending() {
      return active + waiting;
    },
    run<T>(priority: Priority, task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queues[priority].push(() => {
          Promise.resolve()
            .then(task)
            .then(resolve, reject)
            .finally(() => {
              active -= 1;
              next();
            });
        });
        waiting += 1;
        next();
      });
    },
  };
}
