/**
 * Test-only: writes conversation histories through the domain's decide, at hand-chosen times,
 * as RecordedEvents (positions and revisions as a store would give them), and copies them into
 * an event store. Nothing in production imports this file.
 */
import {
  conversationStream,
  decide,
  evolve,
  initialConversationState,
  ConversationError,
  type ConversationCommand,
  type ConversationState,
} from '@lib/domain';
import type { EventStore, RecordedEvent } from '@lib/event-store';

/** 23:30 UTC, so minute 30 is the next UTC day. */
export const START = '2026-03-01T23:30:00.000Z';
export const MINUTE = 60_000;
/** The time `minutes` after START (fractions allowed, rounded to the millisecond). */
export const at = (minutes: number): string => new Date(Date.parse(START) + Math.round(minutes * MINUTE)).toISOString();

/** A command without its metadata (the time comes from the writer). */
export type CommandBody = ConversationCommand extends infer C ? (C extends ConversationCommand ? Omit<C, 'metadata'> : never) : never;

const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export class HistoryWriter {
  readonly events: RecordedEvent[] = [];
  private readonly states = new Map<string, ConversationState>();

  state(conversationId: string): ConversationState {
    return this.states.get(conversationId) ?? initialConversationState();
  }

  /** Decides the command at `time` (ISO) and records its events; a refusal throws. */
  runAt(conversationId: string, time: string, body: CommandBody): RecordedEvent[] {
    const command = { ...body, metadata: { now: time } } as ConversationCommand;
    let state = this.state(conversationId);
    const decided = decide(command, state);
    const stream = conversationStream(conversationId);
    const recorded = decided.map((event): RecordedEvent => {
      state = evolve(state, event);
      return {
        id: uuid(this.events.length + 1),
        streamName: stream,
        type: event.type,
        data: event.data,
        metadata: {},
        revision: -1,
        position: -1,
      };
    });
    for (const event of recorded) {
      event.id = uuid(this.events.length + 1);
      event.revision = this.events.filter((e) => e.streamName === stream).length;
      event.position = this.events.length + 1;
      this.events.push(event);
    }
    this.states.set(conversationId, state);
    return recorded;
  }

  run(conversationId: string, minute: number, body: CommandBody): RecordedEvent[] {
    return this.runAt(conversationId, at(minute), body);
  }

  /** Like runAt, but a command the domain refuses writes nothing and returns false. */
  tryRunAt(conversationId: string, time: string, body: CommandBody): boolean {
    try {
      this.runAt(conversationId, time, body);
      return true;
    } catch (error) {
      if (error instanceof ConversationError) return false;
      throw error;
    }
  }

  /** An event on a stream that is not a conversation's (the report must ignore it). */
  otherStream(stream: string, minute: number): void {
    this.events.push({
      id: uuid(this.events.length + 1),
      streamName: stream,
      type: 'AgentPresenceChanged',
      data: { at: at(minute), presence: 'available' },
      metadata: {},
      revision: this.events.filter((e) => e.streamName === stream).length,
      position: this.events.length + 1,
    });
  }

  /** Appends every event, one at a time, so the store gives them the same positions. */
  async writeTo(store: EventStore): Promise<void> {
    for (const event of this.events) {
      const result = await store.appendToStream(
        event.streamName,
        [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata }],
        { expectedRevision: event.revision === 0 ? 'no_stream' : event.revision - 1 },
      );
      if (result.position !== event.position) throw new Error(`Store gave position ${result.position}, expected ${event.position}`);
    }
  }
}
