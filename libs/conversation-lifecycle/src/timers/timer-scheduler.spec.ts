/**
 * The scheduler's loop on its own, with a fake timer store and command bus: overlapping passes,
 * stopping mid-pass, failures in /health, timers settled while their rows linger, and a clock
 * set back. (The timers themselves, end to end, are in test/timers*.e2e-spec.ts.)
 */
import type { CommandBus } from '@nestjs/cqrs';
import { ConversationError, DEFAULT_TIMER_POLICY } from '@lib/domain';
import type { DueTimerCutoff, StoredTimer, TimerQueries } from '@lib/read-models';
import { waitUntil } from '@lib/event-store/testing/wait-until';
import type { ConversationCommandResult, HandleConversationCommand } from '../conversations/handle-conversation-command';
import { ManualClock } from '../shared/clock';
import { TimerScheduler } from './timer-scheduler';

const T0 = '2026-06-01T12:00:00.000Z';
const MINUTE = 60_000;

/** Push reservations that began at T0: due two minutes later. */
const reservation = (conversationId: string): StoredTimer => ({
  conversationId,
  kind: 'push_reservation',
  channel: 'live_chat',
  status: 'active',
  since: T0,
});

class FakeTimers {
  rows: StoredTimer[] = [];
  failNext?: Error;
  queries = 0;
  async dueTimers(cutoffs: readonly DueTimerCutoff[]): Promise<StoredTimer[]> {
    this.queries += 1;
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    return this.rows.filter((row) =>
      cutoffs.some((cutoff) => cutoff.kind === row.kind && Date.parse(row.since) <= cutoff.sinceAtOrBeforeMs),
    );
  }
}

type Answer = 'fired' | 'alreadyFired' | 'refused' | 'fails' | Promise<'fired'>;

class FakeBus {
  sent: string[] = [];
  answer: (conversationId: string) => Answer = () => 'fired';
  async execute(envelope: HandleConversationCommand): Promise<ConversationCommandResult> {
    this.sent.push(envelope.conversationId);
    const result = (applied: boolean): ConversationCommandResult => ({
      conversationId: envelope.conversationId,
      status: 'open',
      revision: 2,
      position: 3,
      applied,
    });
    const answer = await this.answer(envelope.conversationId);
    switch (answer) {
      case 'fired':
        return result(true);
      case 'alreadyFired':
        return result(false);
      case 'refused':
        throw new ConversationError('CONVERSATION.TIMER_NOT_DUE', 'cleared', envelope.conversationId, 'active', []);
      case 'fails':
        throw new Error('event store unavailable');
    }
  }
}

const setup = () => {
  const clock = new ManualClock(T0);
  const timers = new FakeTimers();
  const bus = new FakeBus();
  const logged: string[] = [];
  const scheduler = new TimerScheduler(
    bus as unknown as CommandBus,
    clock,
    DEFAULT_TIMER_POLICY,
    { pollIntervalMs: 5, autoCloseSweepIntervalMs: 5 * MINUTE, batchSize: 100, concurrency: 1 },
    timers as unknown as TimerQueries,
    { log: (m) => logged.push(m), warn: (m) => logged.push(m) },
  );
  return { clock, timers, bus, scheduler, logged };
};

