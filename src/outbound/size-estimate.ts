/**
 * Early refusal of messages that cannot fit in ehBox's 10 MB once sealed
 * (PROTOCOL.md §5.6): the plaintext sizes plus the known sealing overhead of
 * every sealed field, for the number of ETKs it will be sealed for.
 */

/** ehBox's limit on one message. */
export const EHBOX_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/**
 * Fixed overhead of one sealed field: outer SignedData with the sender's
 * certificate and issuing CA (~4 KB), two signatures and their attributes,
 * the EnvelopedData structure and CBC padding. Measured ≈ 3.9 KB with the
 * sandbox PKI; rounded up for longer real-world certificate chains.
 */
export const SEAL_OVERHEAD_BYTES = 6 * 1024;
/** Per recipient of a field: issuer DN + serial + RSA-2048 encrypted key. */
export const SEAL_PER_RECIPIENT_BYTES = 512;

/** Sizes of the plaintext parts. */
export interface PlainSizes {
  document: number;
  annexes: { title: number; content: number }[];
  freeText?: number | undefined;
  tableCells?: number[] | undefined;
  patient?: number | undefined;
}

/** Bytes of the sealed message for `etkCount` ETKs (destinations + sender). */
export function sealedSize(sizes: PlainSizes, etkCount: number, encrypted = true): number {
  const fields = [sizes.document, ...sizes.annexes.flatMap((a) => [a.title, a.content]), ...(sizes.tableCells ?? [])];
  if (sizes.freeText !== undefined) fields.push(sizes.freeText);
  if (sizes.patient !== undefined) fields.push(sizes.patient);
  const per = encrypted ? SEAL_OVERHEAD_BYTES + etkCount * SEAL_PER_RECIPIENT_BYTES : 0;
  return fields.reduce((n, f) => n + f + (f > 0 ? per : 0), 0);
}
