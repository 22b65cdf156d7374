/**
 * PKCS#12 (RFC 7292) reader: turns a keystore file into credentials (private
 * key + certificate chain + alias). It reads what eHealth and the test kit
 * ship (legacy 3DES/RC2-40 PBE, HMAC-SHA1 MAC), what modern OpenSSL writes
 * (PBES2 with PBKDF2 + AES, HMAC-SHA256 MAC) and plain key bags. Every defect
 * of the input becomes a CryptoError with a stable code.
 */
import * as asn1js from 'asn1js';
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { CryptoError } from './errors.ts';
import { bmpPassword, computeMac, isLegacyPbeSupported, macMatches, MAX_PBE_ITERATIONS, pbeDecrypt, type PbeParams } from './pbe-legacy.ts';
import type { Credential } from './types.ts';

/** Largest keystore file we parse; real ones are a few kilobytes. */
export const MAX_PKCS12_BYTES = 4 * 1024 * 1024;

/**
 * Hash iterations one file may make us run in total (key derivations count
 * once per derived block). A real eHealth keystore costs about 500 000 (MAC
 * 100 000, each 3DES key bag 3 x 50 000, the RC2 safe 2 x 50 000); this bound
 * keeps a hostile file with many bags to a few seconds.
 */
export const MAX_TOTAL_PBE_ITERATIONS = 4 * MAX_PBE_ITERATIONS;

/** Derivations per legacy PBE decryption (3DES: two key blocks + IV) and per PBES2 one (at most two PBKDF2 blocks). */
const DERIVATIONS_PER_DECRYPTION = { pkcs12: 3, pbes2: 2 } as const;

/** Nesting depth allowed for SafeContents bags inside SafeContents. */
const MAX_SAFE_CONTENTS_DEPTH = 4;

/** Object identifiers of PKCS#7 / PKCS#12 / PKCS#9 structures used by readers and writers. */
export const P12_OID = {
  data: '1.2.840.113549.1.7.1',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha1: '1.2.840.113549.2.7',
} as const;

type Node = asn1js.AsnType;

/** One bag as read from the file, before keys and certificates are paired. */
interface RawBag {
  kind: 'key' | 'cert';
  /** PKCS#8 PrivateKeyInfo (decrypted) or certificate DER. */
  der: Uint8Array;
  shrouded?: boolean;
  friendlyName?: string;
  localKeyId?: Uint8Array;
}

interface DecodeContext {
  password: string;
  /** The BMP password bytes that verified the MAC. */
  bmp: Uint8Array;
  macVerified: boolean;
  iterationsLeft: number;
}

function malformed(message: string): never {
  throw new CryptoError('MALFORMED_PKCS12', message);
}

function parseDer(bytes: Uint8Array, what: string): Node {
  const { offset, result } = asn1js.fromBER(bytes, { parseEmbedded: false });
  if (offset === -1 || result.error) malformed(`${what} is not valid BER: ${result.error || 'truncated'}`);
  return result;
}

function items(node: Node | undefined, what: string, min = 0): Node[] {
  if (!(node instanceof asn1js.Sequence || node instanceof asn1js.Set)) malformed(`${what} is not a SEQUENCE`);
  const list = node.valueBlock.value as Node[];
  if (list.length < min) malformed(`${what} has ${list.length} elements, expected at least ${min}`);
  return list;
}

function oidOf(node: Node | undefined, what: string): string {
  if (!(node instanceof asn1js.ObjectIdentifier)) malformed(`${what} is not an OBJECT IDENTIFIER`);
  return node.valueBlock.toString();
}

function intOf(node: Node | undefined, what: string): number {
  if (!(node instanceof asn1js.Integer)) malformed(`${what} is not an INTEGER`);
  const value = node.toBigInt();
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) malformed(`${what} is out of range`);
  return Number(value);
}

