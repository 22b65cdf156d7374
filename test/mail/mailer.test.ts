import { describe, expect, it } from 'vitest';
import { classifySmtpError, MailError } from '../../src/mail/mailer.ts';

describe('SMTP error classification', () => {
  it.each([
    [{ responseCode: 421, response: '421 try later' }, 'SMTP_TRANSIENT'],
    [{ responseCode: 451, code: 'EENVELOPE', response: '451 greylisted' }, 'SMTP_TRANSIENT'],
    [{ responseCode: 452 }, 'SMTP_TRANSIENT'],
    [{ responseCode: 503, response: '503 bad sequence' }, 'SMTP_TRANSIENT'],
    [{ responseCode: 550, code: 'EENVELOPE', response: '550 no such user' }, 'SMTP_PERMANENT'],
    [{ responseCode: 552 }, 'SMTP_PERMANENT'],
    [{ responseCode: 535, code: 'EAUTH' }, 'SMTP_PERMANENT'],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, 'SMTP_TRANSIENT'],
    [{ code: 'ETIMEDOUT' }, 'SMTP_TRANSIENT'],
    [{ code: 'ECONNECTION' }, 'SMTP_TRANSIENT'],
    [{ code: 'EENVELOPE' }, 'SMTP_PERMANENT'],
    [{ code: 'ECONFIG' }, 'SMTP_PERMANENT'],
  ])('%j → %s', (err, code) => {
    const out = classifySmtpError(Object.assign(new Error('smtp'), err));
    expect(out).toBeInstanceOf(MailError);
    expect(out.code).toBe(code);
    expect(out.permanent).toBe(code === 'SMTP_PERMANENT');
  });

  it('keeps the reply text short and on one line', () => {
    const out = classifySmtpError(Object.assign(new Error('x'), { responseCode: 550, response: `550 ${'a'.repeat(1000)}\r\nmore` }));
    expect(out.message.length).toBeLessThanOrEqual(310);
    expect(out.message).not.toMatch(/[\r\n]/);
    expect(out.responseCode).toBe(550);
  });
});
