/**
 * Readiness of the eHealth side: can we open a TCP connection to the
 * platform (or sandbox) host? A cheap check that needs no credentials and
 * sends nothing; the SOAP clients report finer errors per call.
 */
import net from 'node:net';

/** How long readiness waits for the eHealth host. */
const CONNECT_TIMEOUT_MS = 2000;

/** True when a TCP connection to the URL's host and port opens within the timeout. */
export function reachable(url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
