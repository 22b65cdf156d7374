/**
 * The two shapes of `POST /v1/messages` brought to one: the JSON form's
 * base64 contents decoded (and required), the request hash that
 * Idempotency-Key compares (metadata without contents + SHA-256 of every
 * file, so the JSON and multipart forms of one message hash alike), and the
 * Idempotency-Key header itself.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { MessageInput } from '../outbound/message-input.ts';
import type { IncomingFile } from '../outbound/outbound-service.ts';
import { validationError, type FieldIssue } from './api-error.ts';

/** Header naming a retry-safe request. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Keys are visible ASCII, at most this long (a UUID or an engine's message id fits). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** SHA-256 (hex) of some bytes. */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The Idempotency-Key of the request, if any; 422 when it is malformed. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get(IDEMPOTENCY_HEADER);
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw validationError([{ path: 'headers.idempotency-key', message: '1-255 visible ASCII characters' }]);
  return key;
}

/** The metadata without file contents. */
export function withoutContents(input: MessageInput): MessageInput {
  const { content: _doc, ...document } = input.document;
  return { ...input, document, annexes: input.annexes.map(({ content: _c, ...annex }) => annex) };
}

/** What Idempotency-Key compares: the normalised metadata and the SHA-256 of each file, document first. */
export function requestHash(input: MessageInput, fileHashes: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify({ metadata: withoutContents(input), files: fileHashes })).digest('hex');
}

/** Strict base64 (whitespace allowed between characters): undefined when malformed. */
function decodeBase64(text: string): Buffer | undefined {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) return undefined;
  if (clean.includes('=') && clean.length % 4 !== 0) return undefined;
  return Buffer.from(clean, 'base64');
}

/** The JSON form's files, decoded, with their hashes; 422 naming each missing or malformed content. */
export function decodeJsonFiles(input: MessageInput): { document: IncomingFile; annexes: IncomingFile[]; hashes: string[] } {
  const issues: FieldIssue[] = [];
  const decode = (content: string | undefined, path: string): Buffer => {
    if (content === undefined) {
      issues.push({ path, message: 'required in the JSON form (base64); multipart sends it as a file part' });
      return Buffer.alloc(0);
    }
    const bytes = decodeBase64(content);
    if (!bytes) issues.push({ path, message: 'not valid base64' });
    return bytes ?? Buffer.alloc(0);
  };
  const document = decode(input.document.content, 'document.content');
  const annexes = input.annexes.map((a, i) => decode(a.content, `annexes.${i}.content`));
  if (issues.length > 0) throw validationError(issues);
  return {
    document: { body: document, size: document.length },
    annexes: annexes.map((body) => ({ body, size: body.length })),
    hashes: [document, ...annexes].map(sha256Hex),
  };
}

/** 422 when the multipart metadata carries contents (they come as file parts). */
export function refuseInlineContents(input: MessageInput): void {
  const issues: FieldIssue[] = [];
  if (input.document.content !== undefined) issues.push({ path: 'document.content', message: 'send the content as the `document` file part in multipart' });
  input.annexes.forEach((a, i) => {
    if (a.content !== undefined) issues.push({ path: `annexes.${i}.content`, message: 'send the content as an `annex` file part in multipart' });
  });
  if (issues.length > 0) throw validationError(issues);
}
