/**
 * The eHealth ETEE test-kit messages (SEALING.md §0, vectors/etee-testkit/README.md):
 * each one unsealed with Bob's encryption key, trusting the test CA, at a time
 * inside the certificates' validity. The expected codes were derived by
 * peeling each file with `openssl cms` (see the comment on each row).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Credential } from '../../src/crypto/types.ts';
import { unseal, type UnsealOptions } from '../../src/crypto/unseal.ts';
import type { Verdict } from '../../src/crypto/verdict.ts';
import { pemCertificates } from '../helpers/openssl.ts';
import { TESTKIT_DIR, testKitCertificates, testKitCredential } from '../helpers/test-credentials.ts';

const AT_2015 = new Date('2015-01-01T00:00:00Z');
/** Inside the 2008–2010 validity of the Belgian eID SPECIMEN certificates. */
const AT_2009 = new Date('2009-06-01T00:00:00Z');
const CORRECT_TEXT = 'this is a test message for a correctly triple wrapped message';
const EHEALTH_TEXT = 'this is an ehealth test message';

let bob: Credential;
let alice: Credential;
let anchors: Uint8Array[];
let rootOnly: Uint8Array[];

beforeAll(() => {
  bob = testKitCredential('bob_bob_enc.p12');
  alice = testKitCredential('alice_alice_enc.p12');
  // imports_CA.cer is the "eH Root CA"; the messages carry only the signer, and the
  // issuing "eH CA" (needed for the path) comes from the test-kit keystores.
  rootOnly = pemCertificates(readFileSync(`${TESTKIT_DIR}/imports_CA.cer`, 'utf8'));
  const ehCa = testKitCertificates('alice_alice_auth.p12').find((der) => new X509Certificate(der).subject.split('\n').includes('CN=eH CA'));
  anchors = [...rootOnly, ehCa!];
});

function open(file: string, extra: Partial<UnsealOptions> = {}): { content?: string; verdict: Verdict } {
  const blob = new Uint8Array(readFileSync(`${TESTKIT_DIR}/${file}`));
  const r = unseal(blob, { credentials: [bob], trustAnchors: anchors, at: AT_2015, requireNonRepudiation: false, ...extra });
  return { ...(r.content ? { content: Buffer.from(r.content).toString('utf8') } : {}), verdict: r.verdict };
}

const codes = (v: Verdict): string[] => v.errors.map((e) => `${e.layer}:${e.code}`);

interface Row {
  file: string;
  why: string;
  at?: Date;
  fatal?: string;
  errors: string[];
  warnings: string[];
  content?: string;
}

const NOT_TRUSTED_CITIZEN = 'signer under "Citizen CA", absent from the kit: no path to the trust store';

