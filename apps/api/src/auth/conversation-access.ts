import { Injectable } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { agent, supervisor, type Actor } from '@lib/domain';
import {
  AgentLedger,
  GetConversationHistoryQuery,
  GetConversationQuery,
  type CommandPrincipal,
  type ConversationView,
  type HistoryEntry,
} from '@lib/conversation-lifecycle';
import { forbidden } from './auth.errors';
import { allowedRoles, relationFor, relationNotMet, type ApiAction } from './permissions';
import type { Principal, Role } from '@lib/platform';

/** The role a request acts under, and the actor the domain records for it. */
export interface Acting {
  principal: CommandPrincipal;
  actor: Actor;
}

const HISTORY_AGENT_FIELDS = ['agentId', 'toAgentId', 'fromAgentId', 'consultantId'] as const;

/**
 * Checks the relations PERMISSIONS names, where they need the thing acted on (the guard has
 * already checked the roles): whose agent id a body may name, which conversations and queues
 * an agent may read, whose agent record.
 */
@Injectable()
export class ConversationAccess {
  constructor(
    private readonly queryBus: QueryBus,
    private readonly ledger: AgentLedger,
  ) {}

  /** Acting under `role`, which the caller must hold and the action allow. */
  as(principal: Principal, action: ApiAction, role: Role): Acting {
    if (!allowedRoles(principal, action).includes(role)) {
      throw forbidden(`${action} here needs the role ${role}; the token has ${principal.roles.join(', ') || 'none'}`, { action, role });
    }
    return { principal: { id: principal.id, role }, actor: role === 'supervisor' ? supervisor(principal.id) : agent(principal.id) };
  }

  /**
   * An agent acts as itself: the agent id is the caller's `sub`. A body that names an agent
   * anyway must name the caller (existing clients keep working; nobody writes another's id).
   */
  ownAgentId(principal: Principal, action: ApiAction, named: string | undefined, field = 'agentId'): string {
    this.as(principal, action, 'agent');
    if (named !== undefined && named !== principal.id) {
      throw forbidden(`${field} must be your own id (${principal.id}) or left out: an agent acts only as itself`, { action, field });
    }
    return principal.id;
  }

  /** A supervisor acts as itself: `supervisorId`, when given, must be the caller. */
  ownSupervisorId(principal: Principal, action: ApiAction, named: string | undefined): string {
    this.as(principal, action, 'supervisor');
    if (named !== undefined && named !== principal.id) {
      throw forbidden(`supervisorId must be your own id (${principal.id}) or left out`, { action, field: 'supervisorId' });
    }
    return principal.id;
  }

  /** For an agent's own records (work items, presence, its agent record): the agent itself, or a role that may read any. */
  self(principal: Principal, action: ApiAction, agentId: string): Role {
    const roles = allowedRoles(principal, action);
    const any = roles.find((role) => relationFor(action, role) === 'any');
    if (any) return any;
    if (agentId === principal.id) return 'agent';
    throw relationNotMet(action, 'agent', 'self', `only agent ${agentId} itself may do this`);
  }

  /** A queue's open items: a role that reads any, or an agent serving that queue. */
  async servesQueue(principal: Principal, action: ApiAction, queueId: string): Promise<void> {
    const roles = allowedRoles(principal, action);
    if (roles.some((role) => relationFor(action, role) === 'any')) return;
    const { state } = await this.ledger.load(principal.id);
    if (state.status !== 'registered' || !state.queueIds.includes(queueId)) {
      throw relationNotMet(action, 'agent', 'serves-queue', `agent ${principal.id} does not serve queue ${queueId}`);
    }
  }

  /**
   * A conversation's state or history: a role that reads any, or an agent that holds, held or
   * consults on it (anywhere in its history), or for which it is open in a queue it serves.
   */
  async mayReadConversation(principal: Principal, action: ApiAction, conversationId: string): Promise<void> {
    const roles = allowedRoles(principal, action);
    if (roles.some((role) => relationFor(action, role) === 'any')) return;
    const history = await this.queryBus.execute<GetConversationHistoryQuery, HistoryEntry[]>(
      new GetConversationHistoryQuery(conversationId),
    );
    const involved = history.some(
      (entry) =>
        (entry.actor.kind === 'agent' && entry.actor.id === principal.id) ||
        HISTORY_AGENT_FIELDS.some((field) => entry.details[field] === principal.id),
    );
    if (involved) return;
    const view = await this.queryBus.execute<GetConversationQuery, ConversationView>(new GetConversationQuery(conversationId));
    if (view.status === 'open') {
      const { state } = await this.ledger.load(principal.id);
      if (state.status === 'registered' && state.queueIds.includes(view.queueId)) return;
    }
    throw relationNotMet(
      action,
      'agent',
      'involved',
      `agent ${principal.id} has not held or consulted on conversation ${conversationId}, and it is not open in a queue the agent serves`,
    );
  }
}
