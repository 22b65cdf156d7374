import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOAP_ACTIONS, buildEnvelope } from '../../src/soap/envelope.ts';
import { EhealthSoapFault, SoapTransportError, buildFaultEnvelope, classifyError } from '../../src/soap/fault.ts';
import { createKeepAliveAgents, postSoap } from '../../src/soap/http.ts';
import { NS } from '../../src/soap/namespaces.ts';
import { buildMultipartRelated, parseMultipartRelated } from '../../src/soap/swa.ts';

const REQUEST = buildEnvelope({ body: `<ns:GetBoxInfoRequest xmlns:ns="${NS.ehboxConsultation}"/>` });
const RESPONSE = buildEnvelope({ body: `<ns:GetBoxInfoResponse xmlns:ns="${NS.ehboxConsultation}" Id="r1"/>` });

type Handler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void;
const routes = new Map<string, Handler>();
const seen: { url: string; headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
let server: http.Server;
let base: string;
let connections = 0;
const agents = createKeepAliveAgents();

function sendXml(res: http.ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8' }).end(xml);
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      const handler = routes.get(req.url ?? '');
      if (handler) handler(req, body, res);
      else res.writeHead(404).end();
    });
  });
  server.on('connection', () => connections++);
  routes.set('/ok', (_req, _body, res) => sendXml(res, 200, RESPONSE));
  routes.set('/unavailable', (_req, _body, res) => res.writeHead(503, { 'Content-Type': 'text/html' }).end('<html>down</html>'));
  routes.set('/hang', () => undefined);
  routes.set('/system-error', (_req, _body, res) =>
    sendXml(res, 500, buildFaultEnvelope({ faultcode: 'Server', faultstring: 'busy', detail: { kind: 'system', origin: 'Provider', code: 'SOA-03001', messages: [{ lang: 'en', text: 'busy' }], retry: true, environment: 'Simulation' } })),
  );
  routes.set('/business-error', (_req, _body, res) =>
    sendXml(res, 500, buildFaultEnvelope({ faultcode: 'Client', faultstring: 'no', detail: { kind: 'business', origin: 'Consumer', code: 'EHBOX-FICT', messages: [{ lang: 'en', text: 'no' }], environment: 'Simulation' } })),
  );
  routes.set('/malformed', (_req, _body, res) => sendXml(res, 200, '<soapenv:Envelope><unclosed>'));
  routes.set('/not-soap', (_req, _body, res) => sendXml(res, 200, '<html/>'));
  routes.set('/large-declared', (_req, _body, res) => sendXml(res, 200, RESPONSE + ' '.repeat(5000)));
  routes.set('/large-chunked', (_req, _body, res) => {
    res.writeHead(200, { 'Content-Type': 'text/xml' });
    for (let i = 0; i < 10; i++) res.write(' '.repeat(1000));
    res.end(RESPONSE);
  });
  routes.set('/reset', (req) => req.socket.destroy());
  routes.set('/multipart', (_req, body, res) => {
    const incoming = parseMultipartRelated(body, seen.at(-1)!.headers['content-type']!);
    const reply = buildMultipartRelated({ envelopeXml: RESPONSE, attachments: [{ contentId: 'back@x', data: incoming.attachments.get('doc@x')! }] });
    res.writeHead(200, { 'Content-Type': reply.contentType, 'Content-Length': String(reply.length) });
    for (const p of reply.parts) res.write(p);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  agents.http.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(path: string, extra: Partial<Parameters<typeof postSoap>[0]> = {}): Promise<unknown> {
  try {
    await postSoap({ url: `${base}${path}`, body: REQUEST, timeoutMs: 2000, agent: agents.http, ...extra });
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('postSoap', () => {
  it('posts with a quoted SOAPAction and returns the parsed answer, reusing the connection', async () => {
    const before = connections;
    for (let i = 0; i < 2; i++) {
      const res = await postSoap({ url: `${base}/ok`, soapAction: SOAP_ACTIONS.getBoxInfo, body: REQUEST, timeoutMs: 2000, agent: agents.http });
      expect(res.status).toBe(200);
      expect(res.envelope.payload.localName).toBe('GetBoxInfoResponse');
      expect(res.envelopeXml).toBe(RESPONSE);
    }
    expect(connections - before).toBe(1);
    const req = seen.at(-1)!;
    expect(req.headers.soapaction).toBe(`"${SOAP_ACTIONS.getBoxInfo}"`);
    expect(req.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(req.body.toString('utf8')).toBe(REQUEST);
  });

  it('sends no SOAPAction when there is none (ETK Depot)', async () => {
    await postSoap({ url: `${base}/ok`, soapAction: SOAP_ACTIONS.getEtk, body: REQUEST, timeoutMs: 2000, agent: agents.http });
    expect(seen.at(-1)!.headers.soapaction).toBeUndefined();
  });

  it('sends and receives multipart/related with attachments', async () => {
    const data = Buffer.from([0, 1, 2, 255, 13, 10, 45, 45]);
    const body = buildMultipartRelated({ envelopeXml: REQUEST, attachments: [{ contentId: 'doc@x', data }] });
    const res = await postSoap({ url: `${base}/multipart`, body, timeoutMs: 2000, agent: agents.http });
    expect(res.envelopeXml).toBe(RESPONSE);
    expect(res.attachments.get('back@x')?.equals(data)).toBe(true);
  });

  it('maps 503 to a transient http error', async () => {
    const err = await failure('/unavailable');
    expect(err).toBeInstanceOf(SoapTransportError);
    expect(err).toMatchObject({ kind: 'http', status: 503 });
    expect(classifyError(err)).toBe('transient');
    expect(classifyError(await failure('/nowhere'))).toBe('permanent'); // 404
  });

  it('times out on a hanging server (transient)', async () => {
    const started = Date.now();
    const err = await failure('/hang', { timeoutMs: 200 });
    expect(err).toMatchObject({ kind: 'timeout', code: 'SOAP_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(classifyError(err)).toBe('transient');
  });

  it('turns SOAP faults into EhealthSoapFault', async () => {
    const system = await failure('/system-error');
    expect(system).toBeInstanceOf(EhealthSoapFault);
    expect(system).toMatchObject({ kind: 'system', retry: true, httpStatus: 500, code: 'SOA-03001' });
    expect(classifyError(system)).toBe('transient');
    const business = await failure('/business-error');
    expect(business).toMatchObject({ kind: 'business', code: 'EHBOX-FICT' });
    expect(classifyError(business)).toBe('permanent');
  });

  it('rejects malformed and non-SOAP answers as permanent', async () => {
    for (const path of ['/malformed', '/not-soap']) {
      const err = await failure(path);
      expect(err).toMatchObject({ kind: 'malformed', status: 200 });
      expect(classifyError(err)).toBe('permanent');
    }
  });

  it('stops oversized answers, declared or streamed', async () => {
    for (const path of ['/large-declared', '/large-chunked']) {
      const err = await failure(path, { maxResponseBytes: 2048 });
      expect(err).toMatchObject({ kind: 'too-large', code: 'SOAP_RESPONSE_TOO_LARGE' });
      expect(classifyError(err)).toBe('permanent');
    }
  });

  it('maps resets and refused connections to transient connection errors', async () => {
    const reset = await failure('/reset');
    expect(reset).toMatchObject({ kind: 'connection' });
    expect(classifyError(reset)).toBe('transient');
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await failure('', { url: `http://127.0.0.1:${port}/` });
    expect(refused).toMatchObject({ kind: 'connection' });
    expect(classifyError(refused)).toBe('transient');
  });

  it('refuses unsupported URL schemes', async () => {
    await expect(postSoap({ url: 'ftp://example.invalid/', body: REQUEST, timeoutMs: 100 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
