/**
 * The outbound use cases behind the API: accept a message (stage its
 * plaintext, record it, enqueue its first job — all before answering 202),
 * read its state, list, and retry failed recipients.
 */
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Readable } from 'node:stream';
import type { TenancyStores } from '../tenancy/tenancy.ts';
import type { Tenant } from '../tenancy/tenant-store.ts';
import { isExplicitRecipient, type MessageRecipient } from '../tenancy/recipient-ref.ts';
import type { QueueRegistry } from '../workers/queues.ts';
import { jobId } from '../workers/queues.ts';
import { messageState, type MessageMeta, type MessageStore, type RecipientRow, type StoredMessage } from './message-store.ts';
import type { MessageInput } from './message-input.ts';
import { OutboundError } from './outbound-errors.ts';
import { EHBOX_MAX_MESSAGE_BYTES, sealedSize } from './size-estimate.ts';
import { stagingKeys, type Staging } from './staging.ts';

/** A file part as the API received it: bytes in memory (JSON) or a stream with its size (multipart). */
export interface IncomingFile {
  body: Buffer | Readable;
  size?: number | undefined;
}

/**
 * Files a multipart upload already wrote with `stageFile` under `messageId`,
 * as they arrived (parts come in any order and must be consumed as they
 * stream), with their plaintext sizes. `accept` adopts them, or discards them
 * when it refuses the message or answers a duplicate.
 */
export interface StagedFiles {
  messageId: string;
  document: number;
  annexes: number[];
}

/** What `accept` takes: the files themselves, or files already staged. */
export type AcceptFiles = { document: IncomingFile; annexes: IncomingFile[] } | { staged: StagedFiles };

/** Shape of the ids `newMessageId` makes (anything else is simply not found). */
export { MESSAGE_ID_PATTERN } from './message-store.ts';

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** A fresh message id: `m` + 24 base36 characters (no `:` — it ends up in job ids). */
export function newMessageId(): string {
  return 'm' + BigInt('0x' + crypto.randomBytes(16).toString('hex')).toString(36).padStart(25, '0').slice(0, 24);
}

/**
 * PublicationId of one recipient's publication: 13 characters derived from
 * the message id and row, the same on every retry (the idempotency key toward ehBox).
 */
export function publicationIdFor(messageId: string, idx: number | 'shared'): string {
  const h = crypto.createHash('sha256').update(`${messageId}/${idx}`).digest();
  return BigInt('0x' + h.subarray(0, 10).toString('hex')).toString(36).toUpperCase().padStart(13, '0').slice(-13);
}

/** The public view of a message (GET /v1/messages/:id). */
export function messageView(m: StoredMessage) {
  return {
    id: m.meta.id,
    state: messageState(m.rows),
    createdAt: m.meta.createdAt,
    mode: m.meta.mode,
    recipients: m.rows.map((r) => ({
      type: r.type,
      id: r.id,
      quality: r.quality,
      ...(r.group ? { group: r.group } : {}),
      ...(!isExplicitRecipient(r.ref) && 'search' in r.ref ? { search: r.ref.search } : {}),
      state: r.state,
      ...(r.code ? { code: r.code } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.ehboxMessageId ? { ehboxMessageId: r.ehboxMessageId } : {}),
      ...(r.substitutes ? { substitutes: r.substitutes } : {}),
      updatedAt: r.updatedAt,
    })),
  };
}

/** The record of an accepted message (metadata only: sizes and names, never content). */
function messageMeta(a: { id: string; tenant: Tenant; input: MessageInput; senderBoxId: string; mode: MessageMeta['mode']; docSize: number; annexSizes: number[]; recipientCount: number }): MessageMeta {
  const { input } = a;
  return {
    id: a.id,
    tenantId: a.tenant.id,
    senderBoxId: a.senderBoxId,
    createdAt: new Date().toISOString(),
    mode: a.mode,
    encrypted: input.encrypted,
    important: input.important,
    receipts: input.receipts,
    notifyRecipients: input.notifyRecipients ?? a.tenant.notifyRecipients,
    customMetas: input.customMetas,
    parts: {
      document: { filename: input.document.filename, mimeType: input.document.mimeType, size: a.docSize },
      annexes: input.annexes.map((x, i) => ({ filename: x.filename, mimeType: x.mimeType, size: a.annexSizes[i]! })),
      freeText: input.freeText !== undefined,
      table: input.table !== undefined,
      patient: input.patientInss !== undefined,
    },
    recipientCount: a.recipientCount,
  };
}

/** The outbound service. */
export class OutboundService {
  constructor(
    private readonly deps: { redis: Redis; prefix: string; store: MessageStore; staging: Staging; tenancy: TenancyStores; queues: QueueRegistry },
  ) {}

