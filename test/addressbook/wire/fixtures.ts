/**
 * Fictitious Addressbook messages for the codec tests: one full variant per
 * message (every optional part present, several repeats) and a minimal one.
 */
import {
  AB_STATUS_SUCCESS,
  type Address,
  type GetOrganizationContactInfoRequest,
  type GetOrganizationContactInfoResponse,
  type GetProfessionalContactInfoRequest,
  type GetProfessionalContactInfoResponse,
  type HealthCareOrganization,
  type Profession,
  type SearchOrganizationsRequest,
  type SearchOrganizationsResponse,
  type SearchProfessionalsRequest,
  type SearchProfessionalsResponse,
} from '../../../src/addressbook/wire/types.ts';

const ISSUED = '2024-05-01T10:00:00.000Z';
const OK = { code: AB_STATUS_SUCCESS, subCodes: [] };

export const physician: Profession = {
  codes: [{ value: 'PHYSICIAN', authenticSource: 'NIHII', type: 'code' }],
  friendlyNames: [
    { value: 'Médecin', lang: 'fr' },
    { value: 'Arts', lang: 'nl' },
  ],
  nihii: '10000000001',
  specialities: [{ code: '001', friendlyNames: [{ value: 'Généraliste <agréé> & "co"', lang: 'fr' }] }],
};

const nurse: Profession = { codes: [{ value: 'NURSE', authenticSource: 'NIHII', type: 'code' }], friendlyNames: [{ value: 'Nurse' }], specialities: [] };

export const fullAddress: Address = {
  type: 'contact',
  bstCode: 'BST-1',
  street: { nsiCode: '123', descriptions: [{ value: 'Rue de la Loi', lang: 'fr' }, { value: 'Wetstraat', lang: 'nl' }] },
  houseNumber: '16',
  postBox: 'B2',
  municipality: { zipCode: '1000', nsiCode: '21004', descriptions: [{ value: 'Bruxelles', lang: 'fr' }] },
  country: { isoCode: 'BE', nsiCode: '150', descriptions: [{ value: 'Belgique', lang: 'fr' }] },
};

const minimalAddress: Address = { street: { descriptions: [{ value: 'Kerkstraat' }] }, municipality: { descriptions: [{ value: 'Gent' }] } };

export const hospital: HealthCareOrganization = {
  id: { value: '71000001', authenticSource: 'NIHII', type: 'NIHII' },
  typeCodes: [{ value: 'HOSPITAL', authenticSource: 'NIHII', type: 'code' }],
  typeFriendlyNames: [{ value: 'Hôpital', lang: 'fr' }, { value: 'Ziekenhuis', lang: 'nl' }],
  names: [{ value: 'Clinique Fictive', lang: 'fr' }],
};

export const requests = {
  searchProfessionalsFull: {
    id: 'req-1',
    issueInstant: ISSUED,
    offset: 0,
    maxElements: 100,
    key: { type: 'SSIN', value: '00000000097' },
    firstName: 'Anne',
    lastName: 'Testeur',
    profession: 'PHYSICIAN',
    zipCode: '1000',
    email: 'anne@example.test',
  } satisfies SearchProfessionalsRequest,
  searchProfessionalsMinimal: { issueInstant: '2024-05-01T10:00:00+02:00', offset: 10, maxElements: 5, city: 'Gent' } satisfies SearchProfessionalsRequest,
  getProfessionalContactInfo: { issueInstant: ISSUED, key: { type: 'NIHII', value: '10000000' } } satisfies GetProfessionalContactInfoRequest,
  searchOrganizationsFull: {
    id: '_r2',
    issueInstant: ISSUED,
    offset: 0,
    maxElements: 100,
    key: { type: 'EHP', value: '1990000000' },
    institutionName: 'Clinique',
    institutionType: 'HOSPITAL',
    city: 'Bruxelles',
    email: 'info@example.test',
  } satisfies SearchOrganizationsRequest,
  searchOrganizationsMinimal: { issueInstant: ISSUED, offset: 0, maxElements: 1 } satisfies SearchOrganizationsRequest,
  getOrganizationContactInfo: { issueInstant: ISSUED, key: { type: 'CBE', value: '0123456789' }, institutionType: 'HOSPITAL' } satisfies GetOrganizationContactInfoRequest,
};

export const responses = {
  searchProfessionals: {
    id: 'resp-1',
    inResponseTo: 'req-1',
    issueInstant: ISSUED,
    status: OK,
    offset: 0,
    maxElements: 100,
    professionals: [
      {
        ssin: '00000000097',
        lastName: 'Testeur',
        firstName: 'Anne',
        middleNames: 'Marie',
        language: 'fr',
        gender: 'F',
        birthDate: '1970-01-01',
        deathDate: '2090-01-01',
        professions: [physician, nurse],
      },
      { lastName: 'Minimal', professions: [nurse] },
    ],
  } satisfies SearchProfessionalsResponse,
  searchProfessionalsEmpty: {
    id: '_e',
    issueInstant: ISSUED,
    status: { code: 'urn:be:fgov:ehealth:2.0:status:Requester', subCodes: ['urn:be:fgov:ehealth:2.0:status:InvalidInput', 'urn:x:third'], message: 'Bad input' },
    offset: 0,
    maxElements: 100,
    professionals: [],
  } satisfies SearchProfessionalsResponse,
  getProfessionalContactInfo: {
    id: 'resp-2',
    issueInstant: ISSUED,
    status: OK,
    individual: {
      ssin: '00000000097',
      lastName: 'Testeur',
      firstName: 'Anne',
      addresses: [fullAddress],
      additionalInformation: [{ value: 'anne@example.test', type: 'Mail' }, { value: '+32 2 000 00 00' }],
      professionalInformation: [
        {
          profession: physician,
          addresses: [minimalAddress],
          additionalInformation: [{ value: 'cabinet@example.test', type: 'Mail' }],
          eHealthBox: { id: '10000000', type: 'NIHII', quality: 'DOCTOR' },
        },
        { profession: nurse, addresses: [], additionalInformation: [], eHealthBox: { id: '00000000097', type: 'INSS', subType: 'X', quality: 'NURSE' } },
        { profession: nurse, addresses: [], additionalInformation: [] },
      ],
    },
  } satisfies GetProfessionalContactInfoResponse,
  getProfessionalContactInfoNotFound: { id: 'r3', issueInstant: ISSUED, status: OK } satisfies GetProfessionalContactInfoResponse,
  searchOrganizations: {
    id: 'resp-4',
    inResponseTo: '_r2',
    issueInstant: ISSUED,
    status: OK,
    offset: 0,
    maxElements: 100,
    organizations: [hospital, { ...hospital, id: { value: '0123456789', authenticSource: 'CBE', type: 'CBE' }, names: [] }],
  } satisfies SearchOrganizationsResponse,
  getOrganizationContactInfo: {
    id: 'resp-5',
    issueInstant: ISSUED,
    status: { ...OK, message: 'OK' },
    organization: {
      ...hospital,
      addresses: [fullAddress, minimalAddress],
      additionalInformation: [{ value: 'info@example.test', type: 'Mail' }],
      eHealthBoxes: [
        { id: '71000001', type: 'NIHII', subType: 'HOSPITAL', quality: 'HOSPITAL' },
        { id: '0123456789', type: 'CBE', quality: 'INSTITUTION' },
      ],
    },
  } satisfies GetOrganizationContactInfoResponse,
  getOrganizationContactInfoNotFound: { id: 'r6', issueInstant: ISSUED, status: OK } satisfies GetOrganizationContactInfoResponse,
};
