/**
 * The update-info e-mail ("you have a new message in your eHealthBox") in
 * French, Dutch, German and English, as plain text and HTML.
 *
 * Confidentiality by construction: the renderer's input type holds only the
 * institution name(s), the dates, the number of messages and the kind of
 * notification. It never receives a title, patient, content or annex, so it
 * cannot put one in an e-mail; unknown fields smuggled in at run time are
 * ignored because only the named fields are read.
 */

/** Languages the e-mail exists in. */
export const MAIL_LANGUAGES = ['fr', 'nl', 'de', 'en'] as const;
/** One of the e-mail languages. */
export type MailLanguage = (typeof MAIL_LANGUAGES)[number];

/** Language when neither the provider nor the tenant has one we support. */
export const DEFAULT_MAIL_LANGUAGE: MailLanguage = 'en';

/** Generic pointer to where the message can be read: the eHealth platform portal (eHealthBox web application). */
export const EHEALTHBOX_PORTAL_URL = 'https://www.ehealth.fgov.be';

/** Belgian time for the dates shown. */
const TIME_ZONE = 'Europe/Brussels';
/** Institutions named in one digest; more would make a long, unreadable sentence. */
const MAX_NAMED_INSTITUTIONS = 5;
/** Longest institution name shown (labels are operator input). */
const MAX_NAME_LENGTH = 200;

/**
 * Who the e-mail is for: `recipient` — a care provider a message was
 * published to (names the sending institution); `staff` — the hospital's
 * staff, about new mail in one of its own boxes (names that box).
 */
export type UpdateInfoKind = 'recipient' | 'staff';

/** Everything an update-info e-mail may say — and nothing else. */
export interface UpdateInfoFacts {
  kind: UpdateInfoKind;
  language: MailLanguage;
  /** Sending institution(s) (`recipient`) or receiving box/institution (`staff`). */
  institutions: readonly string[];
  /** Messages covered by this e-mail (≥ 1). */
  count: number;
  /** When the first and last covered message arrived. */
  first: Date;
  last: Date;
}

/** A rendered e-mail body. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/**
 * The supported language among `candidates` (first match wins: provider's,
 * then tenant's), accepting `FR`, `nl-BE`, `de_DE`…; else English.
 */
export function pickLanguage(...candidates: (string | undefined)[]): MailLanguage {
  for (const c of candidates) {
    const code = c?.trim().toLowerCase().split(/[-_]/)[0];
    const found = MAIL_LANGUAGES.find((l) => l === code);
    if (found) return found;
  }
  return DEFAULT_MAIL_LANGUAGE;
}

/** Words the templates fill in. */
interface Slots {
  names: string;
  count: number;
  date: string;
  first: string;
  last: string;
  url: string;
}

interface Wording {
  locale: string;
  and: string;
  subject(kind: UpdateInfoKind, count: number): string;
  greeting: string;
  body(kind: UpdateInfoKind, s: Slots): string;
  pointer(s: Slots): string;
  footer: string;
}

