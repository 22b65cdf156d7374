import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { senderBoxForParty } from '../../src/main/demo-tenant.ts';
import type { Gateway } from '../../src/main/gateway.ts';
import { messageInputSchema } from '../../src/outbound/message-input.ts';
import { messageState } from '../../src/outbound/message-store.ts';
import { unseal } from '../../src/crypto/unseal.ts';
import { readPkcs12 } from '../../src/crypto/pkcs12.ts';
import { boxKey } from '../../src/sandbox/ehbox/model.ts';
import { partyWith } from '../helpers/sandbox.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let t: TestGateway;
let sandbox: Sandbox;
let gw: Gateway;
let tenantId: string;

beforeAll(async () => {
  t = await startTestGateway('pipeline');
  ({ sandbox, gw } = t);
  const hospital = partyWith(sandbox, 'HOSPITAL');
  const tenant = await gw.tenancy.tenants.create({ name: 'Pipeline test hospital' });
  tenantId = tenant.id;
  await gw.tenancy.boxes.create(tenant.id, senderBoxForParty(sandbox, hospital));
}, 120_000);

afterAll(async () => {
  await t?.close();
});

async function waitFinal(id: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = await gw.outbound.get(tenantId, id);
    const state = messageState(m.rows);
    if (state !== 'accepted' && state !== 'processing') return m;
    if (Date.now() > end) throw new Error(`message ${id} still ${state}: ${JSON.stringify(m.rows.map((r) => r.state))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('outbound pipeline', () => {
  it('resolves, seals and publishes to each recipient, who unseals the original document', async () => {
    const doctor = partyWith(sandbox, 'DOCTOR');
    const nurse = partyWith(sandbox, 'NURSE');
    const tenant = await gw.tenancy.tenants.require(tenantId);
    const text = 'Discharge letter for a fictitious patient — marker 7f3a';
    const input = messageInputSchema.parse({
      title: 'Discharge letter',
      document: { filename: 'letter.txt', mimeType: 'text/plain' },
      freeText: 'Please follow up within a week',
      recipients: [
        { type: 'NIHII', id: doctor.nihii, quality: 'DOCTOR' },
        { type: 'SSIN', id: nurse.ssin, quality: 'NURSE' },
      ],
    });
    const { id } = await gw.outbound.accept(tenant, input, { document: { body: Buffer.from(text) }, annexes: [] });
    const done = await waitFinal(id);
    expect(done.rows.map((r) => [r.state, r.code, r.reason])).toEqual([['published', undefined, undefined], ['published', undefined, undefined]]);
    for (const party of [doctor, nurse]) {
      const key = boxKey(party.boxes[0]!);
      const inbox = sandbox.ehbox.store.list(key, 'INBOX');
      const msg = sandbox.ehbox.store.messages.get(inbox[0]!.messageId)!;
      const m = sandbox.material.parties.get(party.name)!;
      const creds = readPkcs12(fs.readFileSync(path.join(m.dir, 'keystore.p12')), m.password);
      const out = unseal(sandbox.ehbox.blobs.get(msg.document.content.blob), { credentials: creds, trustAnchors: [sandbox.material.ca.issuing.der, sandbox.material.ca.root.der] });
      expect(out.verdict.ok).toBe(true);
      expect(Buffer.from(out.content!).toString('utf8')).toBe(text);
      expect(msg.publicationId).toBe(done.rows.find((r) => r.destination && boxKey(r.destination) === key)?.publicationId ?? msg.publicationId);
    }
  });

  it('fails an unknown recipient with a stable code while the others are published', async () => {
    const doctor = partyWith(sandbox, 'DOCTOR');
    const noEtk = sandbox.directory.parties.find((p) => p.etk === 'none')!;
    const tenant = await gw.tenancy.tenants.require(tenantId);
    const input = messageInputSchema.parse({
      title: 'Lab results',
      document: { filename: 'r.txt', mimeType: 'text/plain' },
      recipients: [
        { type: 'NIHII', id: doctor.nihii, quality: 'DOCTOR' },
        { type: 'NIHII', id: noEtk.nihii, quality: 'DOCTOR' },
      ],
    });
    const { id } = await gw.outbound.accept(tenant, input, { document: { body: Buffer.from('results') }, annexes: [] });
    const done = await waitFinal(id);
    expect(done.rows[0]!.state).toBe('published');
    expect(done.rows[1]!.state).toBe('failed');
    expect(done.rows[1]!.code).toBe('ETK_NOT_FOUND');
  });
});

describe('outbound pipeline: groups, Out-of-Office, faults', () => {
  async function send(recipients: unknown[], extra: Record<string, unknown> = {}) {
    const tenant = await gw.tenancy.tenants.require(tenantId);
    const input = messageInputSchema.parse({ title: 'Ward memo', document: { filename: 'memo.txt', mimeType: 'text/plain' }, recipients, ...extra });
    return gw.outbound.accept(tenant, input, { document: { body: Buffer.from('memo body') }, annexes: [] });
  }

  const people = () => sandbox.directory.parties.filter((p) => p.kind === 'person' && p.etk === 'valid' && !p.outOfOffice && p.quotaBytes > 1_000_000);

  it.each(['individual', 'shared'] as const)('delivers a 30-member group in %s mode with a row per member', async (mode) => {
    const members = people().slice(0, 30).map((p) => ({ type: 'NIHII', id: p.nihii!, quality: p.quality }));
    expect(members).toHaveLength(30);
    const group = await gw.tenancy.groups.create(tenantId, { name: `Ward ${mode}`, members });
    const { id } = await send([{ group: group.id }], { deliveryMode: mode });
    const done = await waitFinal(id, 60_000);
    expect(done.rows).toHaveLength(30);
    expect(done.rows.every((r) => r.state === 'published' && r.group === group.id)).toBe(true);
    const published = new Set(done.rows.map((r) => r.publicationId));
    const inSandbox = [...sandbox.ehbox.store.messages.values()].filter((m) => m.destinations.some(() => true) && m.contentType === 'DOCUMENT' && [...published].includes(m.publicationId ?? ''));
    if (mode === 'individual') expect(inSandbox).toHaveLength(30);
    else expect(new Set([...sandbox.ehbox.store.messages.values()].filter((m) => m.destinations.length === 30).map((m) => m.messageId)).size).toBe(1);
  });

  it('forwards to the substitute of an absent doctor (tenant policy forward)', async () => {
    const absent = sandbox.directory.parties.find((p) => p.outOfOffice)!;
    const { id } = await send([{ type: 'NIHII', id: absent.nihii, quality: 'DOCTOR' }]);
    const done = await waitFinal(id);
    expect(done.rows[0]!.state).toBe('ooo-forwarded');
    const substitute = sandbox.directory.party(absent.outOfOffice!.substitute!)!;
    expect(done.rows[0]!.substitutes?.map((s) => s.id)).toContain(substitute.boxes[0]!.id);
  });

  it('refuses a recipient whose ETK expired, with the ETK code', async () => {
    const expired = sandbox.directory.parties.find((p) => p.etk === 'expired')!;
    const { id } = await send([{ type: 'SSIN', id: expired.ssin, quality: expired.quality }]);
    const done = await waitFinal(id);
    expect(done.rows[0]!.state).toBe('failed');
    expect(done.rows[0]!.code).toBe('ETK_INVALID');
    expect(done.rows[0]!.reason).toMatch(/EXPIRED/);
  });

  it('retries through sandbox 503s and publishes once; a permanent business code fails without retry storm', async () => {
    const doctor = people().find((p) => p.quality === 'DOCTOR')!;
    sandbox.faults.set('sendMessage', { http503Rate: 1 });
    const { id } = await send([{ type: 'NIHII', id: doctor.nihii, quality: 'DOCTOR' }]);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await gw.outbound.get(tenantId, id)).rows[0]!.state).toBe('sending');
    sandbox.faults.clear('sendMessage');
    const done = await waitFinal(id, 30_000);
    expect(done.rows[0]!.state).toBe('published');
    expect([...sandbox.ehbox.store.messages.values()].filter((m) => m.publicationId === done.rows[0]!.publicationId)).toHaveLength(1);
    expect(sandbox.faults.counts.get('sendMessage:http-503') ?? 0).toBeGreaterThanOrEqual(2);

    sandbox.faults.set('sendMessage', { businessCode: '802' });
    const before = sandbox.faults.counts.get('sendMessage:business') ?? 0;
    const second = await send([{ type: 'NIHII', id: doctor.nihii, quality: 'DOCTOR' }]);
    const failed = await waitFinal(second.id);
    sandbox.faults.clear('sendMessage');
    expect(failed.rows[0]!.state).toBe('failed');
    expect(failed.rows[0]!.code).toBe('EHBOX_802');
    expect((sandbox.faults.counts.get('sendMessage:business') ?? 0) - before).toBe(1);
  });
});