/** Content octets of an OCTET STRING (or an implicitly tagged one), BER chunks joined. */
function octetsOf(node: Node | undefined, what: string, depth = 0): Uint8Array {
  if (node === undefined || depth > 8) malformed(`${what} is missing or too deeply chunked`);
  const isOctets = node instanceof asn1js.OctetString || node.idBlock.tagClass === 3;
  if (!isOctets) malformed(`${what} is not an OCTET STRING`);
  if (node instanceof asn1js.OctetString && !node.valueBlock.isConstructed) return node.valueBlock.valueHexView;
  if (node instanceof asn1js.Primitive) return node.valueBlock.valueHexView;
  if (node instanceof asn1js.OctetString || node instanceof asn1js.Constructed) {
    const chunks = (node.valueBlock.value as Node[]).map((c) => octetsOf(c, what, depth + 1));
    return Buffer.concat(chunks);
  }
  return malformed(`${what} is not an OCTET STRING`);
}

/** The single element inside an EXPLICIT [tag] wrapper. */
function explicit(node: Node | undefined, tag: number, what: string): Node {
  if (!(node instanceof asn1js.Constructed) || node.idBlock.tagClass !== 3 || node.idBlock.tagNumber !== tag) {
    malformed(`${what} is not an explicit [${tag}]`);
  }
  const inner = node.valueBlock.value[0] as Node | undefined;
  if (!inner || node.valueBlock.value.length !== 1) malformed(`${what} must hold exactly one element`);
  return inner;
}

/** Reads a PBE AlgorithmIdentifier (legacy PKCS#12 or PBES2) into typed parameters. */
function parsePbeAlgorithm(node: Node | undefined, what: string): PbeParams {
  const [oidNode, paramsNode] = items(node, what, 1);
  const oid = oidOf(oidNode, `${what} algorithm`);
  if (oid === P12_OID.pbes2) return parsePbes2(paramsNode, what);
  if (!isLegacyPbeSupported(oid)) {
    throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `${what} uses unsupported encryption algorithm ${oid}`);
  }
  const [salt, iterations] = items(paramsNode, `${what} parameters`, 2);
  return { scheme: 'pkcs12', oid, salt: octetsOf(salt, `${what} salt`), iterations: intOf(iterations, `${what} iterations`) };
}

function parsePbes2(paramsNode: Node | undefined, what: string): PbeParams {
  const [kdf, scheme] = items(paramsNode, `${what} PBES2 parameters`, 2);
  const [kdfOid, kdfParams] = items(kdf, `${what} key derivation`, 2);
  if (oidOf(kdfOid, `${what} KDF`) !== P12_OID.pbkdf2) {
    throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `${what} uses a PBES2 key derivation other than PBKDF2`);
  }
  const [salt, iterations, ...rest] = items(kdfParams, `${what} PBKDF2 parameters`, 2);
  if (!(salt instanceof asn1js.OctetString)) throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `${what}: PBKDF2 salt source not supported`);
  let keyLength: number | undefined;
  let prfOid: string = P12_OID.hmacWithSha1;
  for (const extra of rest) {
    if (extra instanceof asn1js.Integer) keyLength = intOf(extra, `${what} PBKDF2 key length`);
    else prfOid = oidOf(items(extra, `${what} PBKDF2 PRF`, 1)[0], `${what} PBKDF2 PRF`);
  }
  const [cipherOid, iv] = items(scheme, `${what} PBES2 encryption scheme`, 2);
  return {
    scheme: 'pbes2',
    salt: octetsOf(salt, `${what} salt`),
    iterations: intOf(iterations, `${what} iterations`),
    keyLength,
    prfOid,
    cipherOid: oidOf(cipherOid, `${what} cipher`),
    iv: octetsOf(iv, `${what} IV`),
  };
}

function decrypt(ctx: DecodeContext, params: PbeParams, data: Uint8Array, what: string): Uint8Array {
  ctx.iterationsLeft -= params.iterations * DERIVATIONS_PER_DECRYPTION[params.scheme];
  if (ctx.iterationsLeft < 0) {
    throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `the keystore asks for more than ${MAX_TOTAL_PBE_ITERATIONS} hash iterations in total`);
  }
  const plain = pbeDecrypt(params, ctx.password, ctx.bmp, data);
  if (plain === undefined) decryptionFailed(ctx, what);
  return plain;
}

