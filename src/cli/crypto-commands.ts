/**
 * `seal` and `unseal`: the ETEE triple wrap from the command line, so users
 * can check interoperability with files from other eHealth software.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { derOrBase64, parseAt, readInput, USAGE_EXIT_CODE } from './cli-io.ts';
import { loadKeystore } from '../crypto/keystore.ts';
import { readPkcs12 } from '../crypto/pkcs12.ts';
import { parseEtk } from '../crypto/etk.ts';
import { readCertificates } from '../crypto/certificates.ts';
import { seal } from '../crypto/seal.ts';
import { unseal } from '../crypto/unseal.ts';

/** Exit code of `unseal` when a fatal or error was found. */
export const UNSEAL_FAILED_EXIT_CODE = 3;

interface SealOptions {
  keystore: string;
  password: string;
  etk: string[];
  in: string;
  out: string;
}

interface UnsealOptions {
  keystore: string;
  password: string;
  trust: string;
  at?: string;
  in: string;
  out: string;
  verdict?: string;
  nonRepudiation: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

async function sealCommand(o: SealOptions): Promise<void> {
  const ks = loadKeystore(await readInput(o.keystore, 'keystore'), o.password);
  if (o.etk.length === 0) throw new CliError('at least one --etk is needed', USAGE_EXIT_CODE);
  const recipients = await Promise.all(o.etk.map(async (f) => parseEtk(derOrBase64(await readInput(f, 'ETK'))).encryption.der));
  const sealed = seal(await readInput(o.in, 'input'), { sender: ks.authentication, recipients });
  await writeFile(o.out, sealed);
  process.stderr.write(`sealed ${o.in} for ${recipients.length} recipient(s) → ${o.out}\n`);
}

async function unsealCommand(o: UnsealOptions): Promise<void> {
  const credentials = readPkcs12(await readInput(o.keystore, 'keystore'), o.password);
  const trustAnchors = readCertificates(await readInput(o.trust, 'trust anchors'));
  const result = unseal(derOrBase64(await readInput(o.in, 'sealed message')), { credentials, trustAnchors, at: parseAt(o.at), requireNonRepudiation: o.nonRepudiation });
  if (o.verdict) await writeFile(o.verdict, JSON.stringify(result.verdict, null, 2) + '\n');
  for (const w of result.verdict.warnings) process.stderr.write(`warning ${w.code} (${w.layer}): ${w.message}\n`);
  const first = result.verdict.fatal ?? result.verdict.errors[0];
  if (first || !result.content) {
    throw new CliError(first ? `${first.code} (${first.layer}): ${first.message}` : 'no content', UNSEAL_FAILED_EXIT_CODE);
  }
  await writeFile(o.out, result.content);
}

/** Registers `seal` and `unseal`. */
export function registerCryptoCommands(program: Command): void {
  program
    .command('seal')
    .description('Seal a file (sign → encrypt → sign) for one or more ETKs, as eHealthBox does')
    .requiredOption('--keystore <p12>', 'sender keystore (eHealth PKCS#12 with an "authentication" entry)')
    .requiredOption('--password <pw>', 'keystore password')
    .option('--etk <file>', 'recipient ETK (repeat for several recipients)', collect, [])
    .requiredOption('--in <file>', 'clear input')
    .requiredOption('--out <file>', 'sealed output (DER)')
    .action(sealCommand);
  program
    .command('unseal')
    .description('Unseal and verify a sealed message; exit non-zero with the eHealth code on any fatal or error')
    .requiredOption('--keystore <p12>', 'recipient keystore (any PKCS#12 holding the decryption key)')
    .requiredOption('--password <pw>', 'keystore password')
    .requiredOption('--trust <pem>', 'trusted CA certificates (PEM bundle or DER)')
    .option('--at <iso>', 'verify at this time instead of now')
    .requiredOption('--in <file>', 'sealed input (DER or base64)')
    .requiredOption('--out <file>', 'clear output')
    .option('--verdict <file>', 'write the verification verdict as JSON')
    .option('--no-non-repudiation', 'accept an inner signer without the nonRepudiation key usage')
    .action(unsealCommand);
}
