/**
 * The logging policy: JSON lines at LOG_LEVEL with correlation ids, and no
 * content ever — credentials and content fields censored, errors reduced to
 * allow-listed fields, free text scrubbed of XML and encoded blobs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, createMemoryDestination, jobLogger, messageLogger, requestLogger, withCorrelation } from '../../src/observability/logger.ts';
import { MAX_ERROR_MESSAGE_CHARS, REDACTED, scrubText, summarizeError } from '../../src/observability/log-safety.ts';

function setup(level: 'info' | 'debug' = 'info') {
  const dest = createMemoryDestination();
  return { dest, log: createLogger({ LOG_LEVEL: level }, dest) };
}

const SECRET_XML = '<ns2:SendMessageRequest><Content>Patient Jan Peeters, diagnosis</Content></ns2:SendMessageRequest>';
const SECRET_B64 = Buffer.from('Discharge letter of a fictitious patient, long enough to be a blob').toString('base64');

describe('createLogger', () => {
  it('writes JSON lines with level label, service, ISO time, and honours LOG_LEVEL', () => {
    const { dest, log } = setup('info');
    log.debug('hidden');
    log.info({ route: '/v1/messages' }, 'request');
    const [line, ...rest] = dest.records();
    expect(rest).toHaveLength(0);
    expect(line).toMatchObject({ level: 'info', service: 'ehbox-bridge', msg: 'request', route: '/v1/messages' });
    expect(String(line!.time)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('is silent at LOG_LEVEL=silent', () => {
    const dest = createMemoryDestination();
    const log = createLogger({ LOG_LEVEL: 'silent' }, dest);
    log.fatal('nothing');
    expect(dest.lines).toHaveLength(0);
  });

  it('censors credentials in headers, top level and one level down', () => {
    const { dest, log } = setup();
    log.info({ headers: { authorization: 'Bearer ak_live_secret', 'x-api-key': 'k2', accept: 'application/json' }, authorization: 'Bearer top', req: { headers: { authorization: 'Bearer nested', cookie: 'sid=1' } } }, 'in');
    const rec = dest.records()[0]!;
    expect(rec.headers).toEqual({ authorization: REDACTED, 'x-api-key': REDACTED, accept: 'application/json' });
    expect(rec.authorization).toBe(REDACTED);
    expect(dest.text()).not.toMatch(/ak_live_secret|Bearer top|Bearer nested|sid=1|"k2"/);
  });

  it('censors content fields: bodies, job data, XML, documents, sealed blobs', () => {
    const { dest, log } = setup();
    log.info({ body: { title: 'x' }, payload: 'p', data: { messageId: 'm1', text: 'secret data' }, envelopeXml: SECRET_XML, ctx: { content: SECRET_B64, sealed: 'AAAA', document: 'doc', freeText: 'ft', title: 'Discharge of J. Peeters', patientInss: '85073003328' } }, 'work');
    const rec = dest.records()[0]!;
    expect(rec).toMatchObject({ body: REDACTED, payload: REDACTED, data: REDACTED, envelopeXml: REDACTED });
    expect(rec.ctx).toEqual({ content: REDACTED, sealed: REDACTED, document: REDACTED, freeText: REDACTED, title: REDACTED, patientInss: REDACTED });
    expect(dest.text()).not.toMatch(/secret data|SendMessageRequest|Peeters|85073003328/);
    expect(dest.text()).not.toContain(SECRET_B64);
  });

  it('logs errors by allow-listed fields only (name, code, kind, status, scrubbed message, frames)', () => {
    const { dest, log } = setup();
    const err = Object.assign(new Error(`SOAP fault while sending ${SECRET_XML}`), {
      code: 'SEND_FAILED', status: 502, kind: 'http', response: SECRET_XML, request: { body: SECRET_B64 }, config: { password: 'pw' },
    });
    log.error({ err }, 'send failed');
    const rec = dest.records()[0]!;
    const e = rec.err as Record<string, unknown>;
    expect(Object.keys(e).sort()).toEqual(['code', 'frames', 'kind', 'message', 'name', 'status']);
    expect(e).toMatchObject({ name: 'Error', code: 'SEND_FAILED', status: 502, kind: 'http', message: 'SOAP fault while sending [xml omitted]' });
    expect(dest.text()).not.toMatch(/Peeters|SendMessageRequest|"pw"/);
  });

  it('serializes an error passed directly, with its cause chain', () => {
    const { dest, log } = setup();
    log.warn(new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }) }));
    const e = dest.records()[0]!.err as Record<string, unknown>;
    expect(e.message).toBe('outer');
    expect(e.cause).toMatchObject({ name: 'Error', message: 'inner', code: 'ECONNRESET' });
  });

  it('scrubs the message and %s arguments of XML and encoded blobs', () => {
    const { dest, log } = setup();
    log.info(`received ${SECRET_XML}`);
    log.info('blob %s end', SECRET_B64);
    const [a, b] = dest.records();
    expect(a!.msg).toBe('received [xml omitted]');
    expect(b!.msg).toBe('blob [blob omitted] end');
  });

  it('never lets a planted content string through any content field or message (property)', () => {
    const field = fc.constantFrom('body', 'payload', 'data', 'xml', 'envelopeXml', 'content', 'document', 'plaintext', 'sealed', 'freeText', 'title');
    const secret = fc.string({ minLength: 12, maxLength: 80 }).filter((s) => /^[A-Za-z]{12,}$/.test(s.replace(/[^A-Za-z]/g, '')));
    fc.assert(
      fc.property(field, secret, fc.boolean(), (name, s, nested) => {
        const { dest, log } = setup();
        const planted = `ZZ${s.replace(/[^A-Za-z]/g, '')}ZZ`;
        log.info(nested ? { outer: { [name]: planted } } : { [name]: planted }, 'm');
        log.error({ err: new Error(`<x>${planted}</x>`) }, 'e');
        return !dest.text().includes(planted);
      }),
      { numRuns: 200 },
    );
  });
});

describe('child loggers', () => {
  it('carry the request id', () => {
    const { dest, log } = setup();
    requestLogger(log, 'req-42').info('hello');
    expect(dest.records()[0]).toMatchObject({ requestId: 'req-42', msg: 'hello' });
  });

  it('carry job id, queue and message id, and nothing else of the payload', () => {
    const { dest, log } = setup();
    jobLogger(log, { id: 'm123.resolve.0', queueName: 'resolve', data: { messageId: 'm123', rows: [1, 2], secret: 'plaintext here' } }).info('job start');
    const rec = dest.records()[0]!;
    expect(rec).toMatchObject({ jobId: 'm123.resolve.0', queue: 'resolve', messageId: 'm123' });
    expect(dest.text()).not.toContain('plaintext here');
    expect(rec).not.toHaveProperty('rows');
  });

  it('carry message ids, and drop ids that are not ids', () => {
    const { dest, log } = setup();
    messageLogger(log, 'm999').info('a');
    withCorrelation(log, { requestId: 'bad id with spaces <x>', messageId: 'm1' }).info('b');
    const [a, b] = dest.records();
    expect(a).toMatchObject({ messageId: 'm999' });
    expect(b).toMatchObject({ messageId: 'm1' });
    expect(b).not.toHaveProperty('requestId');
  });
});

describe('log-safety', () => {
  it('truncates long error messages', () => {
    const summary = summarizeError(new Error('x'.repeat(1000).replace(/x/g, 'ab ')));
    expect(summary.message!.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS + 1);
  });

  it('summarizes non-errors without their content', () => {
    expect(summarizeError({ body: 'secret' })).toEqual({ name: 'NonErrorObject' });
    expect(summarizeError('secret string')).toEqual({ name: 'NonError(string)' });
  });

  it('flattens control characters and keeps short ids', () => {
    expect(scrubText('line1\nline2\u0000 id m1a2b3', 100)).toBe('line1 line2  id m1a2b3');
  });
});
