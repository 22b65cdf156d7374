/**
 * The seam between the SOAP transport and metrics. `postSoap` (src/soap/http.ts)
 * runs every call through `timedSoapCall`; whoever wants to know about eHealth
 * calls (the metrics of the composition root) subscribes with
 * `observeSoapCalls`. Dependency-free, so the transport layer does not pull in
 * prom-client, and a no-op when nobody observes.
 */

/** What an observer learns about one SOAP call: which call, how long, what came back. Never the body's content. */
export interface SoapCallRecord {
  soapAction: string | null | undefined;
  /** The request body, only so observers can name the operation from its request element. */
  body: unknown;
  seconds: number;
  /** HTTP status of a successful answer; undefined when the call threw. */
  status: number | undefined;
  /** What the call threw, if it did. */
  error: unknown;
}

/** An observer of SOAP calls; it must not throw (a throwing observer is ignored). */
export type SoapCallObserver = (call: SoapCallRecord) => void;

const observers = new Set<SoapCallObserver>();

/** Subscribes to every SOAP call of this process; returns the unsubscribe function. */
export function observeSoapCalls(observer: SoapCallObserver): () => void {
  observers.add(observer);
  return () => {
    observers.delete(observer);
  };
}

function notify(record: SoapCallRecord): void {
  for (const o of observers) {
    try {
      o(record);
    } catch {
      // an observer's bug must not turn a successful eHealth call into a failure
    }
  }
}

/** The options `timedSoapCall` reads (a subset of PostSoapOptions). */
export interface TimedCallOptions {
  soapAction?: string | null | undefined;
  body: unknown;
}

/** Runs `call(opts)`, timing it and telling the observers how it went. */
export async function timedSoapCall<O extends TimedCallOptions, R extends { status: number }>(opts: O, call: (opts: O) => Promise<R>): Promise<R> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const res = await call(opts);
    notify({ soapAction: opts.soapAction, body: opts.body, seconds: seconds(), status: res.status, error: undefined });
    return res;
  } catch (err) {
    notify({ soapAction: opts.soapAction, body: opts.body, seconds: seconds(), status: undefined, error: err });
    throw err;
  }
}
