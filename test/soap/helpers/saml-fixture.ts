/** A fictitious SAML 1.1 holder-of-key assertion shaped like the eHealth STS's (PROTOCOL.md §2). */
export interface AssertionFixtureOptions {
  assertionId: string;
  holderCertDer: Uint8Array;
  notBefore: Date;
  notOnOrAfter: Date;
}

export function makeAssertionXml(o: AssertionFixtureOptions): string {
  const cert = Buffer.from(o.holderCertDer).toString('base64');
  const subject =
    '<saml:Subject><saml:NameIdentifier Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">CN=Fictitious Doctor, O=Fictitious Test, C=BE</saml:NameIdentifier>' +
    '<saml:SubjectConfirmation><saml:ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:holder-of-key</saml:ConfirmationMethod>' +
    `<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    '</saml:SubjectConfirmation></saml:Subject>';
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion" AssertionID="${o.assertionId}" IssueInstant="${o.notBefore.toISOString()}" Issuer="urn:be:fgov:ehealth:sts:fictitious" MajorVersion="1" MinorVersion="1">` +
    `<saml:Conditions NotBefore="${o.notBefore.toISOString()}" NotOnOrAfter="${o.notOnOrAfter.toISOString()}"/>` +
    `<saml:AuthenticationStatement AuthenticationInstant="${o.notBefore.toISOString()}" AuthenticationMethod="urn:oasis:names:tc:SAML:1.0:am:X509-PKI">${subject}</saml:AuthenticationStatement>` +
    `<saml:AttributeStatement>${subject}` +
    '<saml:Attribute AttributeName="urn:be:fgov:person:ssin" AttributeNamespace="urn:be:fgov:identification-namespace"><saml:AttributeValue>00010100107</saml:AttributeValue></saml:Attribute>' +
    '</saml:AttributeStatement></saml:Assertion>'
  );
}
