/**
 * First-start convenience of the all-in-one process in sandbox mode: a demo
 * tenant whose sender box is the sandbox's first seeded hospital. Its API key
 * is written to `$EHBOX_DATA_DIR/demo-api-key` and the box identity to
 * `$EHBOX_DATA_DIR/demo-box.json` (the contract of issues 5 and 6).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.ts';
import type { TenancyStores } from '../tenancy/tenancy.ts';
import type { SenderBoxInput } from '../tenancy/sender-box-store.ts';
import type { Party } from '../sandbox/directory/party.ts';

/** What the demo set-up produced. */
export interface DemoTenant {
  tenantId: string;
  apiKey: string;
  boxId: string;
  hospital: string;
}

/** The sender box of a seeded sandbox party (its keystore and password file under the sandbox data dir). */
export function senderBoxForParty(sandbox: Sandbox, party: Party): SenderBoxInput {
  const material = sandbox.material.parties.get(party.name);
  if (!material) throw new Error(`no sandbox material for ${party.name}`);
  const box = party.boxes[0]!;
  return {
    label: party.displayName,
    keystorePath: path.resolve(material.dir, 'keystore.p12'),
    passwordRef: { file: path.resolve(material.dir, 'password') },
    box: { id: box.id, type: box.type as 'NIHII', subType: box.subType, quality: party.quality },
    quality: party.quality.toLowerCase(),
    identityType: party.certIdentity.type,
    identityId: party.certIdentity.id,
  };
}

/** Creates (or finds again) the demo tenant. */
export async function ensureDemoTenant(dataDir: string, sandbox: Sandbox, tenancy: TenancyStores): Promise<DemoTenant> {
  const keyFile = path.join(dataDir, 'demo-api-key');
  const hospital = sandbox.directory.parties.find((p) => p.quality === 'HOSPITAL')!;
  const material = sandbox.material.parties.get(hospital.name)!;
  if (fs.existsSync(keyFile)) {
    const apiKey = fs.readFileSync(keyFile, 'utf8').trim();
    const record = await tenancy.apiKeys.authenticate(apiKey);
    const boxes = record ? await tenancy.boxes.list(record.tenantId) : [];
    if (record && boxes[0]) return { tenantId: record.tenantId, apiKey, boxId: boxes[0].id, hospital: hospital.name };
  }
  const tenant = await tenancy.tenants.create({ name: `Demo: ${hospital.displayName}` });
  const box = await tenancy.boxes.create(tenant.id, senderBoxForParty(sandbox, hospital));
  const { apiKey } = await tenancy.apiKeys.create(tenant.id, { label: 'demo' });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(keyFile, apiKey + '\n', { mode: 0o600 });
  fs.copyFileSync(path.join(material.dir, 'identity.json'), path.join(dataDir, 'demo-box.json'));
  return { tenantId: tenant.id, apiKey, boxId: box.id, hospital: hospital.name };
}
