/**
 * A small PKIX path check: from a leaf certificate, through candidate CA
 * certificates, to one of the configured trust anchors, at a given time.
 * It verifies signatures, issuer/subject name chaining, CA flags, keyCertSign,
 * path lengths and CA validity periods. The leaf's own validity and key usage
 * are the caller's business (ETK and unseal checks report them with their own
 * codes). No revocation checking.
 */
import { X509Certificate } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { certificateBasicConstraints, certificateKeyUsage, describeName, namesEqual, sharedCertificate } from './certificates.ts';

/** Longest chain we follow above the leaf; eHealth chains have 2 CAs. */
const MAX_PATH_CERTIFICATES = 8;

/** The outcome of a path check. */
export interface PathVerdict {
  trusted: boolean;
  /** The certificates of the path found, leaf first, ending with the trust anchor. */
  path: pkijs.Certificate[];
  /** Why no trusted path was found. */
  problem?: string;
}

interface Node {
  der: Uint8Array;
  cert: pkijs.Certificate;
  x509: X509Certificate | undefined;
  anchor: boolean;
}

/** node:crypto views of certificates, by DER (bounded like the pkijs memo). */
const MAX_X509 = 1024;
const x509s = new Map<string, X509Certificate>();

function x509Of(der: Uint8Array): X509Certificate {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  let x = x509s.get(key);
  if (!x) {
    x = new X509Certificate(der);
    if (x509s.size >= MAX_X509) x509s.delete(x509s.keys().next().value!);
    x509s.set(key, x);
  }
  return x;
}

function toNode(der: Uint8Array, anchor: boolean): Node | undefined {
  try {
    return { der, cert: sharedCertificate(der), x509: x509Of(der), anchor };
  } catch {
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function isTimeValid(cert: pkijs.Certificate, at: Date): boolean {
  return cert.notBefore.value.getTime() <= at.getTime() && at.getTime() <= cert.notAfter.value.getTime();
}

function signedBy(child: Node, issuer: Node): boolean {
  try {
    return !!child.x509 && !!issuer.x509 && child.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/** Why `ca` cannot act as an intermediate issuer with `below` intermediates under it, or undefined when it can. */
function intermediateProblem(ca: Node, below: number, at: Date): string | undefined {
  const name = describeName(ca.cert.subject);
  let bc: ReturnType<typeof certificateBasicConstraints>;
  let ku: ReturnType<typeof certificateKeyUsage>;
  try {
    bc = certificateBasicConstraints(ca.cert);
    ku = certificateKeyUsage(ca.cert);
  } catch {
    return `${name} has malformed CA extensions`;
  }
  if (!bc.cA) return `${name} is not a CA certificate`;
  if (ku && !ku.has('keyCertSign')) return `${name} may not sign certificates (no keyCertSign)`;
  if (bc.pathLenConstraint !== undefined && below > bc.pathLenConstraint) return `${name} path length constraint exceeded`;
  if (!isTimeValid(ca.cert, at)) return `CA certificate ${name} is not valid at ${at.toISOString()}`;
  return undefined;
}

/**
 * Looks for a path from `leafDer` to one of `anchorsDer` using `intermediatesDer`
 * as candidate CAs, valid at `at`.
 */
export function verifyCertificatePath(
  leafDer: Uint8Array,
  intermediatesDer: Uint8Array[],
  anchorsDer: Uint8Array[],
  at: Date,
): PathVerdict {
  const leaf = toNode(leafDer, false);
  if (!leaf) return { trusted: false, path: [], problem: 'the certificate does not parse' };
  const anchors = anchorsDer.map((d) => toNode(d, true)).filter((n): n is Node => !!n);
  if (anchors.length === 0) return { trusted: false, path: [leaf.cert], problem: 'no trust anchor configured' };
  const candidates = intermediatesDer.map((d) => toNode(d, false)).filter((n): n is Node => !!n);
  const problems: string[] = [];

  const extend = (current: Node, path: Node[]): Node[] | undefined => {
    if (anchors.some((a) => sameBytes(a.der, current.der))) return path;
    if (path.length > MAX_PATH_CERTIFICATES) {
      problems.push('certificate path too long');
      return undefined;
    }
    const issuers = [...anchors, ...candidates].filter(
      (c) => !path.some((p) => sameBytes(p.der, c.der)) && namesEqual(c.cert.subject, current.cert.issuer),
    );
    if (issuers.length === 0) problems.push(`no issuer certificate found for ${describeName(current.cert.subject)}`);
    for (const issuer of issuers) {
      if (!signedBy(current, issuer)) {
        problems.push(`the signature of ${describeName(current.cert.subject)} does not verify with ${issuer.anchor ? 'trust anchor' : 'CA'} ${describeName(issuer.cert.subject)}`);
        continue;
      }
      if (issuer.anchor) {
        if (isTimeValid(issuer.cert, at)) return [...path, issuer];
        problems.push(`trust anchor ${describeName(issuer.cert.subject)} is not valid at ${at.toISOString()}`);
        continue;
      }
      const problem = intermediateProblem(issuer, path.length - 1, at);
      if (problem) {
        problems.push(problem);
        continue;
      }
      const found = extend(issuer, [...path, issuer]);
      if (found) return found;
    }
    return undefined;
  };

  const found = extend(leaf, [leaf]);
  if (found) return { trusted: true, path: found.map((n) => n.cert) };
  return { trusted: false, path: [leaf.cert], problem: problems[problems.length - 1] ?? 'no path to a trust anchor' };
}
