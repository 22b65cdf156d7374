/**
 * Lets any seeded party send a sealed message into any box, the way a real
 * care provider's software would (sealed for the destinations' ETKs plus the
 * sender's own) — so inbound flows can be driven without a second client.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadKeystore } from '../crypto/keystore.ts';
import { parseEtk } from '../crypto/etk.ts';
import type { Keystore } from '../crypto/types.ts';
import { prepareMessage, sealPrepared, type PlainMessage } from '../ehbox/message-sealer.ts';
import type { PublicationDestination, SendMessageRequest } from '../ehbox/wire/messages.ts';
import type { PartyDirectory } from './directory/party-directory.ts';
import type { SandboxMaterial } from './material.ts';
import type { Party } from './directory/party.ts';
import { publish, type PublicationResult } from './ehbox/publication.ts';
import { EhboxBusinessError, type EhboxContext } from './ehbox/context.ts';

/** What `POST /_sandbox/send` asks for. */
export interface PartySendRequest {
  from: string;
  to: string[];
  message: PlainMessage;
  encrypted?: boolean;
  publicationId?: string;
  receipts?: { published?: boolean; received?: boolean; read?: boolean };
  important?: boolean;
}

const keystores = new Map<string, Keystore>();

/** The keystore of a seeded party (cached). */
export function partyKeystore(material: SandboxMaterial, party: Party): Keystore {
  const cached = keystores.get(party.name);
  if (cached) return cached;
  const m = material.parties.get(party.name);
  if (!m) throw new EhboxBusinessError('UNKNOWN_PARTY', `No material for ${party.name}`);
  const ks = loadKeystore(fs.readFileSync(path.join(m.dir, 'keystore.p12')), m.password);
  keystores.set(party.name, ks);
  return ks;
}

function encryptionCert(material: SandboxMaterial, party: Party): Uint8Array {
  const etk = material.parties.get(party.name)?.etk;
  if (!etk) throw new EhboxBusinessError('NO_ETK', `${party.name} has no ETK`);
  return parseEtk(etk).encryption.der;
}

/** Seals and publishes a message from one party to others; returns the ehBox result. */
export function sendAsParty(deps: { material: SandboxMaterial; directory: PartyDirectory; ehbox: EhboxContext }, req: PartySendRequest): PublicationResult {
  const from = deps.directory.party(req.from);
  if (!from) throw new EhboxBusinessError('UNKNOWN_PARTY', `Unknown party ${req.from}`);
  const to = req.to.map((name) => deps.directory.party(name) ?? failUnknown(name));
  const encrypted = req.encrypted ?? true;
  const ks = encrypted ? partyKeystore(deps.material, from) : undefined;
  const prepared = prepareMessage(req.message, { encrypted, ...(ks ? { sender: ks.authentication } : {}) });
  const recipients = encrypted ? [...to.map((p) => encryptionCert(deps.material, p)), encryptionCert(deps.material, from)] : [];
  const sealed = sealPrepared(prepared, recipients);
  const destinations: PublicationDestination[] = to.map((p) => ({ ...p.boxes[0]! }));
  const request: SendMessageRequest = {
    publicationId: req.publicationId,
    destinations,
    ...sealed,
    contentSpecification: {
      contentType: 'DOCUMENT',
      isImportant: req.important ?? false,
      isEncrypted: encrypted,
      publicationReceipt: req.receipts?.published ?? false,
      receivedReceipt: req.receipts?.received ?? false,
      readReceipt: req.receipts?.read ?? false,
    },
    customMetas: [],
    metas: [],
    copyMailTo: [],
  };
  return publish(deps.ehbox, { boxes: [from.boxes[0]!] }, request);
}

function failUnknown(name: string): never {
  throw new EhboxBusinessError('UNKNOWN_PARTY', `Unknown party ${name}`);
}