  /** Expands groups (membership at send time) into explicit or search rows. */
  private async expand(tenantId: string, recipients: MessageRecipient[], messageId: string): Promise<RecipientRow[]> {
    const rows: RecipientRow[] = [];
    const now = new Date().toISOString();
    const push = (ref: MessageRecipient, group?: string) => {
      const idx = rows.length;
      const explicit = isExplicitRecipient(ref) ? ref : undefined;
      rows.push({ idx, ref, group, type: explicit?.type, id: explicit?.id, quality: explicit?.quality, state: 'pending', publicationId: publicationIdFor(messageId, idx), updatedAt: now });
    };
    for (const r of recipients) {
      if ('group' in r) {
        const g = await this.deps.tenancy.groups.get(tenantId, r.group);
        if (!g) throw new OutboundError('GROUP_NOT_FOUND', `Unknown group ${r.group}`, { group: r.group });
        for (const m of g.members) push(m, g.id);
      } else push(r);
    }
    return rows;
  }

  /**
   * The refusals `accept` answers before writing anything (unknown or missing
   * sender box, unencrypted patient data, unknown group), so that an upload
   * can be refused before its files are streamed.
   */
  async precheck(tenant: Tenant, input: MessageInput): Promise<void> {
    await this.plan(tenant, input, newMessageId());
  }

  /** Stages one file of a message being uploaded (see StagedFiles); resolves with its plaintext size. */
  stageFile(messageId: string, part: 'document' | number, body: Buffer | Readable, size?: number): Promise<number> {
    return this.deps.staging.putFile(messageId, part, body, size);
  }

  /** Removes what was staged for a message that will not be recorded (best effort: an unreachable S3 leaves it). */
  async discardStaged(messageId: string, annexCount: number): Promise<void> {
    const k = stagingKeys(messageId);
    const keys = [k.document, k.fields, ...Array.from({ length: annexCount }, (_, i) => k.annex(i))];
    await Promise.all(keys.map((key) => this.deps.staging.blobs.delete(key).catch(() => undefined)));
  }

