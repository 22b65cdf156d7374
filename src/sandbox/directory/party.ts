/**
 * A party of the sandbox directory: a care provider or an organisation with
 * its identifiers, contact data, eHealthBox(es) and the state of its
 * encryption token. The Addressbook, ETK Depot, STS and eHealthBox parts of
 * the sandbox all read the same parties.
 */
import type { BoxAddress } from '../ehbox/model.ts';
import type { Language } from './names.ts';

/** What the ETK Depot holds for a party: a valid ETK, an expired one, or none. */
export type EtkState = 'valid' | 'expired' | 'none';

export interface PostalAddress {
  street: string;
  houseNumber: string;
  zip: number;
  city: string;
}

/** One party of the directory. */
export interface Party {
  /** Folder name under `DATA/parties/`, unique and stable for a seed. */
  name: string;
  kind: 'person' | 'organisation';
  /** "FIRST LAST" for persons, the organisation name otherwise. */
  displayName: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  gender?: 'M' | 'F' | undefined;
  language: Language;
  ssin?: string | undefined;
  /** NIHII of a professional (8 digits) or of a NIHII organisation. */
  nihii?: string | undefined;
  /** NIHII-11 (NIHII + qualification code) for professionals. */
  nihii11?: string | undefined;
  cbe?: string | undefined;
  ehp?: string | undefined;
  /** ehBox quality of the party's box (DOCTOR, NURSE, HOSPITAL, …). */
  quality: string;
  /** Addressbook profession code for professionals (PHYSICIAN, NURSE, …) or institution type for organisations. */
  professionCode: string;
  /** Wards named in the directory entry of a hospital. */
  wards?: string[] | undefined;
  /** For nurses: the hospital and ward they work in. */
  workplace?: { hospital: string; ward: string } | undefined;
  address: PostalAddress;
  email?: string | undefined;
  /** Identity carried by the party's certificates: ETK Depot type and value. */
  certIdentity: { type: string; id: string };
  /** Identity written to `identity.json` (how others address the party). */
  identity: { type: string; id: string; quality: string; name: string };
  etk: EtkState;
  /** The name of the substitute when the party is seeded with an active Out-of-Office. */
  outOfOffice?: { substitute?: string | undefined } | undefined;
  quotaBytes: number;
  /** The party's box addresses; the first is canonical, the others are aliases. */
  boxes: BoxAddress[];
}
