import { DEFAULT_CONVERSATION_POLICY, system } from '@lib/domain';
import {
  AgentLedger,
  CapacityCoordinator,
  DEFAULT_COMMAND_RETRY,
  HandleConversationCommand,
  HandleConversationCommandHandler,
  QueueDirectory,
} from '@lib/conversation-lifecycle';
import { eventStoreLocation, loadConfig, openEventStore } from '@lib/platform';
import { DEMO_AGENTS, DEMO_QUEUES, demoHistory } from './demo-history';
import { ProgressBar } from './progress-bar';

/** As given on the command line (main.ts): the start already in UTC, nothing defaulted yet. */
export interface SeedOptions {
  conversations?: number;
  seed?: number;
  start?: string;
}

/**
 * Writes a simulated day of conversations into an empty event log, through the same command
 * handler as the service, so reports and views have realistic data to show.
 */
export const seedCommand = async (options: SeedOptions): Promise<void> => {
  const conversations = options.conversations ?? 300;
  if (conversations < 1 || conversations > 100_000) throw new Error('--conversations must be between 1 and 100000');
  const config = loadConfig();
  if (config.eventStore === 'memory') throw new Error('EVENT_STORE=memory keeps nothing to seed; use EVENT_STORE=sqlite or eventstoredb');
  const location = eventStoreLocation(config);
  const store = await openEventStore(config, { sqliteCheckpointIntervalMs: 0 });
  try {
    if ((await store.headPosition()) > 0) {
      throw new Error(
        config.eventStore === 'sqlite'
          ? `${location} already holds events; seed an empty DATA_DIR (for example DATA_DIR=./demo-data)`
          : `${location} already holds events; seed an empty database`,
      );
    }
    const start = options.start ?? '2026-11-20T08:00:00.000Z';
    const steps = demoHistory({ conversations, seed: options.seed ?? 42, start });
    // The world the conversations happen in: the queues, and agents serving all of them with
    // room for every conversation the simulated day gives them at once.
    const queues = new QueueDirectory(store);
    const ledger = new AgentLedger(store, config.capacityPolicy);
    const by = system('seed');
    for (const queueId of DEMO_QUEUES)
      await queues.define(queueId, { name: queueId, mode: 'pick', priority: 0, method: 'highest_free_capacity' }, by, start);
    for (const agentId of DEMO_AGENTS) {
      await ledger.execute(agentId, {
        type: 'RegisterAgent',
        data: { agentId, capacity: 100, queueIds: DEMO_QUEUES, presence: 'available', by },
        metadata: { now: start },
      });
    }
    const handler = new HandleConversationCommandHandler(
      store,
      DEFAULT_CONVERSATION_POLICY,
      DEFAULT_COMMAND_RETRY,
      new CapacityCoordinator(ledger),
      queues,
    );
    const bar = new ProgressBar('seeding demo conversations');
    let done = 0;
    for (const step of steps) {
      await handler.execute(new HandleConversationCommand(step.conversationId, step.command, `seed-${done}`));
      bar.update(++done, steps.length);
    }
    const seconds = bar.finish();
    console.log(`Seeded ${conversations} conversations (${steps.length} commands) into ${location} in ${seconds.toFixed(1)} s`);
  } finally {
    await store.close();
  }
};
