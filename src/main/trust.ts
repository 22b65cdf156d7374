/**
 * The CA certificates an ETK must chain to outside the sandbox: the eHealth
 * CA bundle the operator installs (PEM), from `EHEALTH_TRUST_CHAIN` or
 * `$EHBOX_DATA_DIR/trust/ehealth-ca.pem`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import { readCertificates } from '../crypto/certificates.ts';

/** Reads the trust anchors; a clear error says where to put them when missing. */
export async function readTrustAnchors(config: Pick<Config, 'EHEALTH_TRUST_CHAIN'>, dataDir: string): Promise<Uint8Array[]> {
  const file = config.EHEALTH_TRUST_CHAIN ?? path.join(dataDir, 'trust', 'ehealth-ca.pem');
  try {
    return readCertificates(await readFile(file));
  } catch (err) {
    throw new Error(
      `Cannot read the eHealth CA bundle ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}). ` +
        'Outside the sandbox, put the eHealth CA certificates (PEM) there or point EHEALTH_TRUST_CHAIN at them.',
      { cause: err },
    );
  }
}
