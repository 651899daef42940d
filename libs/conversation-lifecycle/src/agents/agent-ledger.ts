import {
  decideAgent,
  evolveAgent,
  initialAgentState,
  type AgentCommand,
  type AgentEvent,
  type AgentState,
  type CapacityPolicy,
} from '@lib/domain';
import { IdempotencyMismatchError, WrongExpectedRevisionError, type EventStore } from '@lib/event-store';
import { deterministicUuid, fingerprint } from '../shared/deterministic-id';
import { KeyedSerializer } from '../shared/keyed-serializer';
import { agentStream, toAgentEvent } from './agent-stream';

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

/** Every attempt lost the race for the agent's stream to other writers: the caller may retry. */
export class AgentConcurrencyExhaustedError extends Error {
  readonly code = 'AGENT.CONCURRENT_UPDATE';
  constructor(readonly agentId: string, readonly attempts: number) {
    super(`Agent ${agentId} kept changing under ${attempts} attempts; retry the command`);
  }
}

export const AGENT_LEDGER_MAX_ATTEMPTS = 20;

/**
 * Runs agent commands: catch up on the agent's stream, decide, append with the expected
 * revision. The revision check is what keeps an agent within capacity when several instances
 * reserve at once: the loser re-reads, decides again on the newer claims, and may be refused.
 * Agent streams grow with every assignment, so the state is kept and only the tail re-read.
 */
export class AgentLedger {
  private readonly perAgent = new KeyedSerializer();
  private readonly snapshots = new Map<string, AgentSnapshot>();

  constructor(
    private readonly store: EventStore,
    private readonly policy: CapacityPolicy,
    private readonly cachedAgents = 5_000,
  ) {}

  execute(agentId: string, command: AgentCommand): Promise<AgentCommandResult> {
    return this.perAgent.run(agentId, () => this.handle(agentId, command));
  }

  /** The agent as its stream says now. */
  load(agentId: string): Promise<AgentSnapshot> {
    return this.perAgent.run(agentId, () => this.catchUp(agentId));
  }

  private async handle(agentId: string, command: AgentCommand): Promise<AgentCommandResult> {
    const stream = agentStream(agentId);
    const commandFingerprint = fingerprint(command);
    for (let attempt = 1; ; attempt++) {
      const current = await this.catchUp(agentId);
      const events = decideAgent(command, current.state, agentId, this.policy);
      if (events.length === 0) return { ...current, events };
      try {
        const appended = await this.store.appendToStream(
          stream,
          events.map((event, index) => ({
            // Same command at the same revision, same ids: two instances settling the same
            // claim at once write it once.
            id: deterministicUuid(stream, String(current.revision), commandFingerprint, String(index)),
            type: event.type,
            data: event.data,
          })),
          { expectedRevision: current.revision === -1 ? 'no_stream' : current.revision },
        );
        if (appended.recognisedRetry) {
          // Another writer appended exactly this; its events are on the stream now.
          const after = await this.catchUp(agentId);
          return { ...after, events: [], position: appended.position };
        }
        const state = events.reduce(evolveAgent, current.state);
        const snapshot = { state, revision: appended.nextExpectedRevision };
        this.remember(agentId, snapshot);
        return { ...snapshot, events, position: appended.position };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) && !(error instanceof IdempotencyMismatchError)) throw error;
        if (attempt >= AGENT_LEDGER_MAX_ATTEMPTS) throw new AgentConcurrencyExhaustedError(agentId, attempt);
        await pause(Math.random() * 3 * attempt);
      }
    }
  }

  private async catchUp(agentId: string): Promise<AgentSnapshot> {
    const known = this.snapshots.get(agentId) ?? { state: initialAgentState(), revision: -1 };
    const tail = await this.store.readStream(agentStream(agentId), { fromRevision: known.revision + 1 });
    if (tail.length === 0) return known;
    let state = known.state;
    for (const recorded of tail) state = evolveAgent(state, toAgentEvent(recorded));
    const snapshot = { state, revision: tail[tail.length - 1].revision };
    this.remember(agentId, snapshot);
    return snapshot;
  }

  private remember(agentId: string, snapshot: AgentSnapshot): void {
    this.snapshots.delete(agentId);
    this.snapshots.set(agentId, snapshot);
    if (this.snapshots.size > this.cachedAgents) {
      const oldest = this.snapshots.keys().next().value;
      if (oldest !== undefined) this.snapshots.delete(oldest);
    }
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
