/**
 * The sandbox Addressbook 1.1: search and contact info for professionals and
 * organisations of the seed directory, with Offset/MaxElements paging, each
 * party's eHealthBox and e-mail (HealthCareAdditionalInformation `Mail`).
 * Calls need a valid holder-of-key token, as on the platform.
 */
import crypto from 'node:crypto';
import {
  decodeGetOrganizationContactInfoRequest,
  decodeGetProfessionalContactInfoRequest,
  decodeSearchOrganizationsRequest,
  decodeSearchProfessionalsRequest,
} from '../../addressbook/wire/requests.ts';
import {
  encodeGetOrganizationContactInfoResponse,
  encodeGetProfessionalContactInfoResponse,
  encodeSearchOrganizationsResponse,
  encodeSearchProfessionalsResponse,
} from '../../addressbook/wire/responses.ts';
import { AB_STATUS_SUCCESS, type Address, type AdditionalInformation, type HealthCareOrganization, type HealthCareProfessional, type Profession } from '../../addressbook/wire/types.ts';
import type { PartyDirectory } from '../directory/party-directory.ts';
import type { Party } from '../directory/party.ts';
import type { SandboxMaterial } from '../material.ts';
import type { SoapAnswer, SoapCall, SoapService } from '../http/soap-endpoint.ts';
import { businessFault } from '../http/soap-endpoint.ts';
import { authenticateCaller } from './identity.ts';

/** Largest page the sandbox answers (the platform's own maximum is not documented). */
export const MAX_PAGE_SIZE = 100;

const FRIENDLY: Record<string, string> = {
  PHYSICIAN: 'Physician',
  NURSE: 'Nurse',
  PHARMACIST: 'Pharmacist',
  HOSPITAL: 'Hospital',
  PHARMACY: 'Pharmacy',
  MEDICAL_HOUSE: 'Medical house',
  INSTITUTION: 'Institution',
  INSTITUTION_EHP: 'eHealth partner',
};

function address(p: Party): Address {
  return {
    street: { descriptions: [{ value: p.address.street, lang: p.language.toLowerCase() }] },
    houseNumber: p.address.houseNumber,
    municipality: { zipCode: String(p.address.zip), descriptions: [{ value: p.address.city, lang: p.language.toLowerCase() }] },
    country: { isoCode: 'BE', descriptions: [{ value: 'Belgium', lang: 'en' }] },
  };
}

function extra(p: Party): AdditionalInformation[] {
  const out: AdditionalInformation[] = p.email ? [{ value: p.email, type: 'Mail' }] : [];
  for (const w of p.wards ?? []) out.push({ value: w, type: 'Ward' });
  if (p.workplace) out.push({ value: `${p.workplace.hospital}/${p.workplace.ward}`, type: 'Ward' });
  return out;
}

function profession(p: Party): Profession {
  return {
    codes: [{ value: p.professionCode, authenticSource: 'NIHII', type: 'code' }],
    friendlyNames: [{ value: FRIENDLY[p.professionCode] ?? p.professionCode, lang: 'en' }],
    nihii: p.nihii11 ?? p.nihii,
    specialities: [],
  };
}

function professional(p: Party): HealthCareProfessional {
  return { ssin: p.ssin, lastName: p.lastName ?? p.displayName, firstName: p.firstName, language: p.language.toLowerCase(), gender: p.gender, professions: [profession(p)] };
}

function organisation(p: Party): HealthCareOrganization {
  const idType = p.cbe ? 'CBE' : p.ehp ? 'HCI' : 'NIHII';
  return {
    id: { value: p.nihii ?? p.cbe ?? p.ehp ?? p.certIdentity.id, authenticSource: p.ehp ? 'EHP' : p.cbe ? 'CBE' : 'NIHII', type: idType },
    typeCodes: [{ value: p.professionCode, authenticSource: p.cbe ? 'CBE' : p.ehp ? 'EHP' : 'NIHII', type: 'code' }],
    typeFriendlyNames: [{ value: FRIENDLY[p.professionCode] ?? p.professionCode, lang: 'en' }],
    names: [{ value: p.displayName, lang: p.language.toLowerCase() }],
  };
}

