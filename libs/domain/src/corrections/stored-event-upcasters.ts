import { isPresence } from '../agent/agent.presence';
import type { AgentEventType } from '../agent/agent.events';
import type { ConversationEventType } from '../conversation/conversation.events';
import type { QueueEvent } from '../queue/queue';

/** Data as stored, and what to read instead with why; undefined when it needs nothing. */
export type Upcaster = (data: Readonly<Record<string, unknown>>) => { data: Record<string, unknown>; reason: string } | undefined;

export type StoredEventType = AgentEventType | ConversationEventType | QueueEvent['type'];

/**
 * Versions before the domain validated its commands could record an agent's presence as null
 * (re-registration with `"presence": null`). No view can apply that, and the agent never had
 * such a presence: reading it as "no change" (the previous presence, or offline for a new
 * agent) is what the service meant to record.
 */
const presenceOrElse =
  (field: 'presence' | 'previous', fallback: (data: Readonly<Record<string, unknown>>) => string): Upcaster =>
  (data) => {
    if (isPresence(data[field])) return undefined;
    return { data: { ...data, [field]: fallback(data) }, reason: `${field} ${JSON.stringify(data[field])} is not a presence` };
  };

const both =
  (...upcasters: Upcaster[]): Upcaster =>
  (data) => {
    let current: Record<string, unknown> = { ...data };
    const reasons: string[] = [];
    for (const upcaster of upcasters) {
      const corrected = upcaster(current);
      if (corrected) {
        current = corrected.data;
        reasons.push(corrected.reason);
      }
    }
    return reasons.length > 0 ? { data: current, reason: reasons.join('; ') } : undefined;
  };

const previousPresenceOrOffline = (data: Readonly<Record<string, unknown>>) => (isPresence(data.previous) ? data.previous : 'offline');

/**
 * How each stored event type is read when its data is of a shape the current domain refuses:
 * `null` where nothing is known to need it. One row per event type, so a new event type does
 * not compile until it has decided.
 */
export const STORED_EVENT_UPCASTERS: Record<StoredEventType, Upcaster | null> = {
  AgentRegistered: presenceOrElse('presence', () => 'offline'),
  AgentPresenceChanged: both(
    presenceOrElse('previous', () => 'offline'),
    presenceOrElse('presence', previousPresenceOrOffline),
  ),
  AgentCapacityChanged: null,
  AgentJoinedQueue: null,
  AgentLeftQueue: null,
  AgentCapacityReserved: null,
  AgentCapacityBlockedForWrapUp: null,
  AgentCapacityReleased: null,
  QueueCreated: null,
  QueueSettingsChanged: null,
  ConversationOpened: null,
  ConversationPicked: null,
  ConversationPushedToAgent: null,
  ConversationForceAssigned: null,
  ConversationPushAccepted: null,
  ConversationPushRejected: null,
  ConversationPushReservationExpired: null,
  ConversationReleasedToQueue: null,
  ConversationTransferredToQueue: null,
  ConversationRequeuedOnSessionClose: null,
  ConversationRequeuedAfterAgentDisconnect: null,
  ConversationTransferredToAgent: null,
  ConversationEndedByAgent: null,
  ConversationEndedByCustomer: null,
  ConversationAutoMovedToWrapUp: null,
  ConversationParked: null,
  ConversationRevivedByAgent: null,
  ConversationRevivedByCustomer: null,
  ConversationAbandonedByCustomer: null,
  ConversationResolved: null,
  ConversationWrapUpCompleted: null,
  ConversationClosedForInactivity: null,
  ConversationForceClosed: null,
  ConversationAutoClosed: null,
  AgentDisconnected: null,
  AgentReconnected: null,
  CustomerDisconnected: null,
  CustomerReconnected: null,
  CustomerMessageReceived: null,
  AgentMessageSent: null,
  ConsultStarted: null,
  ConsultEnded: null,
  MonitoringStarted: null,
};

/** The stored data as the domain reads it today, with the reason when it differs; undefined when unchanged. */
export const upcastStoredEvent = (type: string, data: unknown): { data: Record<string, unknown>; reason: string } | undefined => {
  if (!Object.prototype.hasOwnProperty.call(STORED_EVENT_UPCASTERS, type)) return undefined;
  const upcaster = STORED_EVENT_UPCASTERS[type as StoredEventType];
  if (upcaster === null || typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  return upcaster(data as Record<string, unknown>);
};
