import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Actor, QueueSettings } from '@lib/domain';
import type { CausationMetadata } from '../shared/causation';
import { QueueDirectory, type QueueDefinitionResult } from './queue-directory';

/** Creates a queue, or changes its settings. */
export class DefineQueueCommand {
  constructor(
    readonly queueId: string,
    readonly settings: QueueSettings,
    readonly by: Actor,
    readonly now: string,
    readonly why?: CausationMetadata,
  ) {}
}

@CommandHandler(DefineQueueCommand)
export class DefineQueueHandler implements ICommandHandler<DefineQueueCommand, QueueDefinitionResult> {
  constructor(private readonly queues: QueueDirectory) {}

  execute({ queueId, settings, by, now, why }: DefineQueueCommand): Promise<QueueDefinitionResult> {
    return this.queues.define(queueId, settings, by, now, why);
  }
}
