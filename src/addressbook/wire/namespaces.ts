/**
 * Namespaces and prefixes of the Addressbook 1.1 payloads (PROTOCOL.md §1.4).
 * The I.AM attribute types and commons v2 are not in `src/soap/namespaces.ts`;
 * they live here until the lead moves them to the shared table.
 */
import { NS } from '../../soap/namespaces.ts';

/** Namespace URIs used inside Addressbook payloads (all elementFormDefault="qualified"). */
export const AB_NS = {
  /** Request/response elements and their direct children. */
  protocol: NS.addressbookProtocol,
  /** ProfessionalInformation, EHealthBox and its Id/Type/SubType/Quality. */
  core: NS.addressbookCore,
  /** I.AM attribute types: persons, professions, organisations, addresses. */
  aa: 'urn:be:fgov:ehealth:aa:complextype:v1',
  /** commons v2 core: Status, StatusCode, StatusMessage, StatusDetail. */
  commonsCore: 'urn:be:fgov:ehealth:commons:core:v2',
  /** commons v2 protocol: base request/response types (no elements of its own on the wire). */
  commonsProtocol: 'urn:be:fgov:ehealth:commons:protocol:v2',
} as const;

/** Prefixes we write (any prefix is accepted on decode). */
export const AB_PREFIX = { protocol: 'ab', core: 'abc', aa: 'aa', commonsCore: 'cc' } as const;

/** Namespace declarations put on the root of every Addressbook payload we build. */
export const AB_XMLNS = {
  [`xmlns:${AB_PREFIX.protocol}`]: AB_NS.protocol,
  [`xmlns:${AB_PREFIX.core}`]: AB_NS.core,
  [`xmlns:${AB_PREFIX.aa}`]: AB_NS.aa,
  [`xmlns:${AB_PREFIX.commonsCore}`]: AB_NS.commonsCore,
} as const;

/** Qualified names for the string builders: `ab('NIHII')` → `ab:NIHII`. */
export const ab = (local: string): string => `${AB_PREFIX.protocol}:${local}`;
/** `abc:<local>` (addressbook core). */
export const abc = (local: string): string => `${AB_PREFIX.core}:${local}`;
/** `aa:<local>` (I.AM attributes). */
export const aa = (local: string): string => `${AB_PREFIX.aa}:${local}`;
/** `cc:<local>` (commons v2 core). */
export const cc = (local: string): string => `${AB_PREFIX.commonsCore}:${local}`;
