/** The caller pinned a revision (If-Match) and the conversation has moved on since: answer 412. */
export class RevisionMismatchError extends Error {
  readonly code = 'CONVERSATION.REVISION_MISMATCH';
  constructor(
    readonly conversationId: string,
    readonly expectedRevision: number,
    readonly actualRevision: number,
  ) {
    super(
      `Conversation ${conversationId} is at revision ${actualRevision}, not ${expectedRevision}; ` +
        'read it again and retry with the new revision',
    );
  }
}

/** An Idempotency-Key came back with a different command: the client has a bug, answer 422. */
export class IdempotencyKeyReusedError extends Error {
  readonly code = 'REQUEST.IDEMPOTENCY_KEY_REUSED';
  constructor(
    readonly conversationId: string,
    readonly commandId: string,
  ) {
    super(`Idempotency-Key ${commandId} was already used for a different command on conversation ${conversationId}; use a new key`);
  }
}

/** Every retry lost the race to other writers; the caller may try again (answer 409). */
export class ConcurrencyExhaustedError extends Error {
  readonly code = 'CONVERSATION.CONCURRENT_UPDATE';
  constructor(
    readonly conversationId: string,
    readonly attempts: number,
  ) {
    super(`Conversation ${conversationId} kept changing under ${attempts} attempts; retry the command`);
  }
}
