/**
 * Serving the metrics: `GET /metrics` for the API's express app, a request
 * timing middleware for it, and a bare HTTP server for processes without the
 * API (`worker`), so every process can be scraped.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { GatewayMetrics } from './metrics.ts';

/** `GET /metrics` in the Prometheus text format (mount outside `/v1`: no API key; firewall it like the probes). */
export function metricsRouter(registry: Registry): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const body = await registry.metrics();
    res.set('Content-Type', registry.contentType).set('Cache-Control', 'no-store').send(body);
  });
  return router;
}

/** Route label of a request: the matched template, or `unmatched` (never the concrete path, which holds ids). */
function routeOf(req: Parameters<RequestHandler>[0]): string {
  const route = req.route as { path?: unknown } | undefined;
  return route && typeof route.path === 'string' ? `${req.baseUrl}${route.path}` : 'unmatched';
}

/** Times every request into `ehbox_http_request_duration_seconds` (install early, before the routers). */
export function httpMetrics(metrics: Pick<GatewayMetrics, 'observeHttpRequest'>): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeHttpRequest(req.method, routeOf(req), res.statusCode, seconds);
    });
    next();
  };
}

/** A running metrics server. */
export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A minimal HTTP server answering `/metrics` and `/healthz` (for `worker`
 * processes, which run no API); anything else is 404.
 */
export async function startMetricsServer(registry: Registry, port: number, host: string): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(body),
      () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
