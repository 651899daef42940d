/**
 * The authenticated caller whose request wrote an event, and the role it acted under (a
 * channel integration acting for the customer, an agent, a supervisor). Absent for the
 * service's own commands (timers, routing: the event's actor names them).
 */
export interface CommandPrincipal {
  id: string;
  role: string;
}

import type { CausationMetadata } from '../shared/causation';

/** What every conversation event records besides its data: which command wrote it, for whom, and why. */
export interface ConversationEventMetadata extends Partial<CausationMetadata> {
  principal?: CommandPrincipal;
  commandId: string;
  /** Digest of the command that wrote the event: a reused idempotency key with another body is refused. */
  commandFingerprint: string;
  /** Index of the event among those the command wrote, and how many it wrote. */
  eventIndex: number;
  eventCount: number;
}
