import type { AgentCommand, AgentEvent, AgentState, CapacityPolicy } from '@lib/domain';
import type { EventStore } from '@lib/event-store';
import type { CausationMetadata } from '../shared/causation';
import { observed, UNOBSERVED, type LifecycleObserver } from '../shared/lifecycle-observer';
import { CommandLoop } from '../shared/command-loop';
import { DEFAULT_COMMAND_RETRY, loopPolicy, type CommandRetryPolicy } from '../shared/command-retry';
import { agentKind } from './agent-kind';

export { AgentConcurrencyExhaustedError } from './agent-kind';

export interface AgentSnapshot {
  state: AgentState;
  /** Revision of the agent stream's last event; -1 when there is none. */
  revision: number;
}

export interface AgentCommandResult extends AgentSnapshot {
  /** What this command wrote (empty when it changed nothing). */
  events: AgentEvent[];
  /** Global position of the last event written, or undefined when nothing was. */
  position?: number;
}

/**
 * Runs agent commands through the command loop. The revision check is what keeps an agent
 * within capacity when several instances reserve at once: the loser re-reads, decides again on
 * the newer claims, and may be refused. Agent streams grow with every assignment, so the state
 * is kept and only the tail re-read.
 */
export class AgentLedger {
  private readonly loop: CommandLoop<AgentCommand, AgentEvent, AgentState>;

  constructor(
    store: EventStore,
    policy: CapacityPolicy,
    cachedAgents = 5_000,
    retry: CommandRetryPolicy = DEFAULT_COMMAND_RETRY,
    private readonly observer: LifecycleObserver = UNOBSERVED,
  ) {
    this.loop = new CommandLoop(store, agentKind(policy), loopPolicy(retry, cachedAgents));
  }

  /** `why`: recorded in the metadata of the events written (the request or pass, and what caused it). */
  async execute(agentId: string, command: AgentCommand, why?: CausationMetadata): Promise<AgentCommandResult> {
    const { state, revision, events, position } = await observed(
      this.observer,
      'agent',
      command.type,
      () => this.loop.execute(agentId, { command, metadata: why && { ...why } }),
      (outcome) => (outcome.events.length > 0 ? 'applied' : 'unchanged'),
    );
    return { state, revision, events, position };
  }

  /** The agent as its stream says now. */
  async load(agentId: string): Promise<AgentSnapshot> {
    const { state, revision } = await this.loop.load(agentId);
    return { state, revision };
  }
}
