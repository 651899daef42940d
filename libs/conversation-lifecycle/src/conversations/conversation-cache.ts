import type { ConversationState, ConversationStatus } from '@lib/domain';

/** What a command answered, kept so a repeated Idempotency-Key gets the same answer. */
export interface RecordedCommand {
  fingerprint: string;
  status: ConversationStatus;
  revision: number;
  position: number;
}

/** A conversation as of `revision`, with the commands that wrote its events. */
export interface CachedConversation {
  state: ConversationState;
  /** Revision of the stream's last event; -1 when the stream is empty. */
  revision: number;
  commands: Map<string, RecordedCommand>;
}

/**
 * Conversations this process recently handled, least recently used evicted first. Never trusted
 * blindly: every append carries the cached revision as its expected revision, so a stale entry
 * (another instance wrote meanwhile) fails the append and is reloaded from the stream.
 */
export class ConversationCache {
  private readonly entries = new Map<string, CachedConversation>();

  constructor(private readonly capacity: number) {}

  get(conversationId: string): CachedConversation | undefined {
    const entry = this.entries.get(conversationId);
    if (entry) {
      this.entries.delete(conversationId);
      this.entries.set(conversationId, entry);
    }
    return entry;
  }

  set(conversationId: string, entry: CachedConversation): void {
    this.entries.delete(conversationId);
    this.entries.set(conversationId, entry);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  forget(conversationId: string): void {
    this.entries.delete(conversationId);
  }
}