describe('TimerScheduler', () => {
  let scheduler: TimerScheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
  });

  it('sends a settled timer once while its row lingers, and retries one that failed', async () => {
    const context = setup();
    ({ scheduler } = context);
    const { clock, timers, bus } = context;
    timers.rows = [reservation('a'), reservation('b'), reservation('c')];
    bus.answer = (id) => (id === 'a' ? 'fired' : id === 'b' ? 'refused' : 'fails');
    clock.advance(2 * MINUTE);

    expect(await context.scheduler.runOnce()).toMatchObject({ fired: 1, outdated: 1, failed: 1 });
    // The projection has not caught up yet: every row is still listed.
    expect(await context.scheduler.runOnce()).toMatchObject({ fired: 0, outdated: 0, failed: 1 });
    expect(bus.sent).toEqual(['a', 'b', 'c', 'c']);

    // Once a row is gone and comes back (a new condition with the same start is impossible, but
    // the memory must not grow forever), it is sent again.
    timers.rows = [reservation('c')];
    bus.answer = () => 'fired';
    expect(await context.scheduler.runOnce()).toMatchObject({ fired: 1 });
    timers.rows = [reservation('a')];
    expect(await context.scheduler.runOnce()).toMatchObject({ fired: 1 });
    expect(bus.sent).toEqual(['a', 'b', 'c', 'c', 'c', 'a']);
  });

  it('fires nothing before the due time', async () => {
    const context = setup();
    ({ scheduler } = context);
    context.timers.rows = [reservation('a')];
    context.clock.advance(2 * MINUTE - 1);
    expect(await context.scheduler.runOnce()).toMatchObject({ fired: 0 });
    context.clock.advance(1);
    expect(await context.scheduler.runOnce()).toMatchObject({ fired: 1 });
  });

  it('never overlaps passes: the second starts after the first has finished', async () => {
    const context = setup();
    ({ scheduler } = context);
    const { clock, timers, bus } = context;
    timers.rows = [reservation('a')];
    clock.advance(2 * MINUTE);
    let release!: () => void;
    bus.answer = () => new Promise<'fired'>((resolve) => (release = () => resolve('fired')));

    const first = context.scheduler.runOnce();
    const second = context.scheduler.runOnce();
    await waitUntil(() => bus.sent.length === 1, { description: 'the first command in flight' });
    expect(timers.queries).toBe(1);
    release();
    expect(await first).toMatchObject({ fired: 1 });
    expect(await second).toMatchObject({ fired: 0 });
    expect(timers.queries).toBe(2);
  });

  it('stopping in the middle of a pass sends no further timer and resolves once the one in flight is done', async () => {
    const context = setup();
    ({ scheduler } = context);
    const { clock, timers, bus } = context;
    timers.rows = ['a', 'b', 'c', 'd'].map(reservation);
    clock.advance(2 * MINUTE);
    let release!: () => void;
    bus.answer = () => new Promise<'fired'>((resolve) => (release = () => resolve('fired')));
    context.scheduler.start();
    await waitUntil(() => bus.sent.length === 1, { description: 'the first command in flight' });

    const stopped = context.scheduler.stop();
    release();
    await stopped;
    expect(bus.sent).toEqual(['a']);
    expect(context.scheduler.status().status).toBe('off');
  });

  it('shows a pass that failed, or that could fire nothing, as failing until a pass succeeds', async () => {
    const context = setup();
    ({ scheduler } = context);
    const { clock, timers, bus } = context;
    timers.failNext = new Error('read models unavailable');
    context.scheduler.start();
    await waitUntil(() => context.scheduler.status().status === 'failing', { description: 'failing' });
    expect(context.scheduler.status().lastError).toBe('read models unavailable');
    await waitUntil(() => context.scheduler.status().status === 'ok', { description: 'ok again' });

    timers.rows = [reservation('a')];
    bus.answer = () => 'fails';
    clock.advance(2 * MINUTE);
    await waitUntil(() => context.scheduler.status().status === 'failing', { description: 'failing to fire' });
    expect(context.scheduler.status().lastError).toMatch(/1 due timers could not fire: push_reservation of a: event store unavailable/);
    bus.answer = () => 'fired';
    await waitUntil(() => context.scheduler.status().status === 'ok', { description: 'ok again' });
    expect(context.logged.some((line) => /could not fire.*First error: push_reservation of a/.test(line))).toBe(true);
  });

  it('sweeps auto-close every sweep interval of the clock, and at once when the clock is set back', async () => {
    const context = setup();
    ({ scheduler } = context);
    const { clock } = context;
    expect(await context.scheduler.runOnce()).toMatchObject({ swept: true });
    clock.advance(5 * MINUTE - 1);
    expect(await context.scheduler.runOnce()).toMatchObject({ swept: false });
    clock.advance(1);
    expect(await context.scheduler.runOnce()).toMatchObject({ swept: true });
    clock.advance(-60 * MINUTE);
    expect(await context.scheduler.runOnce()).toMatchObject({ swept: true });
    expect(await context.scheduler.runOnce()).toMatchObject({ swept: false });
  });
});
