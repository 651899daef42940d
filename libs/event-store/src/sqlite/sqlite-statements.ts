import type Database from 'better-sqlite3';
import type { StoredEventLocation } from '../append-decision';
import type { StoredEventText } from '../event-serialization';

interface EventRow {
  position: number;
  stream_name: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
}

interface LocationRow {
  position: number;
  stream_name: string;
  revision: number;
}

/** SQLite's "no limit" for a LIMIT parameter. */
export const NO_LIMIT = -1;

/** Larger than any position or revision: an open upper bound that still binds as a parameter. */
export const UNBOUNDED = Number.MAX_SAFE_INTEGER;

const EVENT_COLUMNS = 'position, stream_name, revision, event_id, type, data, metadata';

/**
 * Every statement the adapter runs, prepared once at open: appends run several per event, so
 * re-parsing SQL would cost more than the work itself.
 */
export class SqliteStatements {
  private readonly lastEventOfStream: Database.Statement<[string], LocationRow>;
  private readonly eventById: Database.Statement<[string], LocationRow>;
  private readonly insert: Database.Statement<[string, number, string, string, string, string]>;
  private readonly streamForwards: Database.Statement<[string, number, number], EventRow>;
  private readonly streamBackwards: Database.Statement<[string, number, number], EventRow>;
  private readonly allForwards: Database.Statement<[number, number, number], EventRow>;
  private readonly allBackwards: Database.Statement<[number, number, number], EventRow>;
  private readonly lastPosition: Database.Statement<[], number>;

  constructor(db: Database.Database) {
    this.lastEventOfStream = db.prepare(
      'SELECT position, stream_name, revision FROM events WHERE stream_name = ? ORDER BY revision DESC LIMIT 1',
    );
    this.eventById = db.prepare('SELECT position, stream_name, revision FROM events WHERE event_id = ?');
    this.insert = db.prepare('INSERT INTO events (stream_name, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
    this.streamForwards = db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_name = ? AND revision >= ? ORDER BY revision ASC LIMIT ?`,
    );
    this.streamBackwards = db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_name = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
    );
    this.allForwards = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position < ? ORDER BY position ASC LIMIT ?`);
    this.allBackwards = db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position < ? ORDER BY position DESC LIMIT ?`,
    );
    this.lastPosition = db.prepare<[], number>('SELECT COALESCE(MAX(position), 0) FROM events').pluck();
  }

  lastEventOf(stream: string): StoredEventLocation | undefined {
    const row = this.lastEventOfStream.get(stream);
    return row && toLocation(row);
  }

  locateEvent(eventId: string): StoredEventLocation | undefined {
    const row = this.eventById.get(eventId);
    return row && toLocation(row);
  }

  /** Returns the new event's position. */
  insertEvent(stream: string, revision: number, event: { id: string; type: string; data: string; metadata: string }): number {
    const { lastInsertRowid } = this.insert.run(stream, revision, event.id, event.type, event.data, event.metadata);
    return Number(lastInsertRowid);
  }

  readStream(stream: string, direction: 'forwards' | 'backwards', fromRevision: number, limit: number): StoredEventText[] {
    const statement = direction === 'backwards' ? this.streamBackwards : this.streamForwards;
    return statement.all(stream, fromRevision, limit).map(toStoredEvent);
  }

  /** Events with after < position < before. */
  readAll(direction: 'forwards' | 'backwards', after: number, before: number, limit: number): StoredEventText[] {
    const statement = direction === 'backwards' ? this.allBackwards : this.allForwards;
    return statement.all(after, before, limit).map(toStoredEvent);
  }

  headPosition(): number {
    return this.lastPosition.get() ?? 0;
  }
}

function toLocation(row: LocationRow): StoredEventLocation {
  return { streamName: row.stream_name, revision: row.revision, position: row.position };
}

function toStoredEvent(row: EventRow): StoredEventText {
  return {
    id: row.event_id,
    streamName: row.stream_name,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    revision: row.revision,
    position: row.position,
  };
}
