import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  ConversationError,
  decide,
  evolve,
  initialConversationState,
  type ConversationCommand,
  type ConversationPolicy,
  type ConversationState,
  type ConversationStatus,
} from '@lib/domain';
import {
  EVENT_STORE,
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@lib/event-store';
import { deterministicUuid, fingerprint } from '../shared/deterministic-id';
import { KeyedSerializer } from '../shared/keyed-serializer';
import {
  ConcurrencyExhaustedError,
  IdempotencyKeyReusedError,
  RevisionMismatchError,
} from './conversation-command.errors';
import { conversationStream, toConversationEvent, type ConversationEventMetadata } from './conversation-stream';

export const CONVERSATION_POLICY = Symbol('CONVERSATION_POLICY');
export const COMMAND_RETRY = Symbol('COMMAND_RETRY');

export interface CommandRetryPolicy {
  maxAttempts: number;
  /** Upper bound of the random pause before attempt n is n * this. */
  baseDelayMs: number;
}

export const DEFAULT_COMMAND_RETRY: CommandRetryPolicy = { maxAttempts: 10, baseDelayMs: 5 };

/**
 * The one envelope for every conversation command: which conversation, what to do, and how
 * to make it safe to repeat (commandId) or to pin (expectedRevision, from If-Match).
 */
export class HandleConversationCommand {
  constructor(
    readonly conversationId: string,
    readonly command: ConversationCommand,
    readonly commandId: string,
    readonly expectedRevision?: number,
  ) {}
}

export interface ConversationCommandResult {
  conversationId: string;
  status: ConversationStatus;
  /** Revision of the stream's last event: the ETag, and the If-Match for the next command. */
  revision: number;
  /** Global position of the last event written (or of the original write on a retry). */
  position: number;
  /** False when the answer repeats an earlier identical command (same Idempotency-Key). */
  applied: boolean;
}

@CommandHandler(HandleConversationCommand)
export class HandleConversationCommandHandler implements ICommandHandler<HandleConversationCommand, ConversationCommandResult> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONVERSATION_POLICY) private readonly policy: ConversationPolicy,
    @Inject(COMMAND_RETRY) private readonly retry: CommandRetryPolicy,
  ) {}

  private readonly perConversation = new KeyedSerializer();

  execute(envelope: HandleConversationCommand): Promise<ConversationCommandResult> {
    return this.perConversation.run(envelope.conversationId, () => this.handle(envelope));
  }

  private async handle(envelope: HandleConversationCommand): Promise<ConversationCommandResult> {
    const { conversationId, command, commandId, expectedRevision } = envelope;
    const stream = conversationStream(conversationId);
    // The time of the command is not part of what it asks for: a retry an hour later is the same command.
    const commandFingerprint = fingerprint({ type: command.type, data: command.data });

    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(stream);
      const earlier = earlierResultOf(recorded, conversationId, commandId, commandFingerprint);
      if (earlier) return earlier;

      const state = recorded.reduce<ConversationState>((s, e) => evolve(s, toConversationEvent(e)), initialConversationState());
      const currentRevision = recorded.length > 0 ? recorded[recorded.length - 1].revision : -1;
      if (expectedRevision !== undefined && expectedRevision !== currentRevision) {
        throw new RevisionMismatchError(conversationId, expectedRevision, currentRevision);
      }

      const events = decideFor(conversationId, command, state, this.policy);
      const newState = events.reduce(evolve, state);
      const toAppend: NewEvent[] = events.map((event, index) => ({
        // The fingerprint is part of the id: a reused key with another command must not pass for a retry.
        id: deterministicUuid(stream, commandId, commandFingerprint, String(index)),
        type: event.type,
        data: event.data,
        metadata: { commandId, commandFingerprint, eventIndex: index, eventCount: events.length } satisfies ConversationEventMetadata,
      }));

      try {
        const appended = await this.store.appendToStream(stream, toAppend, {
          expectedRevision: currentRevision === -1 ? 'no_stream' : currentRevision,
        });
        return {
          conversationId,
          status: newState.status as ConversationStatus,
          revision: appended.nextExpectedRevision,
          position: appended.position,
          applied: true,
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (expectedRevision !== undefined) {
          const actual = typeof error.actual === 'number' ? error.actual : -1;
          throw new RevisionMismatchError(conversationId, expectedRevision, actual);
        }
        if (attempt >= this.retry.maxAttempts) throw new ConcurrencyExhaustedError(conversationId, attempt);
        await pause(Math.random() * this.retry.baseDelayMs * attempt);
      }
    }
  }
}

const decideFor = (
  conversationId: string,
  command: ConversationCommand,
  state: ConversationState,
  policy: ConversationPolicy,
) => {
  try {
    return decide(command, state, policy);
  } catch (error) {
    if (error instanceof ConversationError && error.conversationId === undefined) {
      throw new ConversationError(error.code, error.message, conversationId, error.status, error.allowedActions, error.details);
    }
    throw error;
  }
};

/**
 * When this command id already wrote events to the stream, the answer is what it answered
 * then: the status right after its last event and that event's revision.
 */
const earlierResultOf = (
  recorded: RecordedEvent[],
  conversationId: string,
  commandId: string,
  commandFingerprint: string,
): ConversationCommandResult | undefined => {
  let lastOfCommand = -1;
  for (let i = recorded.length - 1; i >= 0; i--) {
    const metadata = recorded[i].metadata as Partial<ConversationEventMetadata>;
    if (metadata.commandId === commandId) {
      if (metadata.commandFingerprint !== commandFingerprint) throw new IdempotencyKeyReusedError(conversationId, commandId);
      lastOfCommand = i;
      break;
    }
  }
  if (lastOfCommand === -1) return undefined;
  const stateThen = recorded
    .slice(0, lastOfCommand + 1)
    .reduce<ConversationState>((s, e) => evolve(s, toConversationEvent(e)), initialConversationState());
  return {
    conversationId,
    status: stateThen.status as ConversationStatus,
    revision: recorded[lastOfCommand].revision,
    position: recorded[lastOfCommand].position,
    applied: false,
  };
};

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
