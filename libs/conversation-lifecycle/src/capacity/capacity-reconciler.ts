import { randomUUID } from 'node:crypto';
import type { AgentLedger } from '../agents/agent-ledger';
import type { Clock } from '../shared/clock';
import { UNOBSERVED, type LifecycleObserver } from '../shared/lifecycle-observer';
import type { ConversationLoader } from './capacity-coordinator';
import { standingOf } from './conversation-standing';

export interface ReconcilerSchedule {
  /** How often (real time) every claim is checked against its conversation. */
  intervalMs: number;
  /**
   * A reservation whose conversation write has not appeared after this long (on the injected
   * clock) is an orphan of a crash between the two writes, and is released.
   */
  orphanAfterMs: number;
}

export const DEFAULT_RECONCILER_SCHEDULE: ReconcilerSchedule = { intervalMs: 60_000, orphanAfterMs: 30_000 };

export interface ReconcilePassResult {
  agents: number;
  claims: number;
  /** Agent events written: releases of orphans and leftovers, wrap-up blocks. */
  settled: number;
  failed: number;
}

/** The agents that may hold capacity (from the capacity board). */
export type AgentsWithClaims = () => Promise<string[]>;

export interface ReconcilerLogger {
  warn(message: string): void;
}

/**
 * Settles every claim an agent holds against its conversation's stream: releases reservations
 * a crash orphaned, capacity a lost settlement left behind, and wrap-up blocks that ran out.
 * It changes only what the agent decider agrees is out of step, so running it on several
 * instances at once is safe.
 */
export class CapacityReconciler {
  private interval?: NodeJS.Timeout;
  private running?: Promise<ReconcilePassResult>;

  constructor(
    private readonly ledger: AgentLedger,
    private readonly agentsWithClaims: AgentsWithClaims,
    private readonly loadConversation: ConversationLoader,
    private readonly clock: Clock,
    private readonly schedule: ReconcilerSchedule = DEFAULT_RECONCILER_SCHEDULE,
    private readonly logger: ReconcilerLogger = { warn: () => undefined },
    private readonly observer: LifecycleObserver = UNOBSERVED,
  ) {}

  start(): void {
    if (this.interval) return;
    this.interval = setInterval(() => void this.runOnce().catch((e: unknown) => this.logger.warn(describe(e))), this.schedule.intervalMs);
    this.interval.unref();
  }

  async stop(): Promise<void> {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass; a pass already running is joined rather than doubled. */
  runOnce(): Promise<ReconcilePassResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<ReconcilePassResult> {
    const result: ReconcilePassResult = { agents: 0, claims: 0, settled: 0, failed: 0 };
    const correlationId = `reconcile:${randomUUID()}`;
    for (const agentId of await this.agentsWithClaims()) {
      result.agents++;
      const { state } = await this.ledger.load(agentId);
      if (state.status !== 'registered') continue;
      for (const conversationId of Object.keys(state.claims)) {
        result.claims++;
        try {
          const { state: conversation, revision, lastEventId } = await this.loadConversation(conversationId);
          // The claim is settled against the conversation as its last event left it (or, for an orphan, its absence).
          const settled = await this.ledger.execute(
            agentId,
            {
              type: 'SettleCapacity',
              data: { conversation: standingOf(conversationId, conversation, revision), orphanAfterMs: this.schedule.orphanAfterMs },
              metadata: { now: this.clock.now().toISOString() },
            },
            { correlationId, causationId: lastEventId ?? correlationId },
          );
          result.settled += settled.events.length;
        } catch (error) {
          result.failed++;
          this.logger.warn(`Could not reconcile agent ${agentId}'s claim on conversation ${conversationId}: ${describe(error)}`);
        }
      }
    }
    this.observer.reconcilerPass(result);
    return result;
  }
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
