/**
 * eHealth keystores: load one (the `authentication` entry plus every key),
 * find the private key a sealed message was encrypted for, and write new ones
 * in the exact legacy shape eHealth issues (SEALING.md §5) so the sandbox's
 * test CA hands out files that Java, OpenSSL and we all read.
 */
import * as asn1js from 'asn1js';
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { systemRandom, type RandomSource } from './drbg.ts';
import * as pkijs from 'pkijs';
import { CryptoError } from './errors.ts';
import { computeMac, legacyPbeEncrypt, MAX_PBE_ITERATIONS, PBE_OID, SHA1_OID, bmpPassword } from './pbe-legacy.ts';
import { P12_OID, readPkcs12 } from './pkcs12.ts';
import type { Credential, Keystore } from './types.ts';

/** Alias of the signing entry in every eHealth keystore. */
export const AUTHENTICATION_ALIAS = 'authentication';

/**
 * Iteration count written by default for keys, certificates and the MAC:
 * OpenSSL's default (PKCS12_DEFAULT_ITER). It keeps generating test
 * keystores fast; pass EHEALTH_* below to mimic real files exactly.
 */
export const DEFAULT_PKCS12_ITERATIONS = 2048;
/** Key-bag (and certificate-safe) iterations in keystores eHealth issues. */
export const EHEALTH_KEY_ITERATIONS = 50_000;
/** MAC iterations in keystores eHealth issues. */
export const EHEALTH_MAC_ITERATIONS = 100_000;

/** Salt length for PBE and MAC: the SHA-1 output size, as in eHealth's files. */
const SALT_BYTES = 20;

/** Options of loadKeystore. */
export interface LoadKeystoreOptions {
  /** Alias of the authentication entry; default `authentication` (compared case-insensitively, as Java does). */
  authenticationAlias?: string;
}

/**
 * Loads an eHealth keystore: every private-key entry, and the one aliased
 * `authentication` as the signing credential. Throws
 * KEYSTORE_NO_AUTHENTICATION_ENTRY (listing the aliases found) when absent.
 */
export function loadKeystore(p12: Uint8Array, password: string, options: LoadKeystoreOptions = {}): Keystore {
  const entries = readPkcs12(p12, password);
  const wanted = options.authenticationAlias ?? AUTHENTICATION_ALIAS;
  const authentication =
    entries.find((e) => e.alias === wanted) ?? entries.find((e) => e.alias?.toLowerCase() === wanted.toLowerCase());
  if (!authentication) {
    const found = entries.map((e) => (e.alias === undefined ? '(no alias)' : JSON.stringify(e.alias)));
    throw new CryptoError(
      'KEYSTORE_NO_AUTHENTICATION_ENTRY',
      `keystore has no private-key entry aliased "${wanted}"; aliases found: ${found.length ? found.join(', ') : 'none'}`,
    );
  }
  return { authentication, entries };
}

function unsignedBytes(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  return Buffer.from(bytes.subarray(start));
}

function issuerMatches(cert: pkijs.Certificate, issuerDer: Uint8Array, issuer: pkijs.RelativeDistinguishedNames | undefined): boolean {
  if (Buffer.from(cert.issuer.valueBeforeDecode).equals(issuerDer)) return true;
  return issuer !== undefined && cert.issuer.isEqual(issuer);
}

function parseName(der: Uint8Array): pkijs.RelativeDistinguishedNames | undefined {
  try {
    return pkijs.RelativeDistinguishedNames.fromBER(der);
  } catch {
    return undefined; // only a byte-for-byte match is then possible
  }
}

/**
 * Finds the entry whose certificate has this issuer (DER Name, as in a CMS
 * RecipientInfo) and serial (big-endian bytes, compared as unsigned integers).
 * Looks at every entry's certificate, whatever its alias.
 */
export function findDecryptionKey(keystore: Keystore | Credential[], issuerDer: Uint8Array, serial: Uint8Array): Credential | undefined {
  const entries = Array.isArray(keystore) ? keystore : keystore.entries;
  const wantedSerial = unsignedBytes(serial);
  const issuer = parseName(issuerDer);
  return entries.find(
    (e) => unsignedBytes(e.certificate.serialNumber.valueBlock.valueHexView).equals(wantedSerial) && issuerMatches(e.certificate, issuerDer, issuer),
  );
}

/**
 * Finds the entry aliased by the decimal serial number, the way the eHealth
 * connector looks up its decryption key (issuer not compared).
 */