const WORDING: Record<MailLanguage, Wording> = {
  en: {
    locale: 'en-GB',
    and: 'and',
    subject: (k, n) => (k === 'staff'
      ? (n === 1 ? 'New message in an eHealthBox of your institution' : `${n} new messages in an eHealthBox of your institution`)
      : (n === 1 ? 'New message in your eHealthBox' : `${n} new messages in your eHealthBox`)),
    greeting: 'Hello,',
    body: (k, s) => (k === 'staff'
      ? (s.count === 1 ? `The eHealthBox of ${s.names} received a new message on ${s.date}.` : `The eHealthBox of ${s.names} received ${s.count} new messages between ${s.first} and ${s.last}.`)
      : (s.count === 1 ? `${s.names} sent you a new message in your eHealthBox on ${s.date}.` : `You have ${s.count} new messages in your eHealthBox, sent between ${s.first} and ${s.last} by ${s.names}.`)),
    pointer: (s) => `For confidentiality reasons this e-mail does not contain the message. Read it in your medical software or in the eHealthBox web application of the eHealth platform: ${s.url}`,
    footer: 'This is an automatic notification; please do not reply.',
  },
  fr: {
    locale: 'fr-BE',
    and: 'et',
    subject: (k, n) => (k === 'staff'
      ? (n === 1 ? 'Nouveau message dans une eHealthBox de votre institution' : `${n} nouveaux messages dans une eHealthBox de votre institution`)
      : (n === 1 ? 'Nouveau message dans votre eHealthBox' : `${n} nouveaux messages dans votre eHealthBox`)),
    greeting: 'Bonjour,',
    body: (k, s) => (k === 'staff'
      ? (s.count === 1 ? `L’eHealthBox de ${s.names} a reçu un nouveau message le ${s.date}.` : `L’eHealthBox de ${s.names} a reçu ${s.count} nouveaux messages entre le ${s.first} et le ${s.last}.`)
      : (s.count === 1 ? `${s.names} vous a envoyé un nouveau message dans votre eHealthBox le ${s.date}.` : `Vous avez ${s.count} nouveaux messages dans votre eHealthBox, envoyés entre le ${s.first} et le ${s.last} par ${s.names}.`)),
    pointer: (s) => `Pour des raisons de confidentialité, cet e-mail ne contient pas le message. Consultez-le dans votre logiciel médical ou dans l’application web eHealthBox de la plate-forme eHealth : ${s.url}`,
    footer: 'Ceci est une notification automatique ; merci de ne pas y répondre.',
  },
  nl: {
    locale: 'nl-BE',
    and: 'en',
    subject: (k, n) => (k === 'staff'
      ? (n === 1 ? 'Nieuw bericht in een eHealthBox van uw instelling' : `${n} nieuwe berichten in een eHealthBox van uw instelling`)
      : (n === 1 ? 'Nieuw bericht in uw eHealthBox' : `${n} nieuwe berichten in uw eHealthBox`)),
    greeting: 'Goedendag,',
    body: (k, s) => (k === 'staff'
      ? (s.count === 1 ? `De eHealthBox van ${s.names} heeft op ${s.date} een nieuw bericht ontvangen.` : `De eHealthBox van ${s.names} heeft tussen ${s.first} en ${s.last} ${s.count} nieuwe berichten ontvangen.`)
      : (s.count === 1 ? `${s.names} heeft u op ${s.date} een nieuw bericht gestuurd in uw eHealthBox.` : `U hebt ${s.count} nieuwe berichten in uw eHealthBox, verstuurd tussen ${s.first} en ${s.last} door ${s.names}.`)),
    pointer: (s) => `Om redenen van vertrouwelijkheid bevat deze e-mail het bericht niet. Lees het in uw medische software of in de webapplicatie eHealthBox van het eHealth-platform: ${s.url}`,
    footer: 'Dit is een automatische melding; gelieve niet te antwoorden.',
  },
  de: {
    locale: 'de-BE',
    and: 'und',
    subject: (k, n) => (k === 'staff'
      ? (n === 1 ? 'Neue Nachricht in einer eHealthBox Ihrer Einrichtung' : `${n} neue Nachrichten in einer eHealthBox Ihrer Einrichtung`)
      : (n === 1 ? 'Neue Nachricht in Ihrer eHealthBox' : `${n} neue Nachrichten in Ihrer eHealthBox`)),
    greeting: 'Guten Tag,',
    body: (k, s) => (k === 'staff'
      ? (s.count === 1 ? `Die eHealthBox von ${s.names} hat am ${s.date} eine neue Nachricht erhalten.` : `Die eHealthBox von ${s.names} hat zwischen ${s.first} und ${s.last} ${s.count} neue Nachrichten erhalten.`)
      : (s.count === 1 ? `${s.names} hat Ihnen am ${s.date} eine neue Nachricht in Ihre eHealthBox gesendet.` : `Sie haben ${s.count} neue Nachrichten in Ihrer eHealthBox, gesendet zwischen ${s.first} und ${s.last} von ${s.names}.`)),
    pointer: (s) => `Aus Gründen der Vertraulichkeit enthält diese E-Mail die Nachricht nicht. Lesen Sie sie in Ihrer medizinischen Software oder in der Webanwendung eHealthBox der eHealth-Plattform: ${s.url}`,
    footer: 'Dies ist eine automatische Benachrichtigung; bitte antworten Sie nicht darauf.',
  },
};

/** Operator-supplied names: no control characters (header/line injection), bounded length. */
function cleanName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = name.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > MAX_NAME_LENGTH ? flat.slice(0, MAX_NAME_LENGTH - 1) + '…' : flat;
}

function joinNames(names: readonly string[], and: string): string {
  const unique = [...new Set(names.map(cleanName).filter((n) => n !== ''))];
  const shown = unique.slice(0, MAX_NAMED_INSTITUTIONS);
  if (unique.length > shown.length) return `${shown.join(', ')}, …`;
  if (shown.length <= 1) return shown[0] ?? 'eHealth';
  return `${shown.slice(0, -1).join(', ')} ${and} ${shown.at(-1)!}`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function htmlBody(paragraphs: readonly string[], url: string, lang: MailLanguage): string {
  const link = `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
  const ps = paragraphs.map((p) => `<p>${escapeHtml(p).replace(escapeHtml(url), link)}</p>`).join('\n');
  return `<!DOCTYPE html>\n<html lang="${lang}"><head><meta charset="utf-8"></head><body>\n${ps}\n</body></html>\n`;
}

/** Renders the update-info e-mail; only the fields of `UpdateInfoFacts` are read. */
export function renderUpdateInfo(facts: UpdateInfoFacts): RenderedMail {
  const { kind, language, institutions, first, last } = facts;
  const count = Math.max(1, Math.trunc(facts.count));
  const lang = pickLanguage(language);
  const w = WORDING[lang];
  const fmt = new Intl.DateTimeFormat(w.locale, { dateStyle: 'long', timeStyle: 'short', timeZone: TIME_ZONE });
  const slots: Slots = {
    names: joinNames(institutions, w.and),
    count,
    date: fmt.format(last),
    first: fmt.format(first),
    last: fmt.format(last),
    url: EHEALTHBOX_PORTAL_URL,
  };
  const paragraphs = [w.greeting, w.body(kind, slots), w.pointer(slots), w.footer];
  return {
    subject: w.subject(kind, count),
    text: paragraphs.join('\n\n') + '\n',
    html: htmlBody(paragraphs, EHEALTHBOX_PORTAL_URL, lang),
  };
}
