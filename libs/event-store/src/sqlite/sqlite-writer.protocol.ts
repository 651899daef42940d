import { IdempotencyMismatchError, WrongExpectedRevisionError } from '../event-store.errors';
import type { ExpectedRevision, StreamName } from '../event-store.port';
import type { AppendRequest, AppendWritten } from './append-batch';
import type { RequestOutcome } from './group-commit';

/** An error as it crosses between threads: structured cloning keeps neither its class nor its fields. */
export type TransferredError =
  | { kind: 'wrong-expected-revision'; streamName: StreamName; expected: ExpectedRevision; actual: number | 'no_stream' }
  | { kind: 'idempotency-mismatch'; streamName: StreamName; eventId: string }
  | { kind: 'other'; name: string; message: string; code?: string };

export type ToWriter = { type: 'commit'; id: number; requests: AppendRequest[] } | { type: 'close' };

export type FromWriter =
  | { type: 'committed'; id: number; outcomes: Array<{ ok: true; value: AppendWritten } | { ok: false; error: TransferredError }> }
  | { type: 'failed'; id: number; error: TransferredError }
  | { type: 'closed' };

export const transferError = (error: unknown): TransferredError => {
  if (error instanceof WrongExpectedRevisionError) {
    return { kind: 'wrong-expected-revision', streamName: error.streamName, expected: error.expected, actual: error.actual };
  }
  if (error instanceof IdempotencyMismatchError)
    return { kind: 'idempotency-mismatch', streamName: error.streamName, eventId: error.eventId };
  const { name, message, code } =
    error instanceof Error ? (error as Error & { code?: unknown }) : { name: 'Error', message: String(error) };
  return { kind: 'other', name, message, ...(typeof code === 'string' ? { code } : {}) };
};

export const reviveError = (error: TransferredError): Error => {
  switch (error.kind) {
    case 'wrong-expected-revision':
      return new WrongExpectedRevisionError(error.streamName, error.expected, error.actual);
    case 'idempotency-mismatch':
      return new IdempotencyMismatchError(error.streamName, error.eventId);
    case 'other':
      return Object.assign(new Error(error.message), { name: error.name, ...(error.code ? { code: error.code } : {}) });
  }
};

export const transferOutcomes = (outcomes: RequestOutcome<AppendWritten>[]): Extract<FromWriter, { type: 'committed' }>['outcomes'] =>
  outcomes.map((outcome) => (outcome.ok ? outcome : { ok: false, error: transferError(outcome.error) }));
