import { isAgentEvent, type AgentEvent } from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';

export const AGENT_STREAM_PREFIX = 'agent-';
export const agentStream = (agentId: string): string => `${AGENT_STREAM_PREFIX}${agentId}`;

export const toAgentEvent = (recorded: RecordedEvent): AgentEvent => {
  if (!isAgentEvent(recorded)) {
    throw new Error(`Unknown event type ${recorded.type} at ${recorded.streamName}@${recorded.revision}`);
  }
  return { type: recorded.type, data: recorded.data } as AgentEvent;
};
