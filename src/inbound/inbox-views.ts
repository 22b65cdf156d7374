/**
 * How the inbox API shows a received message: a list item (metadata, title,
 * verdict summary) and the full view (plus the decrypted small fields, the
 * per-field verdicts and the part list with download links). The verdict is
 * always there, so a flagged message can never pass as valid.
 */
import type { InboxFields, InboxRecord } from './inbox-record.ts';

/** Where a received message and its parts are served. */
export const inboxLinks = (id: string) => ({
  self: `/v1/inbox/${id}`,
  document: `/v1/inbox/${id}/document`,
  annex: (n: number) => `/v1/inbox/${id}/annexes/${n}`,
  ack: `/v1/inbox/${id}/ack`,
});

function senderView(rec: InboxRecord) {
  const s = rec.meta.sender;
  return { id: s.id, type: s.type, subType: s.subType, quality: s.quality, name: s.name, firstName: s.firstName, personInOrganisation: s.personInOrganisation };
}

/** One item of `GET /v1/inbox`. */
export function inboxListItem(rec: InboxRecord, fields: Pick<InboxFields, 'title'> | undefined) {
  const v = rec.meta.verdict;
  return {
    id: rec.meta.id,
    title: fields?.title,
    sender: senderView(rec),
    receivedAt: rec.meta.receivedAt,
    verdict: { ok: v.ok, status: v.status, flagged: v.flagged, problems: v.problems.map((p) => ({ field: p.field, code: p.code })), warnings: v.warnings },
    state: rec.state,
    box: rec.meta.boxId,
    important: rec.meta.important,
    annexCount: rec.meta.annexes.length,
    link: inboxLinks(rec.meta.id).self,
  };
}

/** `GET /v1/inbox/:id`. */
export function inboxDetail(rec: InboxRecord, fields: InboxFields) {
  const { meta } = rec;
  const links = inboxLinks(meta.id);
  return {
    ...inboxListItem(rec, fields),
    verdict: meta.verdict,
    fields: meta.fields,
    ehboxMessageId: meta.ehboxMessageId,
    publicationId: meta.publicationId,
    publicationDate: meta.publicationDate,
    expirationDate: meta.expirationDate,
    encrypted: meta.encrypted,
    applicationName: meta.applicationName,
    freeText: fields.freeText,
    table: fields.table,
    patientInss: fields.patientInss,
    customMetas: fields.customMetas,
    document: { ...meta.document, link: meta.document.available ? links.document : undefined },
    annexes: meta.annexes.map((a, n) => ({ n, title: fields.annexTitles[n], ...a, link: a.available ? links.annex(n) : undefined })),
    announcedAt: rec.announcedAt,
    cleanedAt: rec.cleanedAt,
    ackedAt: rec.ackedAt,
  };
}
