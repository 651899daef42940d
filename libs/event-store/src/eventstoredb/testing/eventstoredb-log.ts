/**
 * The transaction log of the in-process EventStoreDB test server: what a single EventStoreDB
 * node keeps, with its rules for appends, so the adapter meets the same answers it gets from
 * a real server. Test-only; nothing here is durable.
 */

/** One event as the server stores it: bytes in, bytes out, exactly as the client sent them. */
export interface StoredRecord {
  streamName: string;
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
  /** Per stream, from 0. */
  revision: number;
  /**
   * Byte offset of the record in the log. Events written outside explicit transactions have
   * commit position = prepare position on EventStoreDB (v20+), and so do these.
   */
  position: number;
  /** .NET ticks (100 ns since 0001-01-01), as EventStoreDB sends `created`. */
  createdTicks: bigint;
}

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  customMetadata: Uint8Array;
}

export type ExpectedStreamState =
  { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: number };

export type CurrentRevision = number | 'no_stream';

export type AppendOutcome =
  /** Written, or recognised as already written (idempotent): the same answer either way. */
  | { kind: 'success'; currentRevision: CurrentRevision; position?: number }
  | { kind: 'wrong_expected_version'; currentRevision: CurrentRevision }
  /** Some but not all ids match an earlier write: EventStoreDB answers InvalidTransaction. */
  | { kind: 'corrupted_idempotency' };

/** Where the first record sits: a real log starts with its own housekeeping records. */
const FIRST_POSITION = 4096;
/** Fixed per-record overhead, so positions look like the byte offsets they are on a real server. */
const RECORD_HEADER_BYTES = 96;
const TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000n;

export class EventStoreDbLog {
  /** In position order. */
  readonly records: StoredRecord[] = [];
  private readonly streams = new Map<string, StoredRecord[]>();
  /** EventStoreDB keeps recent event ids in a bounded cache for `any` retries; this one forgets nothing. */
  private readonly byId = new Map<string, StoredRecord>();
  private nextPosition = FIRST_POSITION;
  private readonly listeners = new Set<() => void>();

  streamEvents(streamName: string): StoredRecord[] | undefined {
    return this.streams.get(streamName);
  }

  /** Called after every write, so subscriptions go live without polling. */
  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  append(streamName: string, expected: ExpectedStreamState, events: readonly ProposedEvent[]): AppendOutcome {
    const decision = this.checkCommit(
      streamName,
      expected,
      events.map((event) => event.id),
    );
    if (decision.kind !== 'write') return decision;
    const stream = this.streams.get(streamName) ?? [];
    if (events.length === 0) {
      // An empty write changes nothing; EventStoreDB reports where the stream stands.
      return { kind: 'success', currentRevision: stream.length === 0 ? 'no_stream' : stream.length - 1 };
    }
    this.streams.set(streamName, stream);
    const createdTicks = BigInt(Date.now()) * 10_000n + TICKS_AT_UNIX_EPOCH;
    for (const event of events) {
      const record: StoredRecord = { ...event, streamName, revision: stream.length, position: this.nextPosition, createdTicks };
      this.nextPosition +=
        RECORD_HEADER_BYTES + Buffer.byteLength(streamName) + event.type.length + event.data.length + event.customMetadata.length;
      stream.push(record);
      this.records.push(record);
      this.byId.set(record.id, record);
    }
    for (const listener of this.listeners) listener();
    const last = stream[stream.length - 1];
    return { kind: 'success', currentRevision: last.revision, position: last.position };
  }

  /**
   * EventStoreDB's commit check (IndexWriter.CheckCommit), in its order: `any` and
   * `stream_exists` recognise a retry by the first event id alone; an expected revision behind
   * the stream recognises one only at the revisions right after it; anything else conflicts.
   */
  private checkCommit(streamName: string, expected: ExpectedStreamState, eventIds: readonly string[]): AppendOutcome | { kind: 'write' } {
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length - 1;
    const currentRevision: CurrentRevision = current < 0 ? 'no_stream' : current;
    const wrongExpectedVersion = { kind: 'wrong_expected_version', currentRevision } as const;

    if (expected.kind === 'stream_exists' && current < 0) return wrongExpectedVersion;
    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      const found = eventIds.map((id) => this.byId.get(id));
      if (found.length === 0 || found[0] === undefined || found[0].streamName !== streamName) return { kind: 'write' };
      if (found.some((record) => record === undefined || record.streamName !== streamName)) return { kind: 'corrupted_idempotency' };
      const last = found[found.length - 1] as StoredRecord;
      return { kind: 'success', currentRevision: last.revision, position: last.position };
    }

    const expectedRevision = expected.kind === 'no_stream' ? -1 : expected.revision;
    if (expectedRevision < current) {
      for (let index = 0; index < eventIds.length; index++) {
        if (stream[expectedRevision + 1 + index]?.id === eventIds[index]) continue;
        return index === 0 ? wrongExpectedVersion : { kind: 'corrupted_idempotency' };
      }
      if (eventIds.length === 0) return wrongExpectedVersion;
      const last = stream[expectedRevision + eventIds.length];
      return { kind: 'success', currentRevision: last.revision, position: last.position };
    }
    if (expectedRevision > current) return wrongExpectedVersion;
    return { kind: 'write' };
  }
}
