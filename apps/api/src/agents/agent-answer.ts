import { capacityUsage, type AgentState, type CapacityClaim } from '@lib/domain';

/** An agent as a command or a single-agent query answers it: settings, presence and capacity now. */
export interface AgentAnswer {
  id: string;
  capacity: number;
  queueIds: string[];
  presence: string;
  presenceSince: string;
  used: number;
  blocked: number;
  free: number;
  claims: Array<Omit<CapacityClaim, 'conversationRevision'>>;
  lastAssignedAt?: string;
  /** Revision of the agent's stream; `position` of the last event written, for minPosition. */
  revision: number;
  position?: number;
}

export const agentAnswer = (
  state: Extract<AgentState, { status: 'registered' }>,
  now: string,
  revision: number,
  position?: number,
): AgentAnswer => ({
  id: state.id,
  queueIds: state.queueIds,
  presence: state.presence,
  presenceSince: state.presenceSince,
  ...capacityUsage(state, now),
  claims: Object.values(state.claims).map(({ conversationRevision: _revision, ...claim }) => claim),
  lastAssignedAt: state.lastAssignedAt,
  revision,
  position,
});
