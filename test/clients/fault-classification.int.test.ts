/**
 * One test per fault class, through the real clients: timeouts, HTTP 503,
 * SOAP SystemError with Retry, BusinessError, dropped connections (sandbox
 * fault injection), malformed XML and oversized answers (a small local
 * server). Each shows the classification every worker acts on.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classifyError, EhealthSoapFault, SoapTransportError } from '../../src/soap/fault.ts';
import { endpointsAt } from '../../src/ehealth/session.ts';
import { sendPlain } from '../../src/ehbox/plain-sender.ts';
import { EhboxStatusError } from '../../src/ehbox/ehbox-client.ts';
import { digestOf } from '../../src/ehbox/message-sealer.ts';
import type { BoxAddress, SendMessageRequest } from '../../src/ehbox/wire/messages.ts';
import { RecipientError } from '../../src/addressbook/recipient-resolver.ts';
import { MemoryTtlCache } from '../../src/ehealth/memory-cache.ts';
import { sandboxTarget, type ConformanceTarget } from './helpers/conformance-target.ts';
import { sampleMessage } from './helpers/sample-message.ts';

/** Short enough for a quick test, long enough for a healthy loopback call. */
const SHORT_TIMEOUT_MS = 400;
/** The response limit of the oversized-answer tests. */
const SMALL_LIMIT = 64 * 1024;

let t: ConformanceTarget;
let bad: http.Server;
let badUrl: string;
let badMode: 'malformed' | 'oversized-declared' | 'oversized-streamed' = 'malformed';

beforeAll(async () => {
  t = await sandboxTarget().create();
  bad = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (badMode === 'malformed') {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><unclosed>');
      } else if (badMode === 'oversized-declared') {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': String(SMALL_LIMIT * 4) });
        res.write('<soapenv:Envelope');
      } else {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.write('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><x>');
        const chunk = 'A'.repeat(16 * 1024);
        let sent = 0;
        const pump = () => {
          while (sent < SMALL_LIMIT * 4 && res.write(chunk)) sent += chunk.length;
          if (sent < SMALL_LIMIT * 4) res.once('drain', pump);
          else res.end('</x></soapenv:Body></soapenv:Envelope>');
        };
        pump();
      }
    });
  });
  await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
  badUrl = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
});
afterAll(async () => {
  bad?.closeAllConnections();
  await new Promise<void>((r) => bad?.close(() => r()));
  await t?.close();
});
afterEach(async () => {
  await fetch(`${t.sandbox!.url}/_sandbox/faults`, { method: 'DELETE' });
});

