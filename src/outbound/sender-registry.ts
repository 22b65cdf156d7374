/**
 * Per sender box: the opened keystore, its eHealth session and ehBox client,
 * and its own ETK (every sealed field is also sealed for the sender, so it
 * can read its SENTBOX). Opened once per process and reused.
 */
import { readFile } from 'node:fs/promises';
import { loadKeystore } from '../crypto/keystore.ts';
import { EhealthSession, type EhealthEndpoints } from '../ehealth/session.ts';
import { EhboxClient } from '../ehbox/ehbox-client.ts';
import { AddressbookClient } from '../addressbook/addressbook-client.ts';
import type { EtkDepotClient, ValidEtk } from '../etkdepot/etk-depot-client.ts';
import type { StsClient } from '../sts/sts-client.ts';
import { resolvePassword } from '../tenancy/password-ref.ts';
import type { SenderBox } from '../tenancy/sender-box-store.ts';

/** What a delivery needs about its sender. */
export interface Sender {
  box: SenderBox;
  session: EhealthSession;
  ehbox: EhboxClient;
  addressbook: AddressbookClient;
  ownEtks: ValidEtk[];
}

/** Opens sender boxes on demand and keeps them. */
export class SenderRegistry {
  private readonly senders = new Map<string, Promise<Sender>>();

  constructor(
    private readonly deps: { sts: StsClient; etkDepot: EtkDepotClient; endpoints: EhealthEndpoints; timeoutMs: number; baseDir?: string },
  ) {}

  /** The sender for a box record (keyed by tenant and box id; reopened when the record changes). */
  get(box: SenderBox): Promise<Sender> {
    const key = `${box.tenantId}/${box.id}/${box.keystorePath}/${box.quality}`;
    let s = this.senders.get(key);
    if (!s) {
      s = this.open(box);
      s.catch(() => this.senders.delete(key));
      this.senders.set(key, s);
    }
    return s;
  }

  private async open(box: SenderBox): Promise<Sender> {
    const password = await resolvePassword(box.passwordRef, this.deps.baseDir ? { baseDir: this.deps.baseDir } : {});
    const keystore = loadKeystore(await readFile(box.keystorePath), password);
    const session = new EhealthSession(keystore, box.quality, this.deps.sts, this.deps.timeoutMs);
    const ownEtks = await this.deps.etkDepot.getEtks({ type: box.identityType, value: box.identityId });
    return { box, session, ehbox: new EhboxClient(session, this.deps.endpoints), addressbook: new AddressbookClient(session, this.deps.endpoints), ownEtks };
  }
}
