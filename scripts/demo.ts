/**
 * `npm run demo`: a realistic scenario against a running `npm start` — a
 * discharge letter with annexes to a GP, a mailing to the nurses of a ward
 * (through a group), and a letter from a GP into the hospital's box — with
 * a progress line per recipient until every one is final. Fictitious data
 * only. Options: --url, --api-key (defaults as the CLI), --sandbox-url
 * (default http://127.0.0.1:$SANDBOX_PORT, i.e. PORT+1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { allDelivered, apiCall, apiTarget, messageForm, waitForFinal, type ApiTarget } from '../src/cli/send-commands.ts';

/** How long each wait lasts before the demo gives up (the pipeline needs seconds; retries with backoff need more). */
const WAIT_MS = 120_000;
/** How long to wait for the inbound letter to be polled, unsealed and listed. */
const INBOX_WAIT_MS = 60_000;
/** Smallest ward worth a group mailing. */
const MIN_WARD_NURSES = 2;
/** Nurses written to when the sandbox seeded no ward. */
const FALLBACK_NURSES = 5;

interface Party { name: string; quality: string; ssin?: string; nihii?: string; etk: string; outOfOffice: unknown; workplace?: { hospital: string; ward: string } | null; identity?: { type?: string; id?: string } }

const say = (line: string): void => void process.stdout.write(line + '\n');

