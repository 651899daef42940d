import { randomUUID } from 'node:crypto';
import type { CommandBus } from '@nestjs/cqrs';
import {
  CHANNELS,
  ConversationError,
  LIVE_STATUSES,
  fixedTimerDurationMs,
  runningTimers,
  timerCommand,
  type ConversationState,
  type FixedTimerKind,
  type RunningTimer,
  type TimerPolicy,
} from '@lib/domain';
import { cursorAfter, type DueTimerCutoff, type DueTimersCursor, type StoredTimer, type TimerQueries } from '@lib/read-models';
import { IdempotencyKeyReusedError } from '../conversations/conversation-command.errors';
import { HandleConversationCommand, type ConversationCommandResult } from '../conversations/handle-conversation-command';
import type { Clock } from '../shared/clock';
import { UNOBSERVED, type LifecycleObserver } from '../shared/lifecycle-observer';

export interface TimerSchedule {
  /** How often (real time) the scheduler looks for due timers other than auto-close. */
  pollIntervalMs: number;
  /** How often, on the injected clock, the auto-close sweep runs. */
  autoCloseSweepIntervalMs: number;
  /** Due timers read per query; a pass pages through all of them. */
  batchSize: number;
  /** Timer commands in flight at once. */
  concurrency: number;
}

export const DEFAULT_TIMER_SCHEDULE: TimerSchedule = {
  pollIntervalMs: 1000,
  autoCloseSweepIntervalMs: 5 * 60 * 1000,
  batchSize: 500,
  concurrency: 8,
};

export interface TimerLogger {
  log(message: string): void;
  warn(message: string): void;
  debug?(message: string): void;
}

/** What one pass did. */
export interface TimerPassResult {
  /** Expiries this pass appended. */
  fired: number;
  /** Expiries already appended by an earlier pass or another instance (same command id). */
  alreadyFired: number;
  /** Refused by the conversation: its condition was cleared after the timer store was read. */
  outdated: number;
  /** Failed for another reason (store unavailable...): the next pass tries again. */
  failed: number;
  /** Whether the auto-close sweep ran in this pass. */
  swept: boolean;
}

/** What /health shows of the scheduler. */
export interface TimerSchedulerStatus {
  /** `off`: this instance does not fire timers; `failing`: its last pass failed. */
  status: 'ok' | 'off' | 'failing';
  /** The clock time of the last pass that completed, and what it did. */
  lastPass?: { at: string } & TimerPassResult;
  lastError?: string;
}

const TIMERS_WITHOUT_SWEEP: readonly FixedTimerKind[] = ['push_reservation', 'agent_disconnect', 'customer_disconnect', 'inactivity'];

/**
 * The timer process manager. The timers themselves are the timer projection's rows, derived
 * from the events, so nothing is kept here that a restart could lose: each pass reads the due
 * ones and sends each expiry through the command bus with an id derived from the timer (its
 * kind, status and the time its condition began). Two instances firing the same timer send the
 * same command, and the command handler appends it once; a timer whose condition was cleared in
 * the meantime is refused by the decider and changes nothing.
 *
 * Auto-close is checked by a sweep every `autoCloseSweepIntervalMs` of the injected clock (the
 * platform's behaviour); the other timers on every poll, so they fire within a poll of their due
 * time and never before it (the decider checks the command's time against the condition).
 */
export class TimerScheduler {
  private loop?: NodeJS.Timeout;
  private running = false;
  private current: Promise<TimerPassResult> = Promise.resolve(emptyResult(false));
  private nextSweepAtMs = Number.NEGATIVE_INFINITY;
  private generation = 0;
  /** Timers this instance has settled (fired, found fired, or refused) whose rows may still be listed. */
  private readonly settled = new Set<string>();
  private lastPass?: TimerSchedulerStatus['lastPass'];
  private lastError?: string;

  constructor(
    private readonly commandBus: CommandBus,
    private readonly clock: Clock,
    private readonly policy: TimerPolicy,
    private readonly schedule: TimerSchedule,
    private readonly timers: TimerQueries,
    private readonly logger: TimerLogger,
    private readonly observer: LifecycleObserver = UNOBSERVED,
  ) {}

