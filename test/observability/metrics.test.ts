/**
 * The metrics: each feeding function moves the series it should, labels stay
 * bounded and content-free, SOAP calls are named by operation and status,
 * and the registry is served in Prometheus text format over HTTP.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayMetrics, safeLabel, soapOperationOf, soapStatusOf } from '../../src/observability/metrics.ts';
import { httpMetrics, metricsRouter, startMetricsServer } from '../../src/observability/metrics-router.ts';
import { registerQueueMetrics, QUEUE_SCRAPE_TIMEOUT_MS, type QueueLike } from '../../src/observability/queue-metrics.ts';
import { timedSoapCall } from '../../src/observability/soap-call-hook.ts';
import { timedCrypto } from '../../src/observability/crypto-timing-hook.ts';
import { EhealthSoapFault, SoapTransportError } from '../../src/soap/fault.ts';
import { SOAP_ACTIONS } from '../../src/soap/soap-actions.ts';

/** The value of one series in the exposition text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function listen(app: express.Express): Promise<string> {
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('GatewayMetrics', () => {
  it('records job attempts by queue and outcome, counting retries and final failures apart', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    m.observeJob('deliver', 0.2, 'completed');
    m.observeJob('deliver', 1.5, 'retry');
    m.observeJob('deliver', 0.1, 'failed');
    const text = await m.text();
    expect(sample(text, 'ehbox_job_duration_seconds_count{queue="deliver",outcome="completed"}')).toBe(1);
    expect(sample(text, 'ehbox_job_duration_seconds_sum{queue="deliver",outcome="retry"}')).toBeCloseTo(1.5);
    expect(sample(text, 'ehbox_job_failures_total{queue="deliver",final="false"}')).toBe(1);
    expect(sample(text, 'ehbox_job_failures_total{queue="deliver",final="true"}')).toBe(1);
  });

  it('times seals and unseals, sync, async and failing', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    expect(m.timeSeal(() => 42)).toBe(42);
    await expect(m.timeUnseal(async () => 'ok')).resolves.toBe('ok');
    expect(() => m.timeSeal(() => {
      throw new Error('bad etk');
    })).toThrow('bad etk');
    await expect(m.timeUnseal(() => Promise.reject(new Error('bad mac')))).rejects.toThrow('bad mac');
    const text = await m.text();
    expect(sample(text, 'ehbox_seal_duration_seconds_count{outcome="ok"}')).toBe(1);
    expect(sample(text, 'ehbox_seal_duration_seconds_count{outcome="error"}')).toBe(1);
    expect(sample(text, 'ehbox_unseal_duration_seconds_count{outcome="ok"}')).toBe(1);
    expect(sample(text, 'ehbox_unseal_duration_seconds_count{outcome="error"}')).toBe(1);
  });

  it('records seals and unseals made through the crypto hook while subscribed, and only then', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    expect(timedCrypto('seal', () => 'before')).toBe('before');
    const unsubscribe = m.observeCryptoTimings();
    expect(timedCrypto('seal', () => 'sealed')).toBe('sealed');
    await expect(timedCrypto('unseal', async () => 'opened')).resolves.toBe('opened');
    expect(() => timedCrypto('unseal', () => {
      throw new Error('bad signature');
    })).toThrow('bad signature');
    unsubscribe();
    timedCrypto('seal', () => 'after');
    const text = await m.text();
    expect(sample(text, 'ehbox_seal_duration_seconds_count{outcome="ok"}')).toBe(1);
    expect(sample(text, 'ehbox_unseal_duration_seconds_count{outcome="ok"}')).toBe(1);
    expect(sample(text, 'ehbox_unseal_duration_seconds_count{outcome="error"}')).toBe(1);
  });

  it('records eHealth calls, e-mails and box usage', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    m.recordEhealthCall('sendMessage', 200, 0.3);
    m.recordEhealthCall('sendMessage', 503, 0.1);
    m.recordEmail('update-info');
    m.recordEmail('update-info', 'failed');
    m.setBoxUsage('box-hospital', 1_000, 50_000, 3);
    const text = await m.text();
    expect(sample(text, 'ehbox_ehealth_calls_total{operation="sendMessage",status="200"}')).toBe(1);
    expect(sample(text, 'ehbox_ehealth_calls_total{operation="sendMessage",status="503"}')).toBe(1);
    expect(sample(text, 'ehbox_ehealth_call_duration_seconds_count{operation="sendMessage"}')).toBe(2);
    expect(sample(text, 'ehbox_emails_sent_total{kind="update-info"}')).toBe(1);
    expect(sample(text, 'ehbox_email_failures_total{kind="update-info"}')).toBe(1);
    expect(sample(text, 'ehbox_box_used_bytes{box="box-hospital"}')).toBe(1000);
    expect(sample(text, 'ehbox_box_max_bytes{box="box-hospital"}')).toBe(50000);
    expect(sample(text, 'ehbox_box_standby_messages{box="box-hospital"}')).toBe(3);
  });

  it('reads box usage at scrape time from a reader, keeping the last values when it fails', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    let calls = 0;
    let fail = false;
    m.trackBoxUsage(async () => {
      calls++;
      if (fail) throw new Error('redis down');
      return [{ box: 't1:hospital', current: 10 * calls, max: 100, standBy: 0 }];
    });
    const first = await m.text();
    expect(calls).toBe(1);
    expect(sample(first, 'ehbox_box_used_bytes{box="t1:hospital"}')).toBe(10);
    expect(sample(first, 'ehbox_box_max_bytes{box="t1:hospital"}')).toBe(100);
    expect(sample(await m.text(), 'ehbox_box_used_bytes{box="t1:hospital"}')).toBe(20);
    fail = true;
    expect(sample(await m.text(), 'ehbox_box_used_bytes{box="t1:hospital"}')).toBe(20);
  });

  it('keeps label values to id characters', () => {
    expect(safeLabel('a b"c\n{x}')).toBe('a_b_c__x_');
    expect(safeLabel('x'.repeat(200))).toHaveLength(64);
    expect(safeLabel('')).toBe('_');
  });

  it('includes process metrics unless disabled, on its own registry', async () => {
    const withProcess = await new GatewayMetrics().text();
    const without = await new GatewayMetrics({ processMetrics: false }).text();
    expect(withProcess).toContain('ehbox_process_resident_memory_bytes');
    expect(without).not.toMatch(/ehbox_(process|nodejs)_/);
  });
});

describe('SOAP call naming', () => {
  it('names operations by SOAPAction, or by request element when there is none', () => {
    expect(soapOperationOf({ soapAction: SOAP_ACTIONS.sendMessage, body: '' })).toBe('sendMessage');
    expect(soapOperationOf({ soapAction: null, body: '<s:Envelope><s:Body><etk:GetEtkRequest xmlns:etk="x"/></s:Body></s:Envelope>' })).toBe('getEtk');
    expect(soapOperationOf({ soapAction: undefined, body: { parts: [Buffer.from('<Envelope><Body><GetEtkRequest/></Body></Envelope>')] } })).toBe('getEtk');
    expect(soapOperationOf({ soapAction: 'urn:unknown', body: '<Foo/>' })).toBe('other');
  });

  it('labels status by HTTP code or transport failure kind', () => {
    expect(soapStatusOf({ status: 200, error: undefined })).toBe('200');
    expect(soapStatusOf({ status: undefined, error: new SoapTransportError('timeout', 'timed out') })).toBe('timeout');
    expect(soapStatusOf({ status: undefined, error: new SoapTransportError('http', 'HTTP 502', 502) })).toBe('502');
    expect(soapStatusOf({ status: undefined, error: new EhealthSoapFault({ faultcode: 'soap:Server', faultstring: 'boom', httpStatus: 500 }) })).toBe('500');
    expect(soapStatusOf({ status: undefined, error: new TypeError('x') })).toBe('error');
  });

  it('records calls made through the transport hook while subscribed, and only then', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    const unsubscribe = m.observeSoapCalls();
    const ok = () => Promise.resolve({ status: 200 });
    const failing = () => Promise.reject(new SoapTransportError('connection', 'reset'));
    await timedSoapCall({ soapAction: SOAP_ACTIONS.getFullMessage, body: '' }, ok);
    await expect(timedSoapCall({ soapAction: SOAP_ACTIONS.getFullMessage, body: '' }, failing)).rejects.toThrow('reset');
    unsubscribe();
    await timedSoapCall({ soapAction: SOAP_ACTIONS.getFullMessage, body: '' }, ok);
    const text = await m.text();
    expect(sample(text, 'ehbox_ehealth_calls_total{operation="getFullMessage",status="200"}')).toBe(1);
    expect(sample(text, 'ehbox_ehealth_calls_total{operation="getFullMessage",status="connection"}')).toBe(1);
  });

  it('wraps a SOAP-calling function', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    const call = m.wrapSoapCall((opts: { soapAction: string; body: string }) => Promise.resolve({ status: 200, echo: opts.body }));
    await expect(call({ soapAction: SOAP_ACTIONS.getBoxInfo, body: 'b' })).resolves.toEqual({ status: 200, echo: 'b' });
    expect(sample(await m.text(), 'ehbox_ehealth_calls_total{operation="getBoxInfo",status="200"}')).toBe(1);
  });
});

describe('queue metrics', () => {
  it('reports metrics_up=0 within the scrape timeout when the queues do not answer', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    const hanging: QueueLike = { getJobCounts: () => new Promise(() => {}), getJobs: () => new Promise(() => {}) };
    registerQueueMetrics(m.registry, { names: ['resolve'], queue: () => hanging });
    const started = Date.now();
    const text = await m.text();
    expect(Date.now() - started).toBeLessThan(QUEUE_SCRAPE_TIMEOUT_MS + 1000);
    expect(sample(text, 'ehbox_queue_metrics_up')).toBe(0);
    expect(text).not.toContain('ehbox_queue_jobs{');
  });

  it('reads counts and the oldest waiting age from each queue once per scrape', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    let reads = 0;
    const now = 1_000_000_000;
    const q: QueueLike = {
      getJobCounts: () => {
        reads++;
        return Promise.resolve({ waiting: 4, active: 1, failed: 2 });
      },
      getJobs: () => Promise.resolve([{ timestamp: now - 90_000, delay: 30_000 }]),
    };
    registerQueueMetrics(m.registry, { names: ['deliver'], queue: () => q }, () => now);
    const text = await m.text();
    expect(reads).toBe(1);
    expect(sample(text, 'ehbox_queue_jobs{queue="deliver",state="waiting"}')).toBe(4);
    expect(sample(text, 'ehbox_queue_jobs{queue="deliver",state="delayed"}')).toBe(0);
    expect(sample(text, 'ehbox_queue_oldest_waiting_seconds{queue="deliver"}')).toBe(60);
    expect(sample(text, 'ehbox_queue_metrics_up')).toBe(1);
  });
});

describe('serving', () => {
  it('serves /metrics in Prometheus text format and times requests by route template', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    const app = express();
    app.use(httpMetrics(m));
    app.use(metricsRouter(m.registry));
    app.get('/v1/messages/:id', (_req, res) => {
      res.json({});
    });
    const base = await listen(app);
    await fetch(`${base}/v1/messages/m0123456789abcdefghijklmn`);
    await fetch(`${base}/nowhere/secret-path`);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'ehbox_http_request_duration_seconds_count{method="GET",route="/v1/messages/:id",status="200"}')).toBe(1);
    expect(sample(text, 'ehbox_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain('m0123456789abcdefghijklmn');
    expect(text).not.toContain('secret-path');
  });

  it('serves /metrics and /healthz from the standalone server used by worker processes', async () => {
    const m = new GatewayMetrics({ processMetrics: false });
    m.recordEmail('inbound-staff');
    const server = await startMetricsServer(m.registry, 0, '127.0.0.1');
    closers.push(() => server.close());
    const metrics = await fetch(`${server.url}/metrics`);
    expect(sample(await metrics.text(), 'ehbox_emails_sent_total{kind="inbound-staff"}')).toBe(1);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/v1/messages`)).status).toBe(404);
  });
});