const ROWS: Row[] = [
  { file: 'correct', why: 'Alice → Bob, no signed attributes', errors: [], warnings: ['SIGNING_TIME_MISSING'], content: CORRECT_TEXT },
  { file: 'multi_recipients', why: '3 KeyTransRecipientInfos, Bob third', errors: [], warnings: ['SIGNING_TIME_MISSING'], content: EHEALTH_TEXT },
  { file: 'invalid_cms_signed', why: 'not even BER (application tag 8)', fatal: 'outer:OUTER_SIGNED_DATA_STRUCTURE_INCORRECT', errors: [], warnings: [] },
  { file: 'invalid_encrypted', why: 'outer content starts with "hack"', fatal: 'envelope:ENVELOPED_DATA_STRUCTURE_INCORRECT', errors: [], warnings: ['SIGNING_TIME_MISSING'] },
  { file: 'invalid_inner_signed', why: 'decrypted inner layer is not BER', fatal: 'inner:INNER_SIGNED_DATA_STRUCTURE_INCORRECT', errors: [], warnings: ['SIGNING_TIME_MISSING'] },
  {
    file: 'invalid_signature', why: 'both PSS values corrupted (openssl: "last/first octet invalid")', warnings: ['SIGNING_TIME_MISSING'], content: EHEALTH_TEXT,
    errors: ['outer:OUTER_SIGNATURE_DOES_NOT_MATCH_AUTHENTICATION_CERTIFICATE', 'outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED',
      'inner:INNER_SIGNATURE_DOES_NOT_MATCH_SIGNATURE_CERTIFICATE', 'inner:INNER_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  },
  { file: 'with_2_signerinfos', why: 'two SignerInfos on the outer layer', fatal: 'outer:MESSAGE_OUTER_SIGNED_PART_HAS_MORE_THAN_ONE_SIGNER_INFORMATION', errors: [], warnings: [] },
  { file: 'without_certset', why: 'no certificates, and also two SignerInfos (checked first)', fatal: 'outer:MESSAGE_OUTER_SIGNED_PART_HAS_MORE_THAN_ONE_SIGNER_INFORMATION', errors: [], warnings: [] },
  {
    file: 'without_outer_eid_cert', why: 'outer has no certificates; inner eID cert embedded', warnings: ['SIGNING_TIME_MISSING'], content: EHEALTH_TEXT,
    errors: ['outer:OUTER_CERTIFICATE_EXPECTED_BUT_NOT_PRESENT', 'inner:INNER_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  },
  {
    file: 'without_inner_eid_cert', why: 'inner sid names another eID cert, none embedded', warnings: ['SIGNING_TIME_MISSING'], content: EHEALTH_TEXT,
    errors: ['outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED', 'inner:INNER_CERTIFICATE_EXPECTED_BUT_NOT_PRESENT'],
  },
  {
    file: 'more_signing_times', why: 'signingTime attribute with 3 values (openssl: attribute error)', fatal: 'envelope:DECRYPTION_PRIVATE_KEY_NOT_FOUND', warnings: [],
    errors: ['outer:OUTER_SIGNATURE_COULD_NOT_BE_VERIFIED', 'outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  },
  {
    file: 'unauthorized_algos', why: 'sha1 + dsaWithSHA1 (DSA key), camellia-128-cbc, for another recipient', fatal: 'envelope:DECRYPTION_PRIVATE_KEY_NOT_FOUND', warnings: ['SIGNING_TIME_MISSING'],
    errors: ['outer:OUTER_SIGNATURE_ALGORITHM_UNAUTHORIZED', 'outer:OUTER_SIGNATURE_DIGEST_ALGORITHM_UNAUTHORIZED', 'outer:OUTER_SIGNATURE_KEY_LENGTH_UNAUTHORIZED',
      'envelope:DECRYPTION_SYMMETRIC_KEY_ALGORITHM_UNAUTHORIZED'],
  },
  {
    file: 'unsupported_algos', why: 'GOST R 34.11/34.10 on both layers', warnings: ['SIGNING_TIME_MISSING'], content: 'use unsupported signature algos',
    errors: ['OUTER', 'INNER'].flatMap((P) => {
      const l = P.toLowerCase();
      return [`${l}:${P}_SIGNATURE_ALGORITHM_UNAUTHORIZED`, `${l}:${P}_SIGNATURE_DIGEST_ALGORITHM_UNAUTHORIZED`, `${l}:${P}_SIGNATURE_KEY_LENGTH_UNAUTHORIZED`,
        `${l}:${P}_SIGNATURE_COULD_NOT_BE_VERIFIED`, `${l}:${P}_CERTIFICATE_CHAIN_NOT_TRUSTED`];
    }),
  },
  { file: 'cross_signed', why: 'inner signer (own cert) is another person than the outer signer', errors: ['inner:MESSAGE_INTEGRITY_INVALID'], warnings: ['SIGNING_TIME_MISSING'], content: EHEALTH_TEXT },
  {
    file: 'expired_auth', why: 'signed 2009-12-22 with a cert valid Sep–Oct 2009; for another recipient', fatal: 'envelope:DECRYPTION_PRIVATE_KEY_NOT_FOUND', warnings: ['SIGNING_TIME_EXPIRED'],
    errors: ['outer:OUTER_CERTIFICATE_EXPIRED', 'outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  },
  {
    file: 'not_valid_yet_auth', why: 'signed 2009 with a cert valid from 2029; for another recipient', fatal: 'envelope:DECRYPTION_PRIVATE_KEY_NOT_FOUND', warnings: ['SIGNING_TIME_EXPIRED'],
    errors: ['outer:OUTER_CERTIFICATE_NOT_YET_VALID', 'outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  },
  {
    file: 'was_not_valid_yet_auth', why: 'signed 54 s before the cert notBefore; for a different "Bob" key', fatal: 'envelope:DECRYPTION_PRIVATE_KEY_NOT_FOUND', warnings: ['SIGNING_TIME_EXPIRED'],
    errors: ['outer:OUTER_CERTIFICATE_NOT_YET_VALID', 'outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  },
  { file: 'expired_encr', why: 'valid outer; encrypted for the (expired) ETK of another holder', fatal: 'envelope:DECRYPTION_PRIVATE_KEY_NOT_FOUND', errors: [], warnings: ['SIGNING_TIME_MISSING'] },
  {
    file: 'invalid_cert_chain', why: 'claims issuer "eH CA" but its signature does not verify with it', fatal: 'envelope:DECRYPTION_PRIVATE_KEY_NOT_FOUND', warnings: ['SIGNING_TIME_MISSING'],
    errors: ['outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  },
  ...['revoked_cert', 'certs_contain_no_crluri', 'certs_contain_noexisting_crluri'].map((file) => ({
    file, why: `revocation/CRL case (not checked offline); ${NOT_TRUSTED_CITIZEN}`, warnings: ['SIGNING_TIME_MISSING'], content: EHEALTH_TEXT,
    errors: ['outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED', 'inner:INNER_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  })),
  ...['both_eid_certs_signed', 'both_revoked_eid_certs_signed', 'both_suspended_eid_certs_signed'].map((file) => ({
    file, at: AT_2009, why: 'eID SPECIMEN (PKCS#1 v1.5), for another recipient; revocation not checked offline', fatal: 'envelope:DECRYPTION_PRIVATE_KEY_NOT_FOUND',
    warnings: ['SIGNING_TIME_MISSING'], errors: ['outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  })),
  {
    file: 'both_expired_eid_certs_signed', at: AT_2009, why: 'eID cert expired Feb 2009', fatal: 'envelope:DECRYPTION_PRIVATE_KEY_NOT_FOUND', warnings: ['SIGNING_TIME_MISSING'],
    errors: ['outer:OUTER_CERTIFICATE_EXPIRED', 'outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED'],
  },
];

describe('eHealth test-kit messages', () => {
  it.each(ROWS)('$file: $why', (row) => {
    const { content, verdict } = open(`msg_triple_wrapped_${row.file}.msg`, row.at ? { at: row.at } : {});
    expect(verdict.fatal ? `${verdict.fatal.layer}:${verdict.fatal.code}` : undefined).toBe(row.fatal);
    expect(codes(verdict)).toEqual(row.errors);
    expect(verdict.warnings.map((w) => w.code)).toEqual(row.warnings);
    expect(verdict.ok).toBe(!row.fatal && row.errors.length === 0);
    expect(content).toBe(row.content);
    if (!verdict.ok) expect(verdict.layer).toBe((row.fatal ?? row.errors[0])!.split(':')[0]);
  });

  it('covers every triple-wrapped message of the kit', () => {
    const files = readdirTestkit().filter((f) => f.startsWith('msg_triple_wrapped_')).map((f) => f.replace(/^msg_triple_wrapped_|\.msg$/g, ''));
    expect(ROWS.map((r) => r.file).sort()).toEqual(files.sort());
  });

  it('msg_clear.txt is not the clear text of these messages (it is a BOM + "This is a clear message!")', () => {
    const clear = readFileSync(`${TESTKIT_DIR}/msg_clear.txt`);
    expect(clear.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(clear.subarray(3).toString('utf8')).toBe('This is a clear message!');
    expect(open('msg_triple_wrapped_correct.msg').content).not.toBe(clear.toString('utf8'));
  });

  it('the correct message names Alice as signer and is not readable with Alice\'s own key', () => {
    const { verdict } = open('msg_triple_wrapped_correct.msg');
    expect(verdict.signer?.subject).toBe('CN=NIHII=00000000101, OU=NIHII=00000000101, OU=Alice, OU=eHealth-platform Belgium, O=Federal Government, C=BE');
    expect(verdict.signer?.serial).toBe(BigInt('0xFD772A3F767D348D169AC99EE055E5CB').toString());
    expect(open('msg_triple_wrapped_correct.msg', { credentials: [alice] }).verdict.fatal?.code).toBe('DECRYPTION_PRIVATE_KEY_NOT_FOUND');
  });

  it('with only the root trusted, the missing issuing CA breaks both paths', () => {
    const { verdict, content } = open('msg_triple_wrapped_correct.msg', { trustAnchors: rootOnly });
    expect(codes(verdict)).toEqual(['outer:OUTER_CERTIFICATE_CHAIN_NOT_TRUSTED', 'inner:INNER_CERTIFICATE_CHAIN_NOT_TRUSTED']);
    expect(content).toBe(CORRECT_TEXT);
  });

  it('eHealthBox non-repudiation mode (the default) flags Alice\'s digitalSignature-only certificate', () => {
    const blob = new Uint8Array(readFileSync(`${TESTKIT_DIR}/msg_triple_wrapped_correct.msg`));
    const { verdict } = unseal(blob, { credentials: [bob], trustAnchors: anchors, at: AT_2015 });
    expect(codes(verdict)).toEqual(['inner:INNER_CERTIFICATE_HAS_INVALID_KEYUSAGE']);
  });

  it('verified today, every certificate of the kit has expired', () => {
    const { verdict } = open('msg_triple_wrapped_correct.msg', { at: new Date() });
    expect(codes(verdict)).toEqual(expect.arrayContaining(['outer:OUTER_CERTIFICATE_EXPIRED', 'inner:INNER_CERTIFICATE_EXPIRED']));
  });
});

function readdirTestkit(): string[] {
  return readdirSync(TESTKIT_DIR);
}
