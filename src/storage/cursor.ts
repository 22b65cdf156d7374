/**
 * Page cursors over Redis sorted sets whose scores are times: the score alone
 * would skip members that share a millisecond at a page boundary, so a cursor
 * names the last member too (score, then id, as Redis orders them).
 */

/** Opaque cursor for the position (score, id). */
export function encodeCursor(score: string | number, id: string): string {
  return Buffer.from(`${score}:${id}`).toString('base64url');
}

/** The position a cursor names, or undefined when it is not one of ours (ids must match `idPattern`). */
export function decodeCursor(cursor: string, idPattern: RegExp): { score: number; id: string } | undefined {
  const [score, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (extra !== undefined || !score || !id || !/^\d{1,16}$/.test(score) || !idPattern.test(id)) return undefined;
  return { score: Number(score), id };
}
