/**
 * What the outbound workers share: stores, staging, the sender registry, the
 * recipient resolver and the queues. Built once by the composition root.
 */
import type { MessageStore, Destination, MessageMeta, RecipientRow } from '../outbound/message-store.ts';
import type { Staging } from '../outbound/staging.ts';
import type { SenderRegistry, Sender } from '../outbound/sender-registry.ts';
import type { TenancyStores } from '../tenancy/tenancy.ts';
import type { ExplicitRecipient, SearchRecipient } from '../tenancy/recipient-ref.ts';
import type { ValidEtk, EtkDepotClient } from '../etkdepot/etk-depot-client.ts';
import type { QueueRegistry } from './queues.ts';

/** A recipient resolved to its box, contact and ETKs. */
export interface ResolvedRecipient {
  type: string;
  id: string;
  quality: string;
  destination: Destination;
  email?: string | undefined;
  language?: string | undefined;
  etks: ValidEtk[];
}

/** Resolution of one reference; failures carry `code` and `permanent`. */
export type ResolveRecipientFn = (sender: Sender, ref: ExplicitRecipient | SearchRecipient) => Promise<ResolvedRecipient>;

/** Everything the outbound processors need. */
export interface OutboundDeps {
  store: MessageStore;
  staging: Staging;
  tenancy: TenancyStores;
  senders: SenderRegistry;
  etkDepot: EtkDepotClient;
  resolveRecipient: ResolveRecipientFn;
  queues: QueueRegistry;
  /** Parallel resolutions inside one resolve job (a 500-member group resolves in waves). */
  resolveConcurrency: number;
  /** Hours the staged plaintext is kept after every recipient is final. */
  retentionHours: number;
  /** Called after a row reached a new state (webhooks, e-mails); must not throw for delivery reasons. */
  onRowChange?: ((meta: MessageMeta, row: RecipientRow) => Promise<void>) | undefined;
}