async function inject(operation: string, rule: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${t.sandbox!.url}/_sandbox/faults/${operation}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
  expect(res.status).toBe(200);
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

/** An unencrypted one-line message (the fault is injected before the content matters). */
function minimalRequest(to: BoxAddress): SendMessageRequest {
  const bytes = new Uint8Array(Buffer.from('x'));
  return {
    destinations: [to],
    document: { title: 'x', content: { bytes, binary: false }, downloadFileName: 'x.txt', mimeType: 'text/plain', digest: digestOf(bytes) },
    annexes: [],
    contentSpecification: { contentType: 'DOCUMENT', isImportant: false, isEncrypted: false, publicationReceipt: false, receivedReceipt: false, readReceipt: false },
    customMetas: [],
    metas: [],
    copyMailTo: [],
  };
}

describe('transient faults', () => {
  it('timeout: a hanging answer ends at the configured timeout, transient', async () => {
    // the token comes from a shared cache, so only the hanging call meets the short timeout
    const token = new MemoryTtlCache();
    await t.clients({ caches: { token } }).sts.token(t.keystore, t.quality);
    const c = t.clients({ timeoutMs: SHORT_TIMEOUT_MS, caches: { token } });
    await inject('getBoxInfo', { hangRate: 1 });
    const started = Date.now();
    const err = await caught(c.ehbox.getBoxInfo());
    expect(Date.now() - started).toBeLessThan(SHORT_TIMEOUT_MS * 5);
    expect(err).toBeInstanceOf(SoapTransportError);
    expect((err as SoapTransportError).code).toBe('SOAP_TIMEOUT');
    expect(classifyError(err)).toBe('transient');
  });

  it('HTTP 503 (ETK Depot): transient', async () => {
    await inject('getEtk', { http503Rate: 1 });
    const err = await caught(t.clients().etkDepot.getEtks({ type: 'SSIN', value: t.unknownSsin }));
    expect(err).toMatchObject({ kind: 'http', status: 503 });
    expect(classifyError(err)).toBe('transient');
  });

  it('HTTP 503 (STS): transient', async () => {
    await inject('stsRequestSecureToken', { http503Rate: 1 });
    const err = await caught(t.clients().sts.token(t.keystore, t.quality));
    expect(err).toMatchObject({ kind: 'http', status: 503 });
    expect(classifyError(err)).toBe('transient');
  });

  it('SOAP SystemError with Retry=true: transient, also through the recipient resolver', async () => {
    await inject('getMessagesList', { systemErrorRate: 1 });
    await inject('getProfessionalContactInfo', { systemErrorRate: 1 });
    const c = t.clients();
    const err = await caught(c.ehbox.getMessagesList({ source: 'INBOX' }));
    expect(err).toBeInstanceOf(EhealthSoapFault);
    expect((err as EhealthSoapFault).kind).toBe('system');
    expect((err as EhealthSoapFault).retry).toBe(true);
    expect(classifyError(err)).toBe('transient');
    const doctor = t.sandbox!.directory.parties.find((p) => p.quality === 'DOCTOR' && p.etk === 'valid')!;
    const viaResolver = await caught(c.resolver.resolve({ type: 'SSIN', id: doctor.ssin!, quality: 'DOCTOR' }));
    expect(viaResolver).not.toBeInstanceOf(RecipientError);
    expect(classifyError(viaResolver)).toBe('transient');
  });

  it('dropped connection: transient', async () => {
    await inject('getOoOList', { dropRate: 1 });
    const err = await caught(t.clients().ehbox.getOoOList());
    expect(err).toMatchObject({ kind: 'connection' });
    expect(classifyError(err)).toBe('transient');
  });
});

describe('permanent faults', () => {
  it('ehBox business status (injected 802 on sendMessage): permanent, reported per destination by sendPlain', async () => {
    await inject('sendMessage', { businessCode: '802' });
    const c = t.clients();
    const own = await c.ownEtks();
    const res = await sendPlain(c.ehbox, { message: sampleMessage('fault'), destinations: [{ address: c.ownBox, etks: own }], senderEtks: own });
    expect(res.results[0]!.outcome).toMatchObject({ status: 'failed', code: '802', permanent: true });
    const err = await caught(c.ehbox.send(minimalRequest(c.ownBox)));
    expect(err).toBeInstanceOf(EhboxStatusError);
    expect(classifyError(err)).toBe('permanent');
  });

  it('SOAP BusinessError fault (Addressbook, ETK Depot): permanent', async () => {
    await inject('searchOrganizations', { businessCode: 'INVALID_CRITERIA' });
    await inject('getEtk', { businessCode: 'INVALID_IDENTIFIER' });
    const c = t.clients();
    for (const call of [() => c.addressbook.searchOrganizations({ institutionName: 'x' }), () => c.etkDepot.getEtks({ type: 'SSIN', value: t.unknownSsin })]) {
      const err = await caught(call());
      expect(err).toBeInstanceOf(EhealthSoapFault);
      expect((err as EhealthSoapFault).kind).toBe('business');
      expect(classifyError(err)).toBe('permanent');
    }
  });

  it('malformed XML: permanent (ETK Depot and a signed ehBox call)', async () => {
    badMode = 'malformed';
    const c = t.clients({ endpoints: { ...endpointsAt(t.proxy.url), etkDepot: `${badUrl}/EtkDepot/v1`, ehboxConsultation: `${badUrl}/ehBoxConsultation/v3` } });
    for (const call of [() => c.etkDepot.getEtks({ type: 'SSIN', value: t.unknownSsin }), () => c.ehbox.getBoxInfo()]) {
      const err = await caught(call());
      expect(err).toMatchObject({ kind: 'malformed', code: 'SOAP_RESPONSE_MALFORMED' });
      expect(classifyError(err)).toBe('permanent');
    }
  });

  it('oversized answer (declared or streamed): cut off at the limit, permanent', async () => {
    const c = t.clients({ maxResponseBytes: SMALL_LIMIT, endpoints: { ...endpointsAt(t.proxy.url), etkDepot: `${badUrl}/EtkDepot/v1` } });
    for (const mode of ['oversized-declared', 'oversized-streamed'] as const) {
      badMode = mode;
      const err = await caught(c.etkDepot.getEtks({ type: 'SSIN', value: t.unknownSsin }));
      expect(err).toMatchObject({ kind: 'too-large', code: 'SOAP_RESPONSE_TOO_LARGE' });
      expect(classifyError(err)).toBe('permanent');
    }
  });
});
