import { join } from 'node:path';
import { DEFAULT_CONVERSATION_POLICY } from '@lib/domain';
import { SqliteEventStore } from '@lib/event-store';
import { DEFAULT_COMMAND_RETRY, HandleConversationCommand, HandleConversationCommandHandler } from '@lib/conversation-lifecycle';
import { loadConfig } from '../../api/src/config/app-config';
import { EVENTS_FILE } from '../../api/src/infrastructure/event-store.module';
import { parseOptions } from './cli-options';
import { demoHistory } from './demo-history';
import { ProgressBar } from './progress-bar';

/**
 * Writes a simulated day of conversations into an empty event log, through the same command
 * handler as the service, so reports and views have realistic data to show.
 */
export const seedCommand = async (args: string[]): Promise<void> => {
  const options = parseOptions(args, { conversations: 'integer', seed: 'integer', start: 'time' });
  const conversations = options.conversations ?? 300;
  if (conversations < 1 || conversations > 100_000) throw new Error('--conversations must be between 1 and 100000');
  const config = loadConfig();
  if (config.eventStore !== 'sqlite') throw new Error(`seed writes to the SQLite event log; EVENT_STORE=${config.eventStore}`);
  const filename = join(config.dataDir, EVENTS_FILE);
  const store = new SqliteEventStore({ filename, checkpointIntervalMs: 0 });
  try {
    if ((await store.headPosition()) > 0) {
      throw new Error(`${filename} already holds events; seed an empty DATA_DIR (for example DATA_DIR=./demo-data)`);
    }
    const steps = demoHistory({ conversations, seed: options.seed ?? 42, start: options.start ?? '2026-11-20T08:00:00.000Z' });
    const handler = new HandleConversationCommandHandler(store, DEFAULT_CONVERSATION_POLICY, DEFAULT_COMMAND_RETRY);
    const bar = new ProgressBar('seeding demo conversations');
    let done = 0;
    for (const step of steps) {
      await handler.execute(new HandleConversationCommand(step.conversationId, step.command, `seed-${done}`));
      bar.update(++done, steps.length);
    }
    const seconds = bar.finish();
    console.log(`Seeded ${conversations} conversations (${steps.length} commands) into ${filename} in ${seconds.toFixed(1)} s`);
  } finally {
    await store.close();
  }
};