function decryptionFailed(ctx: DecodeContext, what: string): never {
  if (ctx.macVerified) malformed(`${what} does not decrypt although the MAC is valid`);
  throw new CryptoError('PKCS12_BAD_PASSWORD', `${what} does not decrypt: wrong keystore password`);
}

interface Pfx {
  authSafe: Uint8Array;
  mac: { digestOid: string; digest: Uint8Array; salt: Uint8Array; iterations: number } | undefined;
}

function parsePfx(p12: Uint8Array): Pfx {
  const [version, authSafe, macData] = items(parseDer(p12, 'PKCS#12 file'), 'PFX', 2);
  if (intOf(version, 'PFX version') !== 3) malformed('PFX version is not 3');
  const [contentType, content] = items(authSafe, 'PFX authSafe', 2);
  const type = oidOf(contentType, 'authSafe content type');
  if (type !== P12_OID.data) {
    throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `public-key integrity mode (${type}) is not supported`);
  }
  const authSafeBytes = octetsOf(explicit(content, 0, 'authSafe content'), 'authSafe content');
  if (macData === undefined) return { authSafe: authSafeBytes, mac: undefined };
  const [digestInfo, salt, iterations] = items(macData, 'MacData', 2);
  const [algorithm, digest] = items(digestInfo, 'MAC DigestInfo', 2);
  return {
    authSafe: authSafeBytes,
    mac: {
      digestOid: oidOf(items(algorithm, 'MAC algorithm', 1)[0], 'MAC algorithm'),
      digest: octetsOf(digest, 'MAC digest'),
      salt: octetsOf(salt, 'MAC salt'),
      iterations: iterations === undefined ? 1 : intOf(iterations, 'MAC iterations'),
    },
  };
}

/** Verifies the MAC and returns the decode context (which password encoding worked). */
function openPfx(pfx: Pfx, password: string): DecodeContext {
  const bmp = bmpPassword(password);
  const ctx: DecodeContext = { password, bmp, macVerified: false, iterationsLeft: MAX_TOTAL_PBE_ITERATIONS };
  if (!pfx.mac) return ctx;
  const { digestOid, digest, salt, iterations } = pfx.mac;
  // OpenSSL writes the empty password either as a bare terminator or as no bytes at all.
  const candidates = password === '' ? [bmp, new Uint8Array(0)] : [bmp];
  for (const candidate of candidates) {
    ctx.iterationsLeft -= iterations;
    if (macMatches(digest, computeMac(digestOid, candidate, salt, iterations, pfx.authSafe))) {
      return { ...ctx, bmp: candidate, macVerified: true };
    }
  }
  throw new CryptoError('PKCS12_BAD_PASSWORD', 'PKCS#12 MAC check failed: wrong keystore password (or a corrupted file)');
}

function readAttributes(node: Node | undefined): Pick<RawBag, 'friendlyName' | 'localKeyId'> {
  const out: Pick<RawBag, 'friendlyName' | 'localKeyId'> = {};
  if (node === undefined) return out;
  for (const attribute of items(node, 'bag attributes')) {
    const [type, values] = items(attribute, 'bag attribute', 2);
    const first = items(values, 'bag attribute values')[0];
    const oid = oidOf(type, 'bag attribute type');
    if (oid === P12_OID.friendlyName && first instanceof asn1js.BmpString) out.friendlyName = first.valueBlock.value;
    if (oid === P12_OID.localKeyId && first !== undefined) out.localKeyId = octetsOf(first, 'localKeyId');
  }
  return out;
}

