/**
 * The seam between sealing/unsealing and metrics: the code that seals a
 * message (src/ehbox/plain-sender.ts) or unseals one (src/inbound/ingest.ts)
 * wraps the call in `timedCrypto`, and the composition root's metrics
 * subscribe with `observeCryptoTimings` — no metrics object has to be
 * threaded through the eHealth clients. Dependency-free; a no-op when nobody
 * observes. Observers learn the duration and outcome only, never data.
 */

/** The timed operations. */
export type CryptoOperation = 'seal' | 'unseal';

/** An observer of seal/unseal timings; it must not throw (a throwing observer is ignored). */
export type CryptoTimingObserver = (operation: CryptoOperation, seconds: number, ok: boolean) => void;

const observers = new Set<CryptoTimingObserver>();

/** Subscribes to every seal/unseal of this process; returns the unsubscribe function. */
export function observeCryptoTimings(observer: CryptoTimingObserver): () => void {
  observers.add(observer);
  return () => {
    observers.delete(observer);
  };
}

function notify(operation: CryptoOperation, started: number, ok: boolean): void {
  const seconds = (performance.now() - started) / 1000;
  for (const o of observers) {
    try {
      o(operation, seconds, ok);
    } catch {
      // an observer's bug must not fail a seal that succeeded
    }
  }
}

/** Runs `fn` (sync or async), timing it for the observers; its result or error passes through unchanged. */
export function timedCrypto<T>(operation: CryptoOperation, fn: () => T): T {
  if (observers.size === 0) return fn();
  const started = performance.now();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    notify(operation, started, false);
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (v: unknown) => {
        notify(operation, started, true);
        return v;
      },
      (err: unknown) => {
        notify(operation, started, false);
        throw err;
      },
    ) as T;
  }
  notify(operation, started, true);
  return result;
}
