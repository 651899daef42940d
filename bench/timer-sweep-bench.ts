import 'reflect-metadata';
import { CommandBus } from '@nestjs/cqrs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefineQueueCommand, HandleConversationCommand, ManualClock, TimerScheduler } from '@lib/conversation-lifecycle';
import { system } from '@lib/domain';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import type { ProjectorHost } from '@lib/read-models';
import { createApp } from '../apps/api/src/app.factory';
import { loadConfig } from '@lib/platform';
import { PROJECTOR } from '../apps/api/src/infrastructure/read-models.module';

/**
 * How fast a backlog of due timers is worked off: opens BENCH_TIMERS (10,000) live chats on
 * the durable SQLite store, lets them all fall due for auto-close (20 minutes open, on a fake
 * clock), and times the sweep that closes them: reading the due timers page by page, and one
 * durable command per conversation through the command bus.
 */
const COUNT = Number(process.env.BENCH_TIMERS ?? 10_000);
const OPEN_CONCURRENCY = 64;

const main = async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'timer-bench-'));
  const clock = new ManualClock('2026-01-01T00:00:00.000Z');
  // The loop slowed down: the pass that counts is the one this script runs.
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'warn', TIMERS: 'on', TIMER_POLL_INTERVAL: '24d' });
  const app = await createApp(config, { clock });
  await app.init();
  try {
    const bus = app.get(CommandBus);
    await bus.execute(
      new DefineQueueCommand(
        'bench',
        { name: 'bench', mode: 'pick', priority: 0, method: 'highest_free_capacity' },
        system('bench'),
        clock.now().toISOString(),
      ),
    );
    let next = 0;
    const openStarted = performance.now();
    await Promise.all(
      Array.from({ length: OPEN_CONCURRENCY }, async () => {
        while (next < COUNT) {
          const id = `bench-${next++}`;
          await bus.execute(
            new HandleConversationCommand(
              id,
              {
                type: 'OpenConversation',
                data: { conversationId: id, channel: 'live_chat', queueId: 'bench', customerId: `c-${id}`, priority: 0 },
                metadata: { now: clock.now().toISOString() },
              },
              `open-${id}`,
            ),
          );
        }
      }),
    );
    const openMs = performance.now() - openStarted;
    const head = await app.get<EventStore>(EVENT_STORE).headPosition();
    if (!(await app.get<ProjectorHost>(PROJECTOR).waitForPosition(head, 600_000))) throw new Error('the views did not catch up');

    clock.advance(20 * 60_000);
    const sweepStarted = performance.now();
    const result = await app.get(TimerScheduler).runOnce({ sweep: true });
    const sweepMs = performance.now() - sweepStarted;
    if (result.fired !== COUNT) throw new Error(`the sweep closed ${result.fired} of ${COUNT}: ${JSON.stringify(result)}`);

    console.log(`opened ${COUNT} live chats in ${(openMs / 1000).toFixed(1)} s (${Math.round(COUNT / (openMs / 1000))}/s)`);
    console.log(
      `auto-close sweep: ${result.fired} closed in ${(sweepMs / 1000).toFixed(1)} s ` +
        `(${Math.round(result.fired / (sweepMs / 1000))} timers/s, each a durable append)`,
    );
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