export function findDecryptionKeyBySerialAlias(keystore: Keystore | Credential[], serial: Uint8Array): Credential | undefined {
  const entries = Array.isArray(keystore) ? keystore : keystore.entries;
  const digits = unsignedBytes(serial);
  const decimal = digits.length === 0 ? '0' : BigInt(`0x${digits.toString('hex')}`).toString(10);
  return entries.find((e) => e.alias === decimal);
}

/** One private-key entry to write. */
export interface KeystoreEntryInput {
  alias: string;
  privateKey: KeyObject;
  /** DER certificates, leaf first. */
  chainDer: Uint8Array[];
}

/** Iteration counts of writeKeystore; each defaults to DEFAULT_PKCS12_ITERATIONS. */
export interface WriteKeystoreOptions {
  keyIterations?: number;
  macIterations?: number;
  certIterations?: number;
  /** Where salts come from (default the OS CSPRNG); a seeded source makes the file reproducible. */
  random?: RandomSource;
}

const node = {
  seq: (...value: asn1js.BaseBlock[]) => new asn1js.Sequence({ value }),
  oid: (value: string) => new asn1js.ObjectIdentifier({ value }),
  octets: (bytes: Uint8Array) => new asn1js.OctetString({ valueHex: bytes }),
  int: (value: number) => new asn1js.Integer({ value }),
  explicit0: (inner: asn1js.BaseBlock) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [inner] }),
};
const der = (block: asn1js.BaseBlock): Uint8Array => new Uint8Array(block.toBER());

/** SET OF in DER order (sorted by encoding), as the attribute sets require. */
function derSet(blocks: asn1js.BaseBlock[]): asn1js.Set {
  const sorted = blocks.map((b) => ({ b, bytes: Buffer.from(der(b)) })).sort((x, y) => Buffer.compare(x.bytes, y.bytes));
  return new asn1js.Set({ value: sorted.map((x) => x.b) });
}

interface BagAttributes {
  alias: string;
  localKeyId: Uint8Array;
}

function safeBag(type: string, value: asn1js.BaseBlock, attrs: BagAttributes | undefined): asn1js.Sequence {
  const bag = node.seq(node.oid(type), node.explicit0(value));
  if (attrs) {
    bag.valueBlock.value.push(
      derSet([
        node.seq(node.oid(P12_OID.friendlyName), new asn1js.Set({ value: [new asn1js.BmpString({ value: attrs.alias })] })),
        node.seq(node.oid(P12_OID.localKeyId), new asn1js.Set({ value: [node.octets(attrs.localKeyId)] })),
      ]),
    );
  }
  return bag;
}

/** AlgorithmIdentifier and ciphertext of a legacy PKCS#12 PBE encryption with a fresh salt. */
function encryptLegacy(oid: string, password: string, iterations: number, plain: Uint8Array, random: RandomSource): { algorithm: asn1js.Sequence; data: Uint8Array } {
  const salt = random.bytes(SALT_BYTES);
  const data = legacyPbeEncrypt(oid, password, salt, iterations, plain);
  return { algorithm: node.seq(node.oid(oid), node.seq(node.octets(salt), node.int(iterations))), data };
}

function checkIterations(name: string, value: number | undefined): number {
  const n = value ?? DEFAULT_PKCS12_ITERATIONS;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PBE_ITERATIONS) {
    throw new CryptoError('INVALID_ARGUMENT', `${name} must be an integer in 1..${MAX_PBE_ITERATIONS}`);
  }
  return n;
}