function readSafeContents(ctx: DecodeContext, bytes: Uint8Array, depth: number, out: RawBag[]): void {
  if (depth > MAX_SAFE_CONTENTS_DEPTH) malformed('SafeContents nested too deeply');
  for (const bag of items(parseDer(bytes, 'SafeContents'), 'SafeContents')) {
    const [bagId, bagValue, attributes] = items(bag, 'SafeBag', 2);
    const type = oidOf(bagId, 'SafeBag type');
    const value = explicit(bagValue, 0, 'SafeBag value');
    const attrs = readAttributes(attributes);
    if (type === P12_OID.keyBag) {
      out.push({ kind: 'key', der: value.valueBeforeDecodeView, shrouded: false, ...attrs });
    } else if (type === P12_OID.shroudedKeyBag) {
      const [algorithm, encrypted] = items(value, 'EncryptedPrivateKeyInfo', 2);
      const params = parsePbeAlgorithm(algorithm, 'shrouded key bag');
      const der = decrypt(ctx, params, octetsOf(encrypted, 'encrypted key'), 'shrouded key bag');
      out.push({ kind: 'key', der, shrouded: true, ...attrs });
    } else if (type === P12_OID.certBag) {
      const [certType, certValue] = items(value, 'CertBag', 2);
      if (oidOf(certType, 'CertBag type') !== P12_OID.x509Certificate) continue;
      out.push({ kind: 'cert', der: octetsOf(explicit(certValue, 0, 'CertBag value'), 'certificate'), ...attrs });
    } else if (type === P12_OID.safeContentsBag) {
      readSafeContents(ctx, value.valueBeforeDecodeView, depth + 1, out);
    }
    // CRL and secret bags carry nothing a credential needs: skipped.
  }
}

function readAuthenticatedSafe(ctx: DecodeContext, authSafe: Uint8Array): RawBag[] {
  const bags: RawBag[] = [];
  for (const contentInfo of items(parseDer(authSafe, 'AuthenticatedSafe'), 'AuthenticatedSafe')) {
    const [typeNode, content] = items(contentInfo, 'ContentInfo', 1);
    const type = oidOf(typeNode, 'ContentInfo type');
    if (type === P12_OID.data) {
      readSafeContents(ctx, octetsOf(explicit(content, 0, 'data content'), 'data content'), 0, bags);
    } else if (type === P12_OID.encryptedData) {
      const [version, encryptedContentInfo] = items(explicit(content, 0, 'EncryptedData'), 'EncryptedData', 2);
      intOf(version, 'EncryptedData version');
      const [, algorithm, encrypted] = items(encryptedContentInfo, 'EncryptedContentInfo', 2);
      const params = parsePbeAlgorithm(algorithm, 'encrypted certificate safe');
      if (encrypted === undefined) continue; // detached content: nothing stored here
      const plain = decrypt(ctx, params, octetsOf(encrypted, 'encrypted content'), 'encrypted certificate safe');
      try {
        readSafeContents(ctx, plain, 0, bags);
      } catch (err) {
        // Without a MAC, garbage after decryption most likely means a wrong password.
        if (err instanceof CryptoError && err.code === 'MALFORMED_PKCS12' && !ctx.macVerified) decryptionFailed(ctx, 'encrypted certificate safe');
        throw err;
      }
    } else {
      throw new CryptoError('PKCS12_UNSUPPORTED_ALGORITHM', `AuthenticatedSafe content type ${type} (public-key privacy mode) is not supported`);
    }
  }
  return bags;
}

/** Turns the DER of a PKCS#8 PrivateKeyInfo into a KeyObject with the right error code. */
function privateKeyFromPkcs8(der: Uint8Array, shrouded: boolean, macVerified: boolean): KeyObject {
  try {
    const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
    createPublicKey(key); // a key whose public half cannot be derived is unusable here
    return key;
  } catch (err) {
    if (shrouded && !macVerified) throw new CryptoError('PKCS12_BAD_PASSWORD', 'the private key does not decode: wrong keystore password', { cause: err });
    throw new CryptoError('MALFORMED_PKCS12', 'a key bag holds an unreadable private key', { cause: err });
  }
}

