/**
 * Addressbook 1.1 client: the four operations (HOK-signed), with paging
 * helpers, over the shared codecs.
 */
import crypto from 'node:crypto';
import { SOAP_ACTIONS } from '../soap/soap-actions.ts';
import type { EhealthEndpoints, EhealthSession } from '../ehealth/session.ts';
import {
  encodeGetOrganizationContactInfoRequest,
  encodeGetProfessionalContactInfoRequest,
  encodeSearchOrganizationsRequest,
  encodeSearchProfessionalsRequest,
} from './wire/requests.ts';
import {
  decodeGetOrganizationContactInfoResponse,
  decodeGetProfessionalContactInfoResponse,
  decodeSearchOrganizationsResponse,
  decodeSearchProfessionalsResponse,
} from './wire/responses.ts';
import { isAbSuccess } from './wire/header-codec.ts';
import type {
  GetOrganizationContactInfoRequest,
  GetProfessionalContactInfoRequest,
  HealthCareOrganization,
  HealthCareProfessional,
  OrganizationContactInformation,
  IndividualContactInformation,
  AbStatus,
  SearchOrganizationsRequest,
  SearchProfessionalsRequest,
} from './wire/types.ts';

/** Page size asked by the client (freehealth always asks 100). */
export const ADDRESSBOOK_PAGE_SIZE = 100;
/** Safety cap on paging through one search. */
const MAX_PAGES = 50;

/** An Addressbook answer with a non-success status. */
export class AddressbookError extends Error {
  override readonly name = 'AddressbookError';
  readonly permanent = true;
  constructor(readonly status: AbStatus) {
    super(`Addressbook status ${status.code}${status.message ? `: ${status.message}` : ''}`);
  }
}

type Header = { issueInstant: string; id: string };
const header = (): Header => ({ issueInstant: new Date().toISOString(), id: `_${crypto.randomUUID()}` });

/** Typed access to the Addressbook for one session. */
export class AddressbookClient {
  constructor(
    readonly session: EhealthSession,
    private readonly endpoints: Pick<EhealthEndpoints, 'addressbook'>,
  ) {}

  private async post(action: string | null, xml: string) {
    const res = await this.session.call(this.endpoints.addressbook, action ?? '', xml);
    return res.envelope.payload;
  }

  /** One page (ADDRESSBOOK_PAGE_SIZE) of professionals matching the criteria, from `offset`. */
  async searchProfessionals(q: Omit<SearchProfessionalsRequest, 'issueInstant' | 'id' | 'offset' | 'maxElements'>, offset = 0): Promise<HealthCareProfessional[]> {
    const el = await this.post(SOAP_ACTIONS.searchProfessionals, encodeSearchProfessionalsRequest({ ...header(), ...q, offset, maxElements: ADDRESSBOOK_PAGE_SIZE }));
    const res = decodeSearchProfessionalsResponse(el);
    if (!isAbSuccess(res.status)) throw new AddressbookError(res.status);
    return res.professionals;
  }

  /** Every page of a professionals search. */
  async searchAllProfessionals(q: Omit<SearchProfessionalsRequest, 'issueInstant' | 'id' | 'offset' | 'maxElements'>): Promise<HealthCareProfessional[]> {
    return pageAll((offset) => this.searchProfessionals(q, offset));
  }

  /** Contact data, professions and eHealthBox(es) of one professional; undefined when unknown. */
  async getProfessionalContactInfo(key: GetProfessionalContactInfoRequest['key']): Promise<IndividualContactInformation | undefined> {
    const el = await this.post(SOAP_ACTIONS.getProfessionalContactInfo, encodeGetProfessionalContactInfoRequest({ ...header(), key }));
    const res = decodeGetProfessionalContactInfoResponse(el);
    if (!isAbSuccess(res.status)) throw new AddressbookError(res.status);
    return res.individual;
  }

  /** One page (ADDRESSBOOK_PAGE_SIZE) of organisations matching the criteria, from `offset`. */
  async searchOrganizations(q: Omit<SearchOrganizationsRequest, 'issueInstant' | 'id' | 'offset' | 'maxElements'>, offset = 0): Promise<HealthCareOrganization[]> {
    const el = await this.post(SOAP_ACTIONS.searchOrganizations, encodeSearchOrganizationsRequest({ ...header(), ...q, offset, maxElements: ADDRESSBOOK_PAGE_SIZE }));
    const res = decodeSearchOrganizationsResponse(el);
    if (!isAbSuccess(res.status)) throw new AddressbookError(res.status);
    return res.organizations;
  }

  /** Every page of an organisations search. */
  async searchAllOrganizations(q: Omit<SearchOrganizationsRequest, 'issueInstant' | 'id' | 'offset' | 'maxElements'>): Promise<HealthCareOrganization[]> {
    return pageAll((offset) => this.searchOrganizations(q, offset));
  }

  /** Contact data and eHealthBox(es) of one organisation; undefined when unknown. */
  async getOrganizationContactInfo(key: GetOrganizationContactInfoRequest['key'], institutionType?: string): Promise<OrganizationContactInformation | undefined> {
    const el = await this.post(SOAP_ACTIONS.getOrganizationContactInfo, encodeGetOrganizationContactInfoRequest({ ...header(), key, institutionType }));
    const res = decodeGetOrganizationContactInfoResponse(el);
    if (!isAbSuccess(res.status)) throw new AddressbookError(res.status);
    return res.organization;
  }
}

async function pageAll<T>(fetchPage: (offset: number) => Promise<T[]>): Promise<T[]> {
  const all: T[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const items = await fetchPage(page * ADDRESSBOOK_PAGE_SIZE);
    all.push(...items);
    if (items.length < ADDRESSBOOK_PAGE_SIZE) break;
  }
  return all;
}