async function sandboxJson<T>(url: string, route: string, body?: object): Promise<T> {
  const res = await fetch(url + route, body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {});
  if (!res.ok) throw new Error(`sandbox ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const usable = (p: Party) => p.etk === 'valid' && !p.outOfOffice;

/** Nurses of one ward, the demo hospital's first; a small sandbox without wards gives a few nurses instead. */
function ward(nurses: Party[], hospital: Party): { workplace: string; members: Party[] } {
  const byWard = new Map<string, Party[]>();
  for (const n of nurses.filter((x) => usable(x) && x.workplace && x.ssin)) {
    const key = `${n.workplace!.ward} (${n.workplace!.hospital})`;
    byWard.set(key, [...(byWard.get(key) ?? []), n]);
  }
  const wards = [...byWard.entries()].filter(([, m]) => m.length >= MIN_WARD_NURSES);
  const best = wards.find(([, m]) => m[0]!.workplace!.hospital === hospital.name) ?? wards[0];
  if (best) return { workplace: best[0], members: best[1] };
  const some = nurses.filter((x) => usable(x) && x.ssin).slice(0, FALLBACK_NURSES);
  if (some.length < MIN_WARD_NURSES) throw new Error('the sandbox has no nurses to write to');
  return { workplace: 'the sandbox (no seeded ward)', members: some };
}

function hospitalParty(parties: Party[]): Party {
  const dataDir = process.env.EHBOX_DATA_DIR || './.data';
  try {
    const id = (JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-box.json'), 'utf8')) as { id?: string }).id;
    const found = parties.find((p) => p.quality === 'HOSPITAL' && p.identity?.id === id);
    if (found) return found;
  } catch {
    // no demo-box.json next to us: the gateway's demo tenant uses the first seeded hospital
  }
  return parties.find((p) => p.quality === 'HOSPITAL')!;
}

async function sendLetter(target: ApiTarget, dir: string, gp: Party): Promise<string> {
  const files = { letter: 'discharge-letter.txt', lab: 'lab-results.txt', meds: 'medication-schema.txt' };
  fs.writeFileSync(path.join(dir, files.letter), 'Discharge letter for a fictitious patient: uneventful stay, follow-up by the GP in one week.\n');
  fs.writeFileSync(path.join(dir, files.lab), 'Fictitious lab results: CRP 4 mg/L.\n');
  fs.writeFileSync(path.join(dir, files.meds), 'Fictitious medication schema: paracetamol 1 g if needed.\n');
  const form = await messageForm({
    title: 'Discharge letter', file: path.join(dir, files.letter), annexes: [path.join(dir, files.lab), path.join(dir, files.meds)],
    recipients: [{ type: 'NIHII', id: gp.nihii!, quality: 'DOCTOR' }], text: 'Please see the patient within a week.',
  });
  return (await apiCall<{ id: string }>(target, 'POST', '/v1/messages', form)).body.id;
}

async function sendToWard(target: ApiTarget, dir: string, nurses: { workplace: string; members: Party[] }): Promise<string> {
  const group = await apiCall<{ id: string }>(target, 'POST', '/v1/groups', {
    name: `Nurses of ${nurses.workplace} (demo ${new Date().toISOString()})`,
    members: nurses.members.map((n) => ({ type: 'SSIN', id: n.ssin!, quality: 'NURSE' })),
  });
  fs.writeFileSync(path.join(dir, 'ward-note.txt'), 'Fictitious ward note: new infusion pump protocol from Monday.\n');
  const form = await messageForm({ title: 'Ward note', file: path.join(dir, 'ward-note.txt'), annexes: [], recipients: [{ group: group.body.id }] });
  return (await apiCall<{ id: string }>(target, 'POST', '/v1/messages', form)).body.id;
}

/** Waits until the inbound letter is listed by /v1/inbox; false when the route does not exist or time runs out. */
async function waitInbox(target: ApiTarget, publicationId: string): Promise<boolean> {
  const boxes = await apiCall<{ items?: { id: string }[] } | { id: string }[]>(target, 'GET', '/v1/boxes').catch(() => undefined);
  const list = boxes ? (Array.isArray(boxes.body) ? boxes.body : boxes.body.items ?? []) : [];
  const deadline = Date.now() + INBOX_WAIT_MS;
  while (Date.now() < deadline) {
    for (const b of list) await apiCall(target, 'POST', `/v1/boxes/${b.id}/poll`).catch(() => undefined);
    const inbox = await apiCall<{ items: { id: string; title?: string; publicationId?: string }[] }>(target, 'GET', '/v1/inbox').catch((e: { status?: number }) => {
      if (e.status === 404) return undefined;
      throw e;
    });
    if (!inbox) return say('inbox: this gateway does not serve /v1/inbox; skipped'), false;
    const hit = inbox.body.items.find((m) => m.publicationId === publicationId || m.title === 'Letter from the GP (demo)');
    if (hit) return say(`inbox: received ${hit.id}`), true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  say('inbox: the letter from the GP did not appear in time');
  return false;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { url: { type: 'string' }, 'api-key': { type: 'string' }, 'sandbox-url': { type: 'string' } } });
  const target = apiTarget({ url: values.url, apiKey: values['api-key'] });
  const sandboxUrl = (values['sandbox-url'] ?? `http://127.0.0.1:${process.env.SANDBOX_PORT || Number(process.env.PORT || 8080) + 1}`).replace(/\/+$/, '');
  const parties = await sandboxJson<Party[]>(sandboxUrl, '/_sandbox/parties');
  const gp = parties.find((p) => p.quality === 'DOCTOR' && usable(p) && p.nihii)!;
  const hospital = hospitalParty(parties);
  const nurses = ward(await sandboxJson<Party[]>(sandboxUrl, '/_sandbox/parties?quality=NURSE'), hospital);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-demo-'));
  try {
    say(`1. discharge letter with 2 annexes to GP ${gp.name}`);
    const letter = await sendLetter(target, dir, gp);
    say(`2. ward note to the ${nurses.members.length} nurses of ${nurses.workplace} (group)`);
    const mailing = await sendToWard(target, dir, nurses);
    say(`3. letter from GP ${gp.name} into the hospital box of ${hospital.name}`);
    const publicationId = `DEMO${Date.now().toString(36).toUpperCase()}`.slice(0, 13);
    await sandboxJson(sandboxUrl, '/_sandbox/send', { from: gp.name, to: [hospital.name], title: 'Letter from the GP (demo)', text: 'Fictitious referral letter.', publicationId });
    let ok = true;
    for (const [label, id] of [['discharge letter', letter], ['ward note', mailing]] as const) {
      say(`progress of the ${label} (${id}):`);
      const view = await waitForFinal(target, id, say, WAIT_MS);
      say(`  → ${view.state}`);
      ok &&= allDelivered(view);
    }
    await waitInbox(target, publicationId);
    say(ok ? 'demo complete: every recipient was delivered' : 'demo complete: some recipients were not delivered');
    return ok ? 0 : 4;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
