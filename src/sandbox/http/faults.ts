/**
 * Fault injection for the sandbox's eHealth endpoints, so that clients can
 * prove how they behave when the platform is slow or failing: added latency,
 * a share of SOAP SystemErrors with Retry=true, HTTP 503s, dropped
 * connections and hangs — per operation or for all (`*`), optionally only
 * until a given time.
 */
import { z } from 'zod';

/**
 * Makes sendMessage accept the message (100) but fail the delivery to some
 * (or all) destinations, as the platform does asynchronously: the sender
 * then finds an ERROR message in its inbox.
 */
export const DeliveryFailureSchema = z.object({
  /** Error/Code of the ERROR message. */
  code: z.string().min(1).max(20),
  message: z.string().min(1).max(500).default('The message could not be delivered to this recipient (sandbox fault injection)'),
  /** Box ids (any alias of the box) whose delivery fails; every destination when absent. */
  recipients: z.array(z.string().min(1).max(20)).max(100).optional(),
});
export type DeliveryFailure = z.infer<typeof DeliveryFailureSchema>;

/** One rule; rates are shares between 0 and 1. */
export const FaultRuleSchema = z.object({
  latencyMs: z.number().int().min(0).max(600_000).default(0),
  systemErrorRate: z.number().min(0).max(1).default(0),
  http503Rate: z.number().min(0).max(1).default(0),
  dropRate: z.number().min(0).max(1).default(0),
  hangRate: z.number().min(0).max(1).default(0),
  /** A business error code answered to every call of the operation (e.g. "802" for sendMessage). */
  businessCode: z.string().min(1).max(20).optional(),
  /** Asynchronous delivery failure (sendMessage only): answered 100, reported later by an ERROR message. */
  deliveryFailure: DeliveryFailureSchema.optional(),
  /** ISO time after which the rule no longer applies. */
  until: z.string().datetime().optional(),
});
export type FaultRule = z.infer<typeof FaultRuleSchema>;

/** What to do with one call. */
export type FaultDecision =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'system-error' | 'http-503' | 'drop' | 'hang'; latencyMs: number }
  | { kind: 'business'; code: string; latencyMs: number };

/** The fault rules currently in force, keyed by operation name or `*`. */
export class FaultInjector {
  private readonly rules = new Map<string, FaultRule>();
  /** Calls affected so far, by operation and kind (visible in the admin API). */
  readonly counts = new Map<string, number>();

  constructor(private readonly random: () => number = Math.random) {}

  set(operation: string, rule: z.input<typeof FaultRuleSchema>): FaultRule {
    const parsed = FaultRuleSchema.parse(rule);
    this.rules.set(operation, parsed);
    return parsed;
  }

  clear(operation?: string): void {
    if (operation) this.rules.delete(operation);
    else this.rules.clear();
  }

  list(): Record<string, FaultRule> {
    return Object.fromEntries(this.rules);
  }

  /** Decides the fate of one call of `operation`. */
  decide(operation: string, now = new Date()): FaultDecision {
    const rule = this.active(operation, now) ?? this.active('*', now);
    if (!rule) return { kind: 'none', latencyMs: 0 };
    const latencyMs = rule.latencyMs;
    const r = this.random();
    let edge = 0;
    const pick = (rate: number) => r < (edge += rate);
    let d: FaultDecision = { kind: 'none', latencyMs };
    if (pick(rule.hangRate)) d = { kind: 'hang', latencyMs };
    else if (pick(rule.dropRate)) d = { kind: 'drop', latencyMs };
    else if (pick(rule.http503Rate)) d = { kind: 'http-503', latencyMs };
    else if (pick(rule.systemErrorRate)) d = { kind: 'system-error', latencyMs };
    else if (rule.businessCode) d = { kind: 'business', code: rule.businessCode, latencyMs };
    if (d.kind !== 'none') {
      const key = `${operation}:${d.kind}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
    return d;
  }

  /** The delivery failure in force for `operation` (or `*`), if any. */
  deliveryFailure(operation: string, now = new Date()): DeliveryFailure | undefined {
    const rule = this.active(operation, now) ?? this.active('*', now);
    if (rule?.deliveryFailure) this.counts.set(`${operation}:delivery-failure`, (this.counts.get(`${operation}:delivery-failure`) ?? 0) + 1);
    return rule?.deliveryFailure;
  }

  private active(key: string, now: Date): FaultRule | undefined {
    const rule = this.rules.get(key);
    if (!rule) return undefined;
    if (rule.until && Date.parse(rule.until) <= now.getTime()) {
      this.rules.delete(key);
      return undefined;
    }
    return rule;
  }
}
