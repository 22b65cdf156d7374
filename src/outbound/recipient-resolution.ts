/**
 * How the outbound workers resolve a recipient reference (the API's shapes:
 * explicit identifier or `{ search: { kind, … } }`): through the shared
 * RecipientResolver (Addressbook contact as the sender, ETKs from the depot),
 * with the Addressbook part cached in memory — directory entries change
 * rarely, and without it every message would cost one more signed
 * Addressbook call per recipient. ETKs have their own (Redis) cache.
 */
import { RecipientResolver, type ExplicitRecipient as ResolverExplicit, type SearchCriteria } from '../addressbook/recipient-resolver.ts';
import type { EtkDepotClient } from '../etkdepot/etk-depot-client.ts';
import type { ExplicitRecipient, SearchRecipient } from '../tenancy/recipient-ref.ts';
import type { ResolveRecipientFn, ResolvedRecipient } from '../workers/outbound-deps.ts';
import type { Sender } from './sender-registry.ts';

/** How long an Addressbook answer (box address, e-mail, language) is reused. */
export const DIRECTORY_CACHE_TTL_MS = 10 * 60_000;
const DIRECTORY_CACHE_ENTRIES = 20_000;

type Directory = Omit<ResolvedRecipient, 'etks'>;

/** The identifier a search names directly (ssin/nihii/key), or the resolver's criteria. */
function fromSearch(ref: SearchRecipient): { explicit: ResolverExplicit } | { criteria: SearchCriteria; quality?: string | undefined } {
  const s = ref.search;
  if (s.kind === 'professional') {
    const quality = s.quality ?? 'DOCTOR';
    if (s.ssin) return { explicit: { type: 'SSIN', id: s.ssin, quality } };
    if (s.nihii) return { explicit: { type: s.nihii.length === 11 ? 'NIHII11' : 'NIHII', id: s.nihii, quality } };
    return { criteria: { firstName: s.firstName, lastName: s.lastName, profession: s.profession, zip: s.zipCode, city: s.city }, quality: s.quality };
  }
  if (s.key) {
    const type = s.key.type === 'NIHII' ? `NIHII-${s.institutionType ?? 'HOSPITAL'}` : s.key.type;
    return { explicit: { type, id: s.key.value, quality: s.institutionType ?? (s.key.type === 'CBE' ? 'INSTITUTION' : s.key.type === 'EHP' ? 'INSTITUTION_EHP' : 'HOSPITAL') } };
  }
  return { criteria: { institutionName: s.institutionName, institutionType: s.institutionType, zip: s.zipCode, city: s.city } };
}

/** The resolver the workers use. */
export function createRecipientResolution(etkDepot: EtkDepotClient, now: () => number = Date.now): ResolveRecipientFn {
  const cache = new Map<string, { at: number; value: Directory }>();
  return async (sender: Sender, ref: ExplicitRecipient | SearchRecipient) => {
    const key = JSON.stringify(ref);
    const hit = cache.get(key);
    if (hit && now() - hit.at < DIRECTORY_CACHE_TTL_MS) {
      return { ...hit.value, etks: await etkDepot.getEtks({ type: hit.value.type, value: hit.value.id }) };
    }
    const resolver = new RecipientResolver(sender.addressbook, etkDepot);
    let explicit: ResolverExplicit;
    if ('search' in ref) {
      const s = fromSearch(ref);
      explicit = 'explicit' in s ? s.explicit : await resolver.findOne(s.criteria, s.quality);
    } else {
      explicit = { type: ref.type, id: ref.id, quality: ref.quality };
    }
    const r = await resolver.resolveExplicit(explicit);
    const directory: Directory = { type: explicit.type, id: explicit.id, quality: explicit.quality, destination: r.destination, email: r.email, language: r.language };
    cache.delete(key);
    cache.set(key, { at: now(), value: directory });
    if (cache.size > DIRECTORY_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    return { ...directory, etks: r.etks };
  };
}
