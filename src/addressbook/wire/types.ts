/**
 * Addressbook 1.1 messages as typed data (PROTOCOL.md §9), shared by the
 * client (encode requests, decode responses) and the sandbox (the other way
 * round). Field order follows the schema; repeated elements are arrays that
 * are always present (possibly empty), optional single elements are optional
 * fields. Values are kept as the strings on the wire.
 */
import type { BoxAddress } from '../../ehbox/wire/types.ts';

/** Success value of `Status/StatusCode@Value` (commons v2). */
export const AB_STATUS_SUCCESS = 'urn:be:fgov:ehealth:2.0:status:Success';

/** Attributes of every request (commons v2 RequestType). */
export interface AbRequestHeader {
  /** Optional xs:ID. */
  id?: string | undefined;
  /** Required xs:dateTime, e.g. `2024-05-01T10:00:00.000Z`. */
  issueInstant: string;
}

/** Paging attributes of searches (both required xs:int, echoed in the answer). */
export interface AbPagination {
  offset: number;
  maxElements: number;
}

/** Identifier of a professional in a request (choice NIHII | SSIN). */
export interface ProfessionalKey {
  type: 'NIHII' | 'SSIN';
  /** NIHII: 8 or 11 digits; SSIN: 11 digits. */
  value: string;
}

/** Identifier of an organisation in a request (choice NIHII | CBE | EHP). */
export interface OrganizationKey {
  type: 'NIHII' | 'CBE' | 'EHP';
  /** NIHII: 8 or 11 digits; CBE and EHP: 10 digits. */
  value: string;
}

/** searchProfessionals criteria; `city` and `zipCode` exclude each other. */
export interface SearchProfessionalsRequest extends AbRequestHeader, AbPagination {
  key?: ProfessionalKey | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  /** Profession code, e.g. `PHYSICIAN`. */
  profession?: string | undefined;
  city?: string | undefined;
  zipCode?: string | undefined;
  email?: string | undefined;
}

/** getProfessionalContactInfo: one professional by NIHII or SSIN. */
export interface GetProfessionalContactInfoRequest extends AbRequestHeader {
  key: ProfessionalKey;
}

/** searchOrganizations criteria; `city` and `zipCode` exclude each other. */
export interface SearchOrganizationsRequest extends AbRequestHeader, AbPagination {
  key?: OrganizationKey | undefined;
  institutionName?: string | undefined;
  /** Institution type / quality, e.g. `HOSPITAL`. */
  institutionType?: string | undefined;
  city?: string | undefined;
  zipCode?: string | undefined;
  email?: string | undefined;
}

/** getOrganizationContactInfo: one organisation by NIHII, CBE or EHP. */
export interface GetOrganizationContactInfoRequest extends AbRequestHeader {
  key: OrganizationKey;
  institutionType?: string | undefined;
}

/** commons v2 Status: top code, nested sub-codes (outermost first), optional message. StatusDetail is not modelled. */
export interface AbStatus {
  code: string;
  subCodes: string[];
  message?: string | undefined;
}

/** Attributes and Status of every response (commons v2 StatusResponseType). */
export interface AbResponseHeader {
  /** Required xs:ID: starts with a letter or `_`. */
  id: string;
  inResponseTo?: string | undefined;
  issueInstant: string;
  status: AbStatus;
}

/** A string with optional `xml:lang` (I.AM NameType / DescriptionType). */
export interface LocalizedText {
  value: string;
  lang?: string | undefined;
}

/** A code with its source (ProfessionCodeType / TypeCodeType): both attributes required. */
export interface SourcedCode {
  value: string;
  authenticSource: string;
  type: string;
}

/** aa:Speciality. */
export interface Speciality {
  code: string;
  friendlyNames: LocalizedText[];
}

/** aa ProfessionTypeV3: codes (1+), friendly names (1+), NIHII?, specialities. */
export interface Profession {
  codes: SourcedCode[];
  friendlyNames: LocalizedText[];
  nihii?: string | undefined;
  specialities: Speciality[];
}

/** aa:AddressType: Street and Municipality each need at least one description. */
export interface Address {
  /** e.g. contact, activity. */
  type?: string | undefined;
  bstCode?: string | undefined;
  street: { nsiCode?: string | undefined; descriptions: LocalizedText[] };
  houseNumber?: string | undefined;
  postBox?: string | undefined;
  /** `zipCode` is an xs:integer on the wire. */
  municipality: { zipCode?: string | undefined; nsiCode?: string | undefined; descriptions: LocalizedText[] };
  country?: { isoCode?: string | undefined; nsiCode?: string | undefined; descriptions: LocalizedText[] } | undefined;
}

/** aa:HealthCareAdditionalInformation: other contact ways, e.g. `{ type: 'Mail', value: 'x@y.be' }`. */
export interface AdditionalInformation {
  value: string;
  type?: string | undefined;
}

/** aa IndividualType: who a professional is. */
export interface Individual {
  ssin?: string | undefined;
  lastName: string;
  firstName?: string | undefined;
  middleNames?: string | undefined;
  language?: string | undefined;
  gender?: string | undefined;
  birthDate?: string | undefined;
  deathDate?: string | undefined;
}

/** A search hit (aa:HealthCareProfessional): no ehBox data. */
export interface HealthCareProfessional extends Individual {
  professions: Profession[];
}

/** The ehBox address the Addressbook gives for a profession or organisation (EHealthBoxType). */
export type EHealthBox = BoxAddress;

/** One profession of a professional with its contact data and ehBox. */
export interface ProfessionalInformation {
  profession: Profession;
  addresses: Address[];
  additionalInformation: AdditionalInformation[];
  eHealthBox?: EHealthBox | undefined;
}

/** IndividualContactInformation: at least one ProfessionalInformation. */
export interface IndividualContactInformation extends Individual {
  addresses: Address[];
  additionalInformation: AdditionalInformation[];
  professionalInformation: ProfessionalInformation[];
}

/** An organisation search hit (HealthCareOrganizationTypeV2). */
export interface HealthCareOrganization {
  /** e.g. `{ value: '0123456789', authenticSource: 'CBE', type: 'CBE' }`. */
  id: SourcedCode;
  /** At least one, e.g. `{ value: 'HOSPITAL', authenticSource: 'NIHII', type: 'code' }`. */
  typeCodes: SourcedCode[];
  /** At least one. */
  typeFriendlyNames: LocalizedText[];
  names: LocalizedText[];
}

/** OrganizationContactInformation: the organisation plus contact data and its ehBoxes. */
export interface OrganizationContactInformation extends HealthCareOrganization {
  addresses: Address[];
  additionalInformation: AdditionalInformation[];
  eHealthBoxes: EHealthBox[];
}

/** searchProfessionals answer. */
export interface SearchProfessionalsResponse extends AbResponseHeader, AbPagination {
  professionals: HealthCareProfessional[];
}

/** getProfessionalContactInfo answer (no contact information when not found). */
export interface GetProfessionalContactInfoResponse extends AbResponseHeader {
  individual?: IndividualContactInformation | undefined;
}

/** searchOrganizations answer. */
export interface SearchOrganizationsResponse extends AbResponseHeader, AbPagination {
  organizations: HealthCareOrganization[];
}

/** getOrganizationContactInfo answer (no contact information when not found). */
export interface GetOrganizationContactInfoResponse extends AbResponseHeader {
  organization?: OrganizationContactInformation | undefined;
}
