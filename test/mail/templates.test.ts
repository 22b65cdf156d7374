import { describe, expect, expectTypeOf, it } from 'vitest';
import { escapeHtml, pickLanguage, renderUpdateInfo, type UpdateInfoFacts } from '../../src/mail/templates.ts';

const first = new Date('2025-03-03T08:15:00Z');
const last = new Date('2025-03-03T09:40:00Z');
const facts = (over: Partial<UpdateInfoFacts> = {}): UpdateInfoFacts => ({
  kind: 'recipient', language: 'en', institutions: ['AZ Fictief'], count: 1, first: last, last, ...over,
});

describe('update-info templates', () => {
  it('takes only institution, dates, count, kind and language (type level)', () => {
    expectTypeOf<keyof UpdateInfoFacts>().toEqualTypeOf<'kind' | 'language' | 'institutions' | 'count' | 'first' | 'last'>();
    // @ts-expect-error a title cannot be given to the template
    renderUpdateInfo({ ...facts(), title: 'x' });
    // @ts-expect-error nor a patient
    renderUpdateInfo({ ...facts(), patientInss: 'x' });
  });

  it('ignores medical fields smuggled in at run time', () => {
    const marker = 'MARKER-7d1e-title-content-patient-annex';
    const smuggled = { ...facts({ count: 2, first }), title: marker, content: marker, freeText: marker, patientInss: marker, annexes: [{ filename: marker }] };
    const out = renderUpdateInfo(smuggled as UpdateInfoFacts);
    expect(JSON.stringify(out)).not.toContain('MARKER');
    expect(out.text).toContain('AZ Fictief');
  });

  it.each([
    ['fr', 'Nouveau message dans votre eHealthBox', 'vous a envoyé un nouveau message', '3 mars 2025'],
    ['nl', 'Nieuw bericht in uw eHealthBox', 'heeft u op', '3 maart 2025'],
    ['de', 'Neue Nachricht in Ihrer eHealthBox', 'hat Ihnen am', '3. März 2025'],
    ['en', 'New message in your eHealthBox', 'sent you a new message', '3 March 2025'],
  ] as const)('speaks %s, with the date in Belgian time', (language, subject, phrase, date) => {
    const out = renderUpdateInfo(facts({ language }));
    expect(out.subject).toBe(subject);
    expect(out.text).toContain(phrase);
    expect(out.text).toContain(date);
    expect(out.text).toContain('10:40'); // 09:40 UTC = 10:40 in Brussels (CET)
    expect(out.text).toContain('https://www.ehealth.fgov.be');
    expect(out.html).toContain(`<html lang="${language}">`);
  });

  it('counts a digest and names each institution once, with both dates', () => {
    const out = renderUpdateInfo(facts({ count: 20, first, institutions: ['AZ Fictief', 'CHU Imaginaire', 'AZ Fictief'] }));
    expect(out.subject).toBe('20 new messages in your eHealthBox');
    expect(out.text).toContain('You have 20 new messages');
    expect(out.text).toContain('AZ Fictief and CHU Imaginaire');
    expect(out.text).toContain('09:15');
    expect(out.text).toContain('10:40');
    expect(out.text.match(/AZ Fictief/g)).toHaveLength(1);
  });

  it('has a staff variant naming the receiving box', () => {
    const out = renderUpdateInfo(facts({ kind: 'staff', language: 'nl', count: 3, first, institutions: ['Cardiologie'] }));
    expect(out.subject).toBe('3 nieuwe berichten in een eHealthBox van uw instelling');
    expect(out.text).toContain('De eHealthBox van Cardiologie heeft tussen');
  });

  it('escapes names in HTML and strips control characters everywhere', () => {
    const out = renderUpdateInfo(facts({ institutions: ['<script>alert("x")</script> & Co\r\nBcc: evil@example.test'] }));
    expect(out.html).not.toContain('<script>');
    expect(out.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co Bcc: evil@example.test');
    expect(out.text).not.toMatch(/Co\r?\nBcc/);
    expect(escapeHtml(`a'b`)).toBe('a&#39;b');
  });

  it('picks the provider language, then the fallback, then English', () => {
    expect(pickLanguage('NL')).toBe('nl');
    expect(pickLanguage('fr-BE')).toBe('fr');
    expect(pickLanguage('de_DE')).toBe('de');
    expect(pickLanguage(undefined, 'FR')).toBe('fr');
    expect(pickLanguage('it', 'es')).toBe('en');
    expect(pickLanguage()).toBe('en');
  });
});
