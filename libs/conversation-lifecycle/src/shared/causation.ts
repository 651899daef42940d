import type { ConversationState } from '@lib/domain';

/**
 * Why events were written, recorded in every event's metadata so an auditor can follow any
 * automatic action back to what started it.
 */
export interface Causation {
  /** The request, timer pass, routing pass or reconciler pass the events belong to. */
  correlationId: string;
  /** What directly caused them: the command's id, or the id of the event a process manager reacted to. */
  causationId?: string;
  /**
   * For a process manager's command: the conversation event that caused it, found on the
   * conversation's stream (the last event at which this holds, given the state before and after it).
   */
  causedByEvent?: (before: ConversationState, after: ConversationState) => boolean;
}

/** What every event's metadata records of its causation. */
export interface CausationMetadata {
  correlationId: string;
  causationId: string;
}
