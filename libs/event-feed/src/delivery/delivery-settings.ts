import type { RetryPolicy } from './retry-schedule';

/** How this instance delivers webhooks (the WEBHOOK_* settings). */
export interface DeliverySettings {
  /** Whole-answer timeout of one attempt. */
  timeoutMs: number;
  retry: RetryPolicy;
  /**
   * How long a lease lasts unrenewed: after a crash, another instance takes the subscription
   * over this long after the last renewal. Renewed every third of it.
   */
  leaseMs: number;
  /** Attempts kept in the delivery log of each subscription (the newest). */
  deliveryLogLimit: number;
  /** Events read from the log per page. */
  pageSize: number;
}

/**
 * An attempt starts only while the lease has the whole timeout and this much more to run, so
 * it has ended (answered or cut off) before anyone else may take the lease. It covers a late
 * timer and a small difference between the instances' clocks.
 */
export const LEASE_SAFETY_MARGIN_MS = 1_000;

/** The delay the lease must cover before an attempt may start. */
export const leaseNeededForAttempt = (settings: DeliverySettings): number => settings.timeoutMs + LEASE_SAFETY_MARGIN_MS;