  /** Runs a pass now (with the sweep), then one every poll interval. */
  start(): void {
    if (this.running) return;
    this.running = true;
    // A loop of an earlier start that is still finishing its pass sees another generation and ends.
    this.generation += 1;
    this.tick(this.generation);
  }

  /** Stops the loop; a pass in flight stops between timers. Resolves once none is in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation += 1;
    if (this.loop) clearTimeout(this.loop);
    this.loop = undefined;
    await this.current.catch(() => undefined);
  }

  /**
   * One pass as of the clock's now, after any pass in flight: the due timers, and the auto-close
   * sweep when it is due (or when `sweep` forces it). Passes never overlap.
   */
  runOnce(options: { sweep?: boolean } = {}): Promise<TimerPassResult> {
    const pass = this.current.catch(() => undefined).then(() => this.pass(options.sweep ?? false, () => false));
    this.current = pass;
    return pass;
  }

  status(): TimerSchedulerStatus {
    const status = !this.running ? 'off' : this.lastError !== undefined ? 'failing' : 'ok';
    return {
      status,
      ...(this.lastPass ? { lastPass: this.lastPass } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private tick(generation: number): void {
    const stopped = () => generation !== this.generation;
    if (stopped()) return;
    const pass = this.current.catch(() => undefined).then(() => this.pass(false, stopped));
    this.current = pass;
    void pass
      .catch((error: unknown) => {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.logger.warn(`Timer pass failed; next try in ${this.schedule.pollIntervalMs} ms: ${this.lastError}`);
      })
      .finally(() => {
        if (stopped()) return;
        this.loop = setTimeout(() => this.tick(generation), this.schedule.pollIntervalMs);
        this.loop.unref();
      });
  }

  private async pass(forceSweep: boolean, stopped: () => boolean): Promise<TimerPassResult> {
    const startedAt = this.clock.now();
    const nowMs = startedAt.getTime();
    // A clock set back (tests, a corrected host clock) must not hold the sweep off until it catches up.
    const sweep = forceSweep || nowMs >= this.nextSweepAtMs || nowMs < this.nextSweepAtMs - this.schedule.autoCloseSweepIntervalMs;
    const cutoffs = this.cutoffs(nowMs, sweep);
    const result = emptyResult(sweep);
    const correlationId = `timers:${randomUUID()}`;
    const firedByKind = new Map<string, number>();
    const stillDue = new Set<string>();
    let firstFailure: string | undefined;

    let after: DueTimersCursor | undefined;
    let complete = true;
    for (;;) {
      if (stopped()) {
        complete = false;
        break;
      }
      const due = await this.timers.dueTimers(cutoffs, this.schedule.batchSize, after);
      const toSend = due.filter((timer) => {
        const key = settledKey(timer);
        stillDue.add(key);
        return !this.settled.has(key);
      });
      await inParallel(toSend, this.schedule.concurrency, stopped, async (timer) => {
        const outcome = await this.fire(timer, correlationId);
        result[outcome.kind] += 1;
        if (outcome.kind === 'failed') firstFailure ??= outcome.reason;
        else this.settled.add(settledKey(timer));
        if (outcome.kind === 'fired') firedByKind.set(timer.kind, (firedByKind.get(timer.kind) ?? 0) + 1);
      });
      if (due.length < this.schedule.batchSize) break;
      after = cursorAfter(due[due.length - 1]);
    }
    if (complete) {
      // A settled timer is skipped while the timer projection has not yet caught up with the
      // event that ended it; once its row is gone it is forgotten.
      for (const key of this.settled) if (!stillDue.has(key) && (sweep || !key.startsWith('auto_close|'))) this.settled.delete(key);
      // The sweep counts as done only once it went through every due timer.
      if (sweep) this.nextSweepAtMs = nowMs + this.schedule.autoCloseSweepIntervalMs;
    }

    if (result.fired > 0) {
      const kinds = [...firedByKind].map(([kind, count]) => `${kind} ${count}`).join(', ');
      this.logger.log(`Timers fired ${result.fired} (${kinds})`);
    }
    if (result.failed > 0) {
      this.logger.warn(`${result.failed} due timers could not fire; the next pass tries again. First error: ${firstFailure}`);
    }
    this.lastPass = { at: startedAt.toISOString(), ...result };
    this.observer.timerPass(result);
    // Some failures among successes are a store's hiccup; nothing but failures means timers are stuck.
    this.lastError = result.failed > 0 && result.fired === 0 ? `${result.failed} due timers could not fire: ${firstFailure}` : undefined;
    return result;
  }

  /** The "due" range of every timer group the policy lets fire: its condition began at least its duration ago. */
  private cutoffs(nowMs: number, sweep: boolean): DueTimerCutoff[] {
    const cutoffs: DueTimerCutoff[] = [];
    for (const kind of TIMERS_WITHOUT_SWEEP) {
      cutoffs.push({ kind, sinceAtOrBeforeMs: nowMs - fixedTimerDurationMs(kind, this.policy) });
    }
    if (!sweep) return cutoffs;
    for (const channel of CHANNELS) {
      for (const status of LIVE_STATUSES) {
        const duration = this.policy.autoClose[channel][status];
        if (duration !== null) cutoffs.push({ kind: 'auto_close', channel, status, sinceAtOrBeforeMs: nowMs - duration });
      }
    }
    return cutoffs;
  }

  /** Sends one expiry, as of the clock's time now (never before the cutoff the timer was found due by). */
  private async fire(
    timer: StoredTimer,
    correlationId: string,
  ): Promise<{ kind: 'fired' | 'alreadyFired' | 'outdated' } | { kind: 'failed'; reason: string }> {
    const running: RunningTimer = { kind: timer.kind, since: timer.since, status: timer.status };
    const command = timerCommand(running, timer.channel, this.policy, this.clock.now().toISOString());
    if (command === undefined) return { kind: 'outdated' };
    try {
      const result = await this.commandBus.execute<HandleConversationCommand, ConversationCommandResult>(
        new HandleConversationCommand(timer.conversationId, command, timerCommandId(running), undefined, undefined, {
          correlationId,
          // Caused by the event that started the timer's condition.
          causedByEvent: (before, after) => isRunning(after, running) && !isRunning(before, running),
        }),
      );
      return { kind: result.applied ? 'fired' : 'alreadyFired' };
    } catch (error) {
      // Refused by the decider (the condition cleared) or fired already under another policy's duration.
      if (error instanceof ConversationError || error instanceof IdempotencyKeyReusedError) {
        this.logger.debug?.(`Timer ${timer.kind} of ${timer.conversationId} no longer applies: ${error.message}`);
        return { kind: 'outdated' };
      }
      return {
        kind: 'failed',
        reason: `${timer.kind} of ${timer.conversationId}: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
}

const isRunning = (state: ConversationState, timer: RunningTimer): boolean =>
  runningTimers(state).some((running) => running.kind === timer.kind && running.status === timer.status && running.since === timer.since);

/**
 * One id per timer: the same condition (kind, status, start) always expires with the same
 * command, whichever instance or pass sends it, so it is appended at most once.
 */
export const timerCommandId = (timer: RunningTimer): string => `timer:${timer.kind}:${timer.status}:${timer.since}`;

/** A timer row: the same conversation, kind, status and start is the same timer. */
const settledKey = (timer: StoredTimer): string => `${timer.kind}|${timer.conversationId}|${timer.status}|${timer.since}`;

const emptyResult = (swept: boolean): TimerPassResult => ({ fired: 0, alreadyFired: 0, outdated: 0, failed: 0, swept });

/** Runs `work` over the items, at most `concurrency` at a time, starting no new one once `stopped`. */
const inParallel = async <T>(
  items: readonly T[],
  concurrency: number,
  stopped: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stopped()) {
      const item = items[next];
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
};