const spkiHex = (key: KeyObject): string =>
  (key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' }).toString('hex');

/** Checks the entries and returns, per entry, the leaf's localKeyId (SHA-1 of the certificate, as OpenSSL does). */
function validateEntries(entries: KeystoreEntryInput[]): Uint8Array[] {
  if (!Array.isArray(entries) || entries.length === 0) throw new CryptoError('INVALID_ARGUMENT', 'a keystore needs at least one entry');
  const aliases = new Set<string>();
  const leaves = new Set<string>();
  return entries.map((entry, i) => {
    const what = `keystore entry ${i}`;
    if (typeof entry.alias !== 'string' || entry.alias === '') throw new CryptoError('INVALID_ARGUMENT', `${what} has no alias`);
    if (aliases.has(entry.alias.toLowerCase())) throw new CryptoError('INVALID_ARGUMENT', `alias "${entry.alias}" is used twice`);
    aliases.add(entry.alias.toLowerCase());
    if (entry.privateKey?.type !== 'private') throw new CryptoError('INVALID_ARGUMENT', `${what}: privateKey is not a private KeyObject`);
    const [leafDer] = entry.chainDer ?? [];
    if (!leafDer) throw new CryptoError('INVALID_ARGUMENT', `${what} has an empty certificate chain`);
    const certs = entry.chainDer.map((d) => {
      try {
        return new X509Certificate(d);
      } catch (err) {
        throw new CryptoError('MALFORMED_CERTIFICATE', `${what}: a chain certificate does not parse`, { cause: err });
      }
    });
    if (spkiHex(certs[0]!.publicKey) !== spkiHex(entry.privateKey)) {
      throw new CryptoError('INVALID_ARGUMENT', `${what}: the private key does not belong to the leaf certificate`);
    }
    const leafHex = Buffer.from(leafDer).toString('hex');
    if (leaves.has(leafHex)) throw new CryptoError('INVALID_ARGUMENT', `${what} repeats the leaf certificate of another entry`);
    leaves.add(leafHex);
    return createHash('sha1').update(leafDer).digest();
  });
}

/**
 * Writes a PKCS#12 keystore in eHealth's legacy shape: one 3DES-shrouded key
 * bag per entry (friendlyName = alias, localKeyId), every certificate of every
 * chain once in an RC2-40 EncryptedData (leaves carry their key's attributes),
 * HMAC-SHA1 MAC. `openssl pkcs12 -legacy` and loadKeystore read it.
 */
export function writeKeystore(entries: KeystoreEntryInput[], password: string, options: WriteKeystoreOptions = {}): Uint8Array {
  if (typeof password !== 'string') throw new CryptoError('INVALID_ARGUMENT', 'the keystore password must be a string');
  const keyIterations = checkIterations('keyIterations', options.keyIterations);
  const certIterations = checkIterations('certIterations', options.certIterations);
  const macIterations = checkIterations('macIterations', options.macIterations);
  const random = options.random ?? systemRandom();
  const localKeyIds = validateEntries(entries);

  const certs = new Map<string, { der: Uint8Array; attrs?: BagAttributes }>();
  for (const entry of entries) {
    for (const certDer of entry.chainDer) {
      const key = Buffer.from(certDer).toString('hex');
      if (!certs.has(key)) certs.set(key, { der: certDer });
    }
  }
  entries.forEach((entry, i) => {
    certs.get(Buffer.from(entry.chainDer[0]!).toString('hex'))!.attrs = { alias: entry.alias, localKeyId: localKeyIds[i]! };
  });

  const certBags = [...certs.values()].map(({ der: certDer, attrs }) =>
    safeBag(P12_OID.certBag, node.seq(node.oid(P12_OID.x509Certificate), node.explicit0(node.octets(certDer))), attrs),
  );
  const certSafe = encryptLegacy(PBE_OID.sha1Rc2_40, password, certIterations, der(node.seq(...certBags)), random);
  const encryptedContent = new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: certSafe.data });
  const certContentInfo = node.seq(
    node.oid(P12_OID.encryptedData),
    node.explicit0(node.seq(node.int(0), node.seq(node.oid(P12_OID.data), certSafe.algorithm, encryptedContent))),
  );

  const keyBags = entries.map((entry, i) => {
    const pkcs8 = entry.privateKey.export({ type: 'pkcs8', format: 'der' });
    const shrouded = encryptLegacy(PBE_OID.sha1TripleDes3Key, password, keyIterations, pkcs8, random);
    return safeBag(P12_OID.shroudedKeyBag, node.seq(shrouded.algorithm, node.octets(shrouded.data)), {
      alias: entry.alias,
      localKeyId: localKeyIds[i]!,
    });
  });
  const keyContentInfo = node.seq(node.oid(P12_OID.data), node.explicit0(node.octets(der(node.seq(...keyBags)))));

  const authSafe = der(node.seq(certContentInfo, keyContentInfo));
  const macSalt = random.bytes(SALT_BYTES);
  const mac = computeMac(SHA1_OID, bmpPassword(password), macSalt, macIterations, authSafe);
  const macData = node.seq(node.seq(node.seq(node.oid(SHA1_OID), new asn1js.Null()), node.octets(mac)), node.octets(macSalt), node.int(macIterations));
  return der(node.seq(node.int(3), node.seq(node.oid(P12_OID.data), node.explicit0(node.octets(authSafe))), macData));
}
