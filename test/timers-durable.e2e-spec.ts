/**
 * Timers survive restarts and run on several instances: a timer due while the service was down
 * fires once when it comes back, and two instances over one store firing the same due timers
 * produce one transition per timer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type TestApp } from './support/start-app';
import { TimerScheduler } from '@lib/conversation-lifecycle';
import { fireDueTimers, historyOf, statusOf, viewsAt } from './support/timers';
import { ViewDriver } from './support/view-driver';

const MINUTE = 60_000;
const AGENT = 'agent-1';
/** The scheduler's own loop slowed down: the passes that matter are the ones a test runs. */
const TIMERS_ON = { TIMERS: 'on', TIMER_POLL_INTERVAL: '1h' };

/** The actors of the timers' events (routing is a system actor too, but no timer). */
const TIMER_ACTORS = ['auto-close', 'push-reservation-timer', 'agent-disconnect-timer', 'customer-disconnect-timer', 'inactivity-timer'];
const timerEventsOf = async (t: TestApp, id: string) =>
  (await historyOf(t, id)).filter((line) => line.actor.kind === 'system' && TIMER_ACTORS.includes(line.actor.id));

describe('durable timers', () => {
  let dataDir: string;
  const apps: TestApp[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'timers-durable-'));
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (clockStart: string, env: Record<string, string> = {}) => {
    const app = await startApp({ store: 'sqlite', dataDir, clockStart, env: { ...TIMERS_ON, ...env } });
    apps.push(app);
    return app;
  };
  const stop = async (app: TestApp) => {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  };

  it('a timer that fell due while the service was stopped fires once when it starts again, and never again', async () => {
    const first = await start('2026-05-04T10:00:00.000Z');
    const drive = new ViewDriver(first);
    await drive.open('r1');
    await drive.command('/api/conversations/r1/customer-disconnect', {});
    // In the middle of the 3 minute wait: not due yet.
    drive.advance(MINUTE);
    expect((await fireDueTimers(first, drive.position)).fired).toBe(0);
    const stoppedAt = first.clock.now().getTime();
    await stop(first);

    // Down for 5 minutes: the timer fell due at minute 3.
    const second = await start(new Date(stoppedAt + 5 * MINUTE).toISOString());
    // The pass at start may already have fired it; this one fires whatever is left.
    await fireDueTimers(second, drive.position);
    expect(await statusOf(second, 'r1')).toBe('closed');
    const fired = await timerEventsOf(second, 'r1');
    expect(fired).toEqual([
      expect.objectContaining({ type: 'ConversationAbandonedByCustomer', actor: { kind: 'system', id: 'customer-disconnect-timer' } }),
    ]);
    // Fired as of the restarted clock, never earlier than due.
    expect(Date.parse(fired[0].at)).toBeGreaterThanOrEqual(stoppedAt - MINUTE + 3 * MINUTE);

    // Later passes and another restart find nothing left to fire.
    second.clock.advance(10 * MINUTE);
    expect(await fireDueTimers(second, await second.store.headPosition())).toMatchObject({ fired: 0 });
    const stoppedAgainAt = second.clock.now().getTime();
    await stop(second);
    const third = await start(new Date(stoppedAgainAt + 60 * MINUTE).toISOString());
    expect(await fireDueTimers(third, await third.store.headPosition(), { sweep: true })).toMatchObject({ fired: 0 });
    expect(await timerEventsOf(third, 'r1')).toHaveLength(1);
  });

  it('a timer whose condition was cleared before the restart does not fire after it', async () => {
    const first = await start('2026-05-04T10:00:00.000Z');
    const drive = new ViewDriver(first);
    await drive.open('r2');
    await drive.assign('r2', AGENT);
    drive.advance(MINUTE);
    await drive.accept('r2', AGENT);
    await fireDueTimers(first, drive.position);
    const stoppedAt = first.clock.now().getTime();
    await stop(first);

    const second = await start(new Date(stoppedAt + 10 * MINUTE).toISOString());
    expect(await fireDueTimers(second, drive.position)).toMatchObject({ fired: 0 });
    expect(await statusOf(second, 'r2')).toBe('active');
    expect(await timerEventsOf(second, 'r2')).toEqual([]);
  });

  it('two instances over one store firing the same due timers make one transition per timer', async () => {
    // One keeps the views; the other reads them (PROJECTOR=off), as two production instances would.
    const one = await start('2026-05-04T10:00:00.000Z');
    const two = await start('2026-05-04T10:00:00.000Z', { PROJECTOR: 'off' });
    // Each instance writes half of the conversations, so each has half of them cached and is
    // the quicker one for those: the races go both ways.
    const drivers = [new ViewDriver(one), new ViewDriver(two)];
    const ids: string[] = [];
    for (let index = 0; index < 12; index += 1) {
      const id = `twin-${index}`;
      const drive = drivers[index % 2];
      ids.push(id);
      await drive.open(id);
      if (index % 3 === 0) await drive.command(`/api/conversations/${id}/customer-disconnect`, {});
      if (index % 3 === 1) await drive.assign(id, AGENT);
      if (index % 3 === 2) {
        await drive.pick(id, AGENT);
        await drive.command(`/api/conversations/${id}/agent-disconnect`, { agentId: AGENT });
      }
    }
    const lastWrite = Math.max(...drivers.map((drive) => drive.position));
    // Both past every due time; their clocks a millisecond apart, so their events would differ.
    one.clock.advance(10 * MINUTE);
    two.clock.advance(10 * MINUTE + 1);

    // Both see every timer before either fires, so they race for each one.
    await Promise.all([viewsAt(one, lastWrite), viewsAt(two, lastWrite)]);
    const [a, b] = await Promise.all([one.app.get(TimerScheduler).runOnce(), two.app.get(TimerScheduler).runOnce()]);

    expect(a.failed + b.failed).toBe(0);
    expect(a.fired + b.fired).toBe(ids.length);
    // The loser of each race was told it had fired already (same command id) or was too late.
    expect(a.alreadyFired + b.alreadyFired + a.outdated + b.outdated).toBe(ids.length);
    for (const id of ids) {
      const fired = await timerEventsOf(one, id);
      expect({ id, fired: fired.map((line) => line.type) }).toEqual({ id, fired: [expect.any(String)] });
    }
    // Nothing is left for either of them.
    const head = await one.store.headPosition();
    expect(await fireDueTimers(one, head)).toMatchObject({ fired: 0 });
    expect(await fireDueTimers(two, head)).toMatchObject({ fired: 0 });
  });
});
