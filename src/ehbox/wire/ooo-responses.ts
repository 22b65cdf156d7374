/**
 * ehBox v3 Out-of-Office responses (insertOoO, deleteOoO, getOoOList) in
 * both directions. insertOoO answers the refused substitutes (with their own
 * absence when that is the reason), deleteOoO the ids it did not find,
 * getOoOList every period of the box.
 */
import type { Element } from '@xmldom/xmldom';
import { xmlElement } from '../../soap/xml.ts';
import type { AttachmentMap } from './messages.ts';
import type { DeleteOoOResponse, GetOoOListResponse, InsertOoOResponse, OoOPeriod, OoOSubstitute } from './consultation-messages.ts';
import { boxIdEl, boxIdFields, readBoxId, readBoxIdFields, UNBOUNDED } from './common-codec.ts';
import { consultationResponse, openResponse } from './consultation-responses.ts';
import { FACETS } from './wire-values.ts';
import { counted, dateEl, each, opt, textEl } from './wire-writer.ts';

/** Encodes InsertOoOResponse. */
export function encodeInsertOoOResponse(res: InsertOoOResponse): string {
  const p = 'InsertOoOResponse';
  return consultationResponse(
    p,
    res,
    each(counted(res.substitutes, 0, UNBOUNDED, `${p}/Substitute`), (s: OoOSubstitute, i) => {
      const path = `${p}/Substitute[${i + 1}]`;
      return xmlElement(
        'Substitute',
        undefined,
        boxIdFields(s, path),
        opt(s.absentFrom, (v) => dateEl('AbsentFrom', v, `${path}/AbsentFrom`)),
        opt(s.absentTo, (v) => dateEl('AbsentTo', v, `${path}/AbsentTo`)),
      );
    }),
  );
}

/** Decodes InsertOoOResponse. */
export function decodeInsertOoOResponse(el: Element, attachments?: AttachmentMap): InsertOoOResponse {
  const { r, base } = openResponse(el, 'InsertOoOResponse', attachments);
  const substitutes = r.many('Substitute').map((s) => {
    const sub: OoOSubstitute = readBoxIdFields(s);
    const from = s.optDate('AbsentFrom');
    if (from !== undefined) sub.absentFrom = from;
    const to = s.optDate('AbsentTo');
    if (to !== undefined) sub.absentTo = to;
    s.end();
    return sub;
  });
  r.end();
  return { ...base, substitutes };
}

/** Encodes DeleteOoOResponse. */
export function encodeDeleteOoOResponse(res: DeleteOoOResponse): string {
  return consultationResponse('DeleteOoOResponse', res, each(counted(res.oooIds, 0, UNBOUNDED, 'DeleteOoOResponse/OoOId'), (id) => textEl('OoOId', id, FACETS.oooId, 'DeleteOoOResponse/OoOId')));
}

/** Decodes DeleteOoOResponse. */
export function decodeDeleteOoOResponse(el: Element, attachments?: AttachmentMap): DeleteOoOResponse {
  const { r, base } = openResponse(el, 'DeleteOoOResponse', attachments);
  const oooIds = r.many('OoOId').map((o) => o.text(FACETS.oooId));
  r.end();
  return { ...base, oooIds };
}

function periodXml(o: OoOPeriod, path: string): string {
  return xmlElement(
    'OoO',
    undefined,
    textEl('OoOId', o.oooId, FACETS.oooId, `${path}/OoOId`),
    dateEl('StartDate', o.startDate, `${path}/StartDate`),
    dateEl('EndDate', o.endDate, `${path}/EndDate`),
    each(counted(o.substitutes, 0, UNBOUNDED, `${path}/Substitute`), (s, i) => boxIdEl('Substitute', s, `${path}/Substitute[${i + 1}]`)),
  );
}

/** Encodes GetOoOListResponse. */
export function encodeGetOoOListResponse(res: GetOoOListResponse): string {
  const p = 'GetOoOListResponse';
  return consultationResponse(p, res, each(counted(res.periods, 0, UNBOUNDED, `${p}/OoO`), (o, i) => periodXml(o, `${p}/OoO[${i + 1}]`)));
}

/** Decodes GetOoOListResponse. */
export function decodeGetOoOListResponse(el: Element, attachments?: AttachmentMap): GetOoOListResponse {
  const { r, base } = openResponse(el, 'GetOoOListResponse', attachments);
  const periods = r.many('OoO').map((o) => {
    const period = { oooId: o.str('OoOId', FACETS.oooId), startDate: o.date('StartDate'), endDate: o.date('EndDate'), substitutes: o.many('Substitute').map(readBoxId) };
    o.end();
    return period;
  });
  r.end();
  return { ...base, periods };
}
