/**
 * Namespace URIs used on the wire (PROTOCOL.md §1.4, §1.7, §2). One table so
 * that every hand-written document uses exactly the same strings.
 */
export const NS = {
  /** SOAP 1.1 envelope. */
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  /** SOAP 1.2 envelope: recognised only to reject it with a clear message. */
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  saml: 'urn:oasis:names:tc:SAML:1.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:1.0:protocol',
  xop: 'http://www.w3.org/2004/08/xop/include',
  xml: 'http://www.w3.org/XML/1998/namespace',
  xmlns: 'http://www.w3.org/2000/xmlns/',
  soaErrors: 'urn:be:fgov:ehealth:errors:soa:v1',
  coreErrors: 'urn:be:fgov:ehealth:errors:core:v1',
  ehboxPublication: 'urn:be:fgov:ehealth:ehbox:publication:protocol:v3',
  ehboxConsultation: 'urn:be:fgov:ehealth:ehbox:consultation:protocol:v3',
  ehboxCore: 'urn:be:fgov:ehealth:ehbox:core:v3',
  addressbookProtocol: 'urn:be:fgov:ehealth:addressbook:protocol:v1',
  addressbookCore: 'urn:be:fgov:ehealth:addressbook:core:v1',
  etkDepot: 'urn:be:fgov:ehealth:etkdepot:1_0:protocol',
  wstrust: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
} as const;

/** WS-Security token profile URIs (SAML token profile 1.0, X.509 token profile 1.0). */
export const WSS = {
  samlAssertionIdValueType: 'http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID',
  x509v3ValueType: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3',
  base64EncodingType: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary',
} as const;

/** XML-DSig algorithm URIs we emit or accept. */
export const DSIG = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  envelopedSignature: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
} as const;