  /**
   * Accepts a message: checks, stages the plaintext, records it and enqueues
   * its resolution. Resolves only once all of that is durable; on failure
   * nothing is left behind (staged objects are discarded).
   */
  async accept(tenant: Tenant, input: MessageInput, files: AcceptFiles, idempotency?: { key: string; bodyHash: string }): Promise<{ id: string; duplicate: boolean }> {
    const prestaged = 'staged' in files ? files.staged : undefined;
    const id = prestaged?.messageId ?? newMessageId();
    if (idempotency) {
      const k = `${this.deps.prefix}idem:${tenant.id}:${crypto.createHash('sha256').update(idempotency.key).digest('hex')}`;
      let prior: { hash?: string; id?: string } | undefined;
      try {
        const ok = await this.deps.redis.set(k, JSON.stringify({ hash: idempotency.bodyHash, id }), 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX');
        if (ok !== 'OK') prior = JSON.parse((await this.deps.redis.get(k)) ?? '{}') as { hash?: string; id?: string };
      } catch (err) {
        if (prestaged) await this.discardStaged(id, prestaged.annexes.length);
        throw err;
      }
      if (prior) {
        if (prestaged) await this.discardStaged(id, prestaged.annexes.length);
        if (prior.hash !== idempotency.bodyHash) throw new OutboundError('IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was used with a different body');
        return { id: prior.id!, duplicate: true };
      }
      try {
        return { id: await this.acceptNew(id, tenant, input, files), duplicate: false };
      } catch (err) {
        await this.deps.redis.del(k).catch(() => undefined);
        throw err;
      }
    }
    return { id: await this.acceptNew(id, tenant, input, files), duplicate: false };
  }

  /** Sender box, delivery mode and expanded rows of a message; throws the refusals of `precheck`. */
  private async plan(tenant: Tenant, input: MessageInput, id: string) {
    const boxes = await this.deps.tenancy.boxes.list(tenant.id);
    const box = input.senderBox ? boxes.find((b) => b.id === input.senderBox) : boxes[0];
    if (!box) throw new OutboundError('SENDER_BOX_NOT_FOUND', input.senderBox ? `Unknown sender box ${input.senderBox}` : 'The tenant has no sender box');
    if (!input.encrypted && input.patientInss) throw new OutboundError('ENCRYPTION_REQUIRED', 'A message with a patient INSS must be encrypted');
    const rows = await this.expand(tenant.id, input.recipients, id);
    const mode = input.deliveryMode ?? tenant.deliveryMode;
    return { box, rows, mode, etkCount: mode === 'shared' ? rows.length + 1 : 2 };
  }

  private async acceptNew(id: string, tenant: Tenant, input: MessageInput, files: AcceptFiles): Promise<string> {
    const annexCount = input.annexes.length;
    let written = 'staged' in files;
    let recorded = false;
    try {
      const { box, rows, mode, etkCount } = await this.plan(tenant, input, id);
      const sizes = 'staged' in files ? { document: files.staged.document, annexes: files.staged.annexes } : undefined;
      const incoming = 'staged' in files ? undefined : files;
      if (incoming) this.checkSize(input, incoming, etkCount);
      written = true;
      const fields = {
        title: input.title,
        freeText: input.freeText,
        table: input.table ? { title: input.table.title, rows: input.table.rows.map((r) => ({ left: r.key, right: r.value })) } : undefined,
        patientInss: input.patientInss,
        annexTitles: input.annexes.map((a) => a.title),
      };
      // every object at once: the answer waits for the slowest write, not for their sum
      const [docSize, ...annexSizes] = await Promise.all([
        sizes ? Promise.resolve(sizes.document) : this.stageFile(id, 'document', incoming!.document.body, incoming!.document.size),
        ...(sizes ? sizes.annexes.map((n) => Promise.resolve(n)) : incoming!.annexes.map((a, i) => this.stageFile(id, i, a.body, a.size))),
        this.deps.staging.putFields(id, fields).then(() => -1),
      ]).then((all) => all.slice(0, -1) as [number, ...number[]]);
      this.checkSize(input, { document: { body: Buffer.alloc(0), size: docSize }, annexes: annexSizes.map((size) => ({ body: Buffer.alloc(0), size })) }, etkCount);
      const meta = messageMeta({ id, tenant, input, senderBoxId: box.id, mode, docSize, annexSizes, recipientCount: rows.length });
      await this.deps.store.create(meta, rows);
      recorded = true;
      if (incoming) this.deps.staging.handOff(id, fields, meta, incoming);
      await this.deps.queues.add('resolve', { messageId: id }, { jobId: jobId(id, 'resolve') });
      return id;
    } catch (err) {
      // A record without its job would never move: remove it (best effort, Redis may be what failed).
      if (recorded) await this.deps.redis.del(this.deps.store.key(id)).catch(() => undefined);
      if (written) await this.discardStaged(id, annexCount);
      throw err;
    }
  }

  private checkSize(input: MessageInput, files: { document: IncomingFile; annexes: IncomingFile[] }, etkCount: number): void {
    const size = (f: IncomingFile) => f.size ?? (Buffer.isBuffer(f.body) ? f.body.length : 0);
    const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
    const total = sealedSize(
      {
        document: size(files.document),
        annexes: input.annexes.map((a, i) => ({ title: utf8(a.title), content: size(files.annexes[i] ?? { body: Buffer.alloc(0) }) })),
        freeText: input.freeText !== undefined ? utf8(input.freeText) : undefined,
        tableCells: input.table?.rows.flatMap((r) => [utf8(r.key), utf8(r.value)]),
        patient: input.patientInss !== undefined ? 11 : undefined,
      },
      etkCount,
      input.encrypted,
    );
    if (total > EHBOX_MAX_MESSAGE_BYTES) {
      throw new OutboundError('ATTACHMENT_TOO_LARGE', `The sealed message would be about ${total} bytes; ehBox accepts at most ${EHBOX_MAX_MESSAGE_BYTES}`, { estimatedBytes: total, limit: EHBOX_MAX_MESSAGE_BYTES });
    }
  }

  async get(tenantId: string, id: string): Promise<StoredMessage> {
    const m = await this.deps.store.get(tenantId, id);
    if (!m) throw new OutboundError('MESSAGE_NOT_FOUND', `No message ${id}`);
    return m;
  }

  async list(tenantId: string, opts: { cursor?: string | undefined; limit: number; state?: string | undefined }) {
    const page = await this.deps.store.list(tenantId, opts);
    const items = [];
    for (const id of page.ids) {
      const m = await this.deps.store.get(tenantId, id);
      if (!m) continue;
      const view = messageView(m);
      if (!opts.state || view.state === opts.state) items.push(view);
    }
    return { items, ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  /** Puts failed recipients back to pending and enqueues a new resolution round. */
  async retry(tenantId: string, id: string): Promise<StoredMessage> {
    const m = await this.get(tenantId, id);
    const failed = m.rows.filter((r) => r.state === 'failed');
    if (failed.length === 0) throw new OutboundError('NOTHING_TO_RETRY', 'No recipient of this message has failed');
    if (m.meta.purgedAt) throw new OutboundError('NOTHING_TO_RETRY', 'The staged content of this message was already removed (retention)');
    for (const r of failed) await this.deps.store.updateRow(id, r.idx, { state: 'pending', code: undefined, reason: undefined }, true);
    const round = Date.now();
    await this.deps.queues.add('resolve', { messageId: id, round }, { jobId: jobId(id, 'resolve', round) });
    return this.get(tenantId, id);
  }
}
