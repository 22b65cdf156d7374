/**
 * How the outbound workers resolve a recipient reference: the eHealthBox
 * address and e-mail from the Addressbook (as the sender), the ETKs from the
 * ETK Depot (cached, validated).
 */
import { toEhboxType } from '../common/identifiers.ts';
import type { EtkDepotClient } from '../etkdepot/etk-depot-client.ts';
import type { ExplicitRecipient, SearchRecipient } from '../tenancy/recipient-ref.ts';
import type { ResolveRecipientFn, ResolvedRecipient } from '../workers/outbound-deps.ts';
import type { Sender } from './sender-registry.ts';

/** A recipient that cannot be resolved, with a stable code; never worth retrying. */
export class RecipientError extends Error {
  readonly permanent = true;
  constructor(
    readonly code: 'RECIPIENT_NOT_FOUND' | 'RECIPIENT_AMBIGUOUS',
    message: string,
  ) {
    super(message);
  }
}

async function explicit(sender: Sender, etkDepot: EtkDepotClient, ref: ExplicitRecipient): Promise<ResolvedRecipient> {
  const etks = await etkDepot.getEtks({ type: ref.type, value: ref.id });
  const derived = toEhboxType(ref.type === 'NIHII' && ref.id.length === 11 ? 'NIHII11' : ref.type);
  let destination: ResolvedRecipient['destination'] = { id: ref.id, type: derived.type, subType: derived.subType, quality: ref.quality };
  let email: string | undefined;
  let language: string | undefined;
  if (ref.type === 'SSIN' || ref.type === 'NIHII' || ref.type === 'NIHII11') {
    const info = await sender.addressbook.getProfessionalContactInfo({ type: ref.type === 'SSIN' ? 'SSIN' : 'NIHII', value: ref.id });
    if (!info) throw new RecipientError('RECIPIENT_NOT_FOUND', `${ref.type} ${ref.id} is not in the Addressbook`);
    const prof = info.professionalInformation.find((p) => p.eHealthBox?.quality === ref.quality) ?? info.professionalInformation.find((p) => p.eHealthBox);
    if (prof?.eHealthBox && prof.eHealthBox.quality === ref.quality) destination = { ...prof.eHealthBox };
    email = [...(prof?.additionalInformation ?? []), ...info.additionalInformation].find((a) => a.type === 'Mail')?.value;
    language = info.language;
  } else {
    const keyType = ref.type.startsWith('NIHII') ? 'NIHII' : ref.type.startsWith('CBE') ? 'CBE' : 'EHP';
    const org = await sender.addressbook.getOrganizationContactInfo({ type: keyType, value: ref.id });
    if (!org) throw new RecipientError('RECIPIENT_NOT_FOUND', `${ref.type} ${ref.id} is not in the Addressbook`);
    const box = org.eHealthBoxes.find((b) => b.quality === ref.quality) ?? org.eHealthBoxes[0];
    if (box) destination = { ...box };
    email = org.additionalInformation.find((a) => a.type === 'Mail')?.value;
  }
  return { type: ref.type, id: ref.id, quality: ref.quality, destination, email, language, etks };
}

/** Quality of a professional's box from its Addressbook profession code. */
const QUALITY_OF_PROFESSION: Record<string, string> = { PHYSICIAN: 'DOCTOR' };

async function search(sender: Sender, etkDepot: EtkDepotClient, ref: SearchRecipient): Promise<ResolvedRecipient> {
  const s = ref.search;
  if (s.kind === 'organization') {
    const orgs = await sender.addressbook.searchAllOrganizations({ key: s.key, institutionName: s.institutionName, institutionType: s.institutionType, zipCode: s.zipCode, city: s.city, email: s.email });
    if (orgs.length !== 1) throw ambiguity(orgs.length, orgs.map((o) => `${o.names[0]?.value ?? '?'} (${o.id.type} ${o.id.value})`));
    const o = orgs[0]!;
    const code = o.typeCodes[0]?.value ?? 'HOSPITAL';
    const type = o.id.type === 'NIHII' ? `NIHII-${code}` : o.id.type === 'HCI' ? 'EHP' : 'CBE';
    return explicit(sender, etkDepot, { type, id: o.id.value, quality: code });
  }
  const key = s.ssin ? { type: 'SSIN' as const, value: s.ssin } : s.nihii ? { type: 'NIHII' as const, value: s.nihii } : undefined;
  const pros = await sender.addressbook.searchAllProfessionals({ key, firstName: s.firstName, lastName: s.lastName, profession: s.profession, zipCode: s.zipCode, city: s.city, email: s.email });
  if (pros.length !== 1) throw ambiguity(pros.length, pros.map((p) => `${p.firstName ?? ''} ${p.lastName} (${p.professions[0]?.nihii ?? p.ssin ?? '?'})`));
  const p = pros[0]!;
  const nihii = p.professions[0]?.nihii;
  const code = p.professions[0]?.codes[0]?.value ?? 'PHYSICIAN';
  const quality = s.quality ?? QUALITY_OF_PROFESSION[code] ?? code;
  return explicit(sender, etkDepot, nihii ? { type: 'NIHII', id: nihii.slice(0, 8), quality } : { type: 'SSIN', id: p.ssin!, quality });
}

function ambiguity(n: number, candidates: string[]): RecipientError {
  if (n === 0) return new RecipientError('RECIPIENT_NOT_FOUND', 'No party of the Addressbook matches the search');
  return new RecipientError('RECIPIENT_AMBIGUOUS', `${n} parties match the search: ${candidates.slice(0, 10).join('; ')}`);
}

/**
 * How long an Addressbook answer (box address, e-mail, language) is reused:
 * directory entries change rarely, and without it every message would cost
 * one more signed Addressbook call per recipient. ETKs have their own cache.
 */
export const DIRECTORY_CACHE_TTL_MS = 10 * 60_000;
const DIRECTORY_CACHE_ENTRIES = 20_000;

type Directory = Omit<ResolvedRecipient, 'etks'>;

/** The resolver the workers use (Addressbook answers cached in memory). */
export function createRecipientResolution(etkDepot: EtkDepotClient, now: () => number = Date.now): ResolveRecipientFn {
  const cache = new Map<string, { at: number; value: Directory }>();
  return async (sender, ref) => {
    const key = JSON.stringify(ref);
    const hit = cache.get(key);
    if (hit && now() - hit.at < DIRECTORY_CACHE_TTL_MS) {
      return { ...hit.value, etks: await etkDepot.getEtks({ type: hit.value.type, value: hit.value.id }) };
    }
    const r = 'search' in ref ? await search(sender, etkDepot, ref) : await explicit(sender, etkDepot, ref);
    const { etks: _etks, ...directory } = r;
    cache.delete(key);
    cache.set(key, { at: now(), value: directory });
    if (cache.size > DIRECTORY_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    return r;
  };
}
