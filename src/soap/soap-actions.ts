/**
 * Every SOAP operation we call or simulate, with its SOAPAction and request
 * element (PROTOCOL.md §1.3). One typed table so that clients and the sandbox
 * router cannot disagree; note getHistory's action differs from its element.
 */
import { SoapError } from './errors.ts';
import { NS } from './namespaces.ts';

const CONSULT = 'urn:be:fgov:ehealth:ehbox:consultation:protocol:v3';
const ADDRESSBOOK = 'urn:be:fgov:ehealth:addressbook:protocol:v1';
const STS = 'urn:be:fgov:ehealth:sts:protocol:v1';

/** One operation: its SOAPAction (null = none is sent) and the namespace + local name of its request element. */
export interface SoapOperationInfo {
  readonly action: string | null;
  readonly requestNs: string;
  readonly requestElement: string;
}

/** Operation name → SOAPAction and request element. */
export const SOAP_OPERATIONS = {
  sendMessage: { action: 'urn:be:fgov:ehealth:ehbox:publication:protocol:v3:sendMessage', requestNs: NS.ehboxPublication, requestElement: 'SendMessageRequest' },
  getBoxInfo: { action: `${CONSULT}:getBoxInfo`, requestNs: NS.ehboxConsultation, requestElement: 'GetBoxInfoRequest' },
  getMessagesList: { action: `${CONSULT}:getMessagesList`, requestNs: NS.ehboxConsultation, requestElement: 'GetMessagesListRequest' },
  getAllEhboxesMessagesList: { action: `${CONSULT}:getAllEhboxesMessagesList`, requestNs: NS.ehboxConsultation, requestElement: 'GetAllEhboxesMessagesListRequest' },
  getFullMessage: { action: `${CONSULT}:getFullMessage`, requestNs: NS.ehboxConsultation, requestElement: 'GetFullMessageRequest' },
  getHistory: { action: `${CONSULT}:getMessageHistory`, requestNs: NS.ehboxConsultation, requestElement: 'GetHistoryRequest' },
  getMessageAcknowledgmentsStatus: { action: `${CONSULT}:getMessageAcknowledgmentsStatus`, requestNs: NS.ehboxConsultation, requestElement: 'GetMessageAcknowledgmentsStatusRequest' },
  moveMessage: { action: `${CONSULT}:moveMessage`, requestNs: NS.ehboxConsultation, requestElement: 'MoveMessageRequest' },
  deleteMessage: { action: `${CONSULT}:deleteMessage`, requestNs: NS.ehboxConsultation, requestElement: 'DeleteMessageRequest' },
  insertOoO: { action: `${CONSULT}:insertOoO`, requestNs: NS.ehboxConsultation, requestElement: 'InsertOoORequest' },
  deleteOoO: { action: `${CONSULT}:deleteOoO`, requestNs: NS.ehboxConsultation, requestElement: 'DeleteOoORequest' },
  getOoOList: { action: `${CONSULT}:getOoOList`, requestNs: NS.ehboxConsultation, requestElement: 'GetOoOListRequest' },
  searchProfessionals: { action: `${ADDRESSBOOK}:searchProfessionals`, requestNs: NS.addressbookProtocol, requestElement: 'SearchProfessionalsRequest' },
  getProfessionalContactInfo: { action: `${ADDRESSBOOK}:getProfessionalContactInfo`, requestNs: NS.addressbookProtocol, requestElement: 'GetProfessionalContactInfoRequest' },
  searchOrganizations: { action: `${ADDRESSBOOK}:searchOrganizations`, requestNs: NS.addressbookProtocol, requestElement: 'SearchOrganizationsRequest' },
  getOrganizationContactInfo: { action: `${ADDRESSBOOK}:getOrganizationContactInfo`, requestNs: NS.addressbookProtocol, requestElement: 'GetOrganizationContactInfoRequest' },
  getEtk: { action: null, requestNs: NS.etkDepot, requestElement: 'GetEtkRequest' },
  stsRequestSecureToken: { action: `${STS}:RequestSecureToken`, requestNs: NS.samlp, requestElement: 'Request' },
  stsRequestSecurityToken: { action: `${STS}:RequestSecurityToken`, requestNs: NS.wstrust, requestElement: 'RequestSecurityToken' },
  stsChallenge: { action: `${STS}:Challenge`, requestNs: NS.wstrust, requestElement: 'RequestSecurityTokenResponse' },
} as const satisfies Record<string, SoapOperationInfo>;

/** Name of a known SOAP operation. */
export type SoapOperation = keyof typeof SOAP_OPERATIONS;

/** Operation → SOAPAction value (null: the operation is called without one). */
export const SOAP_ACTIONS: { readonly [K in SoapOperation]: (typeof SOAP_OPERATIONS)[K]['action'] } = Object.fromEntries(
  Object.entries(SOAP_OPERATIONS).map(([op, info]) => [op, info.action]),
) as { readonly [K in SoapOperation]: (typeof SOAP_OPERATIONS)[K]['action'] };

/**
 * Operations whose SOAPAction is `action` (several when two endpoints share an
 * action, none for unknown actions). The sandbox routes with this and the
 * request element.
 */
export function operationsForAction(action: string): SoapOperation[] {
  return (Object.keys(SOAP_OPERATIONS) as SoapOperation[]).filter((op) => SOAP_OPERATIONS[op].action === action);
}

/** The operation whose request element is `{ns}local`, if any (used when no SOAPAction was sent). */
export function operationForRequestElement(ns: string | null, local: string): SoapOperation | undefined {
  return (Object.keys(SOAP_OPERATIONS) as SoapOperation[]).find(
    (op) => SOAP_OPERATIONS[op].requestNs === ns && SOAP_OPERATIONS[op].requestElement === local,
  );
}

/**
 * Reads a SOAPAction HTTP header value, quoted (WS-I R1109, what the eHealth
 * connector sends) or not. Returns undefined when the header is missing, ''
 * when it is present but empty (`""`).
 */
export function readSoapActionHeader(value: string | readonly string[] | undefined): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const trimmed = (raw as string).trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) return trimmed.slice(1, -1).trim();
  return trimmed;
}

/** Formats a SOAPAction header value the way the eHealth connector does: in double quotes. */
export function formatSoapActionHeader(action: string): string {
  if (/["\r\n]/.test(action)) throw new SoapError('INVALID_ARGUMENT', 'SOAPAction must not contain quotes or line breaks');
  return `"${action}"`;
}
