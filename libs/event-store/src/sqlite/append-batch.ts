import type Database from 'better-sqlite3';
import { decideAppend } from '../append-decision';
import type { AppendOptions, AppendResult, StreamName } from '../event-store.port';
import type { SerializedEvent } from '../event-serialization';
import type { RequestOutcome } from './group-commit';
import type { SqliteStatements } from './sqlite-statements';

export interface AppendRequest {
  stream: StreamName;
  events: SerializedEvent[];
  options: AppendOptions;
}

/** What one request did inside the batch: its result, and how many events it wrote (0: a no-op). */
export interface AppendWritten {
  result: AppendResult;
  eventsWritten: number;
}

export type CommitAppends = (requests: AppendRequest[]) => RequestOutcome<AppendWritten>[];

/**
 * One BEGIN IMMEDIATE transaction per batch; each request runs in its own savepoint so a
 * request that fails leaves no trace while the rest of the batch still commits. Requests see
 * the writes of those before them, so two appends to one stream in a batch behave exactly as
 * if they had been committed one after the other. Throws when the batch as a whole failed.
 */
export function appendBatchTransaction(db: Database.Database, statements: SqliteStatements): CommitAppends {
  const write = ({ stream, events, options }: AppendRequest): AppendWritten => {
    const decision = decideAppend(
      stream,
      events.map((event) => event.id),
      options.expectedRevision,
      statements,
    );
    if (!decision.write) return { result: decision.result, eventsWritten: 0 };
    let position = 0;
    events.forEach((event, index) => {
      position = statements.insertEvent(stream, decision.firstRevision + index, event);
    });
    return { result: { nextExpectedRevision: decision.firstRevision + events.length - 1, position }, eventsWritten: events.length };
  };
  const appendOne = db.transaction(write);
  const appendAll = db.transaction((requests: AppendRequest[]) =>
    requests.map((request): RequestOutcome<AppendWritten> => {
      try {
        return { ok: true, value: appendOne(request) };
      } catch (error) {
        // SQLite rolls the whole transaction back on some failures (disk full, I/O error);
        // then nothing in the batch can be committed, and carrying on would run in autocommit.
        if (!db.inTransaction) throw error;
        return { ok: false, error };
      }
    }),
  );
  return (requests) => appendAll.immediate(requests);
}