/** A certificate of the file with what pairing and chain building need. */
interface CertInfo {
  bag: RawBag;
  cert: pkijs.Certificate;
  /** Node's view, for signature checks; undefined when Node cannot load the key algorithm. */
  x509: X509Certificate | undefined;
  /** Hex of the normalised SubjectPublicKeyInfo, when Node can load it. */
  spki: string | undefined;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function parseCertificate(bag: RawBag): CertInfo {
  let cert: pkijs.Certificate;
  try {
    cert = pkijs.Certificate.fromBER(bag.der);
  } catch (err) {
    throw new CryptoError('MALFORMED_PKCS12', 'a certificate bag holds an unreadable certificate', { cause: err });
  }
  try {
    const x509 = new X509Certificate(bag.der);
    return { bag, cert, x509, spki: hex(x509.publicKey.export({ type: 'spki', format: 'der' })) };
  } catch {
    return { bag, cert, x509: undefined, spki: undefined };
  }
}

function namesEqual(a: pkijs.RelativeDistinguishedNames, b: pkijs.RelativeDistinguishedNames): boolean {
  return Buffer.from(a.valueBeforeDecode).equals(Buffer.from(b.valueBeforeDecode)) || a.isEqual(b);
}

function signs(issuer: CertInfo, subject: CertInfo): boolean {
  if (!issuer.x509 || !subject.x509) return false;
  try {
    return subject.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/**
 * Leaf first, then each issuer found among the file's certificates: the one
 * whose key verifies the signature, else (when the signature cannot be
 * checked and the certificate is not self-signed) the first with a matching name.
 */
function buildChain(leaf: CertInfo, certs: CertInfo[]): CertInfo[] {
  const chain = [leaf];
  for (let current = leaf; ; ) {
    const candidates = certs.filter((c) => !chain.includes(c) && namesEqual(c.cert.subject, current.cert.issuer));
    const next = candidates.find((c) => signs(c, current)) ?? (signs(current, current) ? undefined : candidates[0]);
    if (!next) return chain;
    chain.push(next);
    current = next;
  }
}

/** The certificate of a key: same localKeyId (and not another key), else same public key. */
function pairKey(key: KeyObject, bag: RawBag, certs: CertInfo[]): CertInfo | undefined {
  const spki = hex(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  const id = bag.localKeyId;
  const byId = id && certs.find((c) => c.bag.localKeyId && Buffer.from(c.bag.localKeyId).equals(id) && (c.spki ?? spki) === spki);
  return byId || certs.find((c) => c.spki === spki);
}

function assembleCredentials(bags: RawBag[], toKey: (bag: RawBag) => KeyObject): Credential[] {
  const seen = new Set<string>();
  const certs: CertInfo[] = [];
  for (const bag of bags) {
    if (bag.kind !== 'cert' || seen.has(hex(bag.der))) continue;
    seen.add(hex(bag.der));
    certs.push(parseCertificate(bag));
  }
  const credentials: Credential[] = [];
  for (const bag of bags) {
    if (bag.kind !== 'key') continue;
    const privateKey = toKey(bag);
    const leaf = pairKey(privateKey, bag, certs);
    if (!leaf) continue;
    const [, ...issuers] = buildChain(leaf, certs);
    credentials.push({
      alias: bag.friendlyName ?? leaf.bag.friendlyName,
      privateKey,
      certificate: leaf.cert,
      certificateDer: Uint8Array.from(leaf.bag.der),
      chainDer: issuers.map((c) => Uint8Array.from(c.bag.der)),
    });
  }
  return credentials;
}

/**
 * Reads every private-key entry of a PKCS#12 file: alias (friendlyName), key
 * and certificate chain (matched by localKeyId, else by public key; the chain
 * is rebuilt by issuer from all certificates in the file). Keys without a
 * certificate are left out. Does not require any particular alias.
 */
export function readPkcs12(p12: Uint8Array, password: string): Credential[] {
  if (!(p12 instanceof Uint8Array)) throw new CryptoError('INVALID_ARGUMENT', 'the keystore must be given as bytes');
  if (typeof password !== 'string') throw new CryptoError('INVALID_ARGUMENT', 'the keystore password must be a string');
  if (p12.length > MAX_PKCS12_BYTES) throw new CryptoError('INPUT_TOO_LARGE', `keystore larger than ${MAX_PKCS12_BYTES} bytes`);
  try {
    const pfx = parsePfx(p12);
    const ctx = openPfx(pfx, password);
    const bags = readAuthenticatedSafe(ctx, pfx.authSafe);
    return assembleCredentials(bags, (bag) => privateKeyFromPkcs8(bag.der, bag.shrouded === true, ctx.macVerified));
  } catch (err) {
    if (err instanceof CryptoError) throw err;
    // asn1js or forge choking on hostile input (e.g. stack exhaustion): still a typed error.
    throw new CryptoError('MALFORMED_PKCS12', `unreadable PKCS#12: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