const like = (value: string | undefined, wanted: string | undefined) => !wanted || (value ?? '').toLowerCase().startsWith(wanted.toLowerCase().replace(/\*$/, ''));
const place = (p: Party, city?: string, zip?: string) => (!city || p.address.city.toLowerCase() === city.toLowerCase()) && (!zip || String(p.address.zip) === zip);

function header(req: { id?: string | undefined }, now: Date) {
  return { id: `_${crypto.randomUUID()}`, inResponseTo: req.id, issueInstant: now.toISOString(), status: { code: AB_STATUS_SUCCESS, subCodes: [] } };
}

function page<T>(items: T[], offset: number, max: number): T[] {
  if (max > MAX_PAGE_SIZE || max < 1 || offset < 0) throw businessFault('INVALID_PAGING', `MaxElements must be 1..${MAX_PAGE_SIZE} and Offset ≥ 0`);
  return items.slice(offset, offset + max);
}

/** The Addressbook SOAP service. */
export function createAddressbookService(deps: { material: SandboxMaterial; directory: PartyDirectory; now: () => Date }): SoapService {
  const persons = () => deps.directory.parties.filter((p) => p.kind === 'person');
  const orgs = () => deps.directory.parties.filter((p) => p.kind === 'organisation');
  return {
    operations: ['searchProfessionals', 'getProfessionalContactInfo', 'searchOrganizations', 'getOrganizationContactInfo'],
    handle(call: SoapCall): SoapAnswer {
      authenticateCaller(call.envelope.doc, { ...deps, now: deps.now() });
      switch (call.operation) {
        case 'searchProfessionals': {
          const q = decodeSearchProfessionalsRequest(call.payload);
          const hits = persons().filter(
            (p) =>
              (!q.key || (q.key.type === 'SSIN' ? p.ssin === q.key.value : p.nihii === q.key.value || p.nihii11 === q.key.value)) &&
              like(p.firstName, q.firstName) &&
              like(p.lastName, q.lastName) &&
              (!q.profession || p.professionCode === q.profession) &&
              place(p, q.city, q.zipCode) &&
              (!q.email || p.email === q.email),
          );
          return { payloadXml: encodeSearchProfessionalsResponse({ ...header(q, deps.now()), offset: q.offset, maxElements: q.maxElements, professionals: page(hits, q.offset, q.maxElements).map(professional) }) };
        }
        case 'getProfessionalContactInfo': {
          const q = decodeGetProfessionalContactInfoRequest(call.payload);
          const p = persons().find((x) => (q.key.type === 'SSIN' ? x.ssin === q.key.value : x.nihii === q.key.value || x.nihii11 === q.key.value));
          const individual = p && {
            ...professional(p),
            addresses: [address(p)],
            additionalInformation: p.email ? [{ value: p.email, type: 'Mail' }] : [],
            professionalInformation: [{ profession: profession(p), addresses: [address(p)], additionalInformation: extra(p), eHealthBox: p.boxes[0] }],
          };
          return { payloadXml: encodeGetProfessionalContactInfoResponse({ ...header(q, deps.now()), individual }) };
        }
        case 'searchOrganizations': {
          const q = decodeSearchOrganizationsRequest(call.payload);
          const hits = orgs().filter(
            (p) =>
              (!q.key || [p.nihii, p.cbe, p.ehp].includes(q.key.value)) &&
              (!q.institutionName || p.displayName.toLowerCase().includes(q.institutionName.toLowerCase())) &&
              (!q.institutionType || p.professionCode === q.institutionType) &&
              place(p, q.city, q.zipCode) &&
              (!q.email || p.email === q.email),
          );
          return { payloadXml: encodeSearchOrganizationsResponse({ ...header(q, deps.now()), offset: q.offset, maxElements: q.maxElements, organizations: page(hits, q.offset, q.maxElements).map(organisation) }) };
        }
        default: {
          const q = decodeGetOrganizationContactInfoRequest(call.payload);
          const p = orgs().find((x) => [x.nihii, x.cbe, x.ehp].includes(q.key.value) && (!q.institutionType || x.professionCode === q.institutionType));
          const organization = p && { ...organisation(p), addresses: [address(p)], additionalInformation: extra(p), eHealthBoxes: [p.boxes[0]!] };
          return { payloadXml: encodeGetOrganizationContactInfoResponse({ ...header(q, deps.now()), organization }) };
        }
      }
    },
  };
}
