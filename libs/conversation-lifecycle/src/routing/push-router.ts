import { randomUUID } from 'node:crypto';
import { AgentError, ConversationError, presenceAllows, system, type CapacityPolicy, type ConversationState } from '@lib/domain';
import { AgentConcurrencyExhaustedError } from '../agents/agent-ledger';
import type { ConversationLoader } from '../capacity/capacity-coordinator';
import { ConcurrencyExhaustedError, IdempotencyKeyReusedError, RevisionMismatchError } from '../conversations/conversation-command.errors';
import { HandleConversationCommand, type ConversationCommandResult } from '../conversations/handle-conversation-command';
import type { Clock } from '../shared/clock';
import { UNOBSERVED, type LifecycleObserver } from '../shared/lifecycle-observer';
import { chooseAgent } from './choose-agent';
import type { RoutableAgent, RoutingViews } from './routing-views';

export interface CommandSender {
  execute(command: HandleConversationCommand): Promise<ConversationCommandResult>;
}

export interface RoutingPassResult {
  /** Items offered to an agent (pushed, awaiting acceptance). */
  offered: number;
  /** Offers the agent's or the conversation's stream refused (the views were behind). */
  refused: number;
  /** Open items looked at. */
  considered: number;
}

export interface RouterLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

export const DEFAULT_ROUTING_BATCH_SIZE = 200;

/**
 * One routing pass over the push queues: each open item, in routing order, is offered to the
 * agent its queue's method picks among those who serve the queue, whose presence takes pushes,
 * who have room for its channel and have not declined it before. The offer is an ordinary
 * assign command, so the agent's stream checks capacity and the conversation's stream checks
 * that the item is still open; several routers (instances) racing only lose offers, never
 * double-assign.
 */
export class PushRouter {
  constructor(
    private readonly commands: CommandSender,
    private readonly views: RoutingViews,
    private readonly clock: Clock,
    private readonly policy: CapacityPolicy,
    private readonly loadConversation: ConversationLoader,
    private readonly logger: RouterLogger = { warn: () => undefined },
    private readonly batchSize = DEFAULT_ROUTING_BATCH_SIZE,
    private readonly observer: LifecycleObserver = UNOBSERVED,
  ) {}

  async runOnce(): Promise<RoutingPassResult> {
    const result = await this.pass();
    this.observer.routingPass(result);
    return result;
  }

  private async pass(): Promise<RoutingPassResult> {
    const result: RoutingPassResult = { offered: 0, refused: 0, considered: 0 };
    const queues = await this.views.pushQueues();
    if (queues.length === 0) return result;
    const queueIds = queues.map((queue) => queue.queueId);
    const methodOf = new Map(queues.map((queue) => [queue.queueId, queue.method]));
    const now = this.clock.now().toISOString();
    const agents = (await this.views.agentsServing(queueIds, now)).filter((a) => presenceAllows(a.presence, 'push'));
    if (!agents.some((a) => a.free > 0)) return result;
    const items = await this.views.openItems(queueIds, this.batchSize);
    const agentsOf = agentsByQueue(agents);
    const correlationId = `routing:${randomUUID()}`;
    for (const item of items) {
      const units = this.policy.unitsPerConversation[item.channel];
      const serving = (agentsOf.get(item.queueId) ?? []).filter((a) => a.free >= units);
      if (serving.length === 0) continue;
      result.considered++;
      const { state, revision } = await this.loadConversation(item.conversationId);
      if (state.status !== 'open' || state.queueId !== item.queueId) continue;
      const chosen = chooseAgent(
        methodOf.get(item.queueId) ?? 'highest_free_capacity',
        serving.filter((a) => !declined(state, a)),
      );
      if (!chosen) continue;
      if (await this.offer(item.conversationId, chosen, revision, correlationId)) {
        result.offered++;
        chosen.free -= units;
        chosen.lastAssignedAt = now;
        chosen.assignedInPass = result.offered;
      } else {
        result.refused++;
      }
      if (!agents.some((a) => a.free > 0)) break;
    }
    return result;
  }

  private async offer(conversationId: string, chosen: RoutableAgent, revision: number, correlationId: string): Promise<boolean> {
    const now = this.clock.now().toISOString();
    try {
      await this.commands.execute(
        new HandleConversationCommand(
          conversationId,
          { type: 'AssignConversation', data: { agentId: chosen.agentId, force: false, by: system('routing') }, metadata: { now } },
          `routing:${conversationId}:${revision + 1}:${chosen.agentId}`,
          // Chosen on this revision (who declined it, its queue): if it moved, the choice is void.
          revision,
          undefined,
          { correlationId, causedByEvent: madeRoutable },
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof AgentError) {
        // The views were behind on this agent: leave them out of the rest of the pass (unless
        // only this conversation was the trouble: another request is assigning it to them).
        if (error.code !== 'AGENT.ASSIGNMENT_IN_PROGRESS') chosen.free = 0;
        this.logger.debug?.(`Routing did not offer ${conversationId} to ${chosen.agentId}: ${error.message}`);
        return false;
      }
      if (
        error instanceof ConversationError ||
        error instanceof RevisionMismatchError ||
        error instanceof ConcurrencyExhaustedError ||
        error instanceof AgentConcurrencyExhaustedError ||
        error instanceof IdempotencyKeyReusedError
      ) {
        return false;
      }
      throw error;
    }
  }
}

/**
 * The agents of each queue, in the order of `agents`: grouped once per pass, so each item
 * looks only at its queue's agents rather than at every agent of every push queue.
 */
const agentsByQueue = (agents: readonly RoutableAgent[]): Map<string, RoutableAgent[]> => {
  const byQueue = new Map<string, RoutableAgent[]>();
  for (const agent of agents) {
    for (const queueId of new Set(agent.queueIds)) {
      const serving = byQueue.get(queueId);
      if (serving === undefined) byQueue.set(queueId, [agent]);
      else serving.push(agent);
    }
  }
  return byQueue;
};

/** The event that put the conversation (back) in its queue to be routed. */
const madeRoutable = (before: ConversationState, after: ConversationState): boolean =>
  after.status === 'open' && (before.status !== 'open' || before.queueId !== after.queueId);

const declined = (state: ConversationState, agent: RoutableAgent): boolean =>
  state.status !== 'none' && state.declinedBy.includes(agent.agentId);
