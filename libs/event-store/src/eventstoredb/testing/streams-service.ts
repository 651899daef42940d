import { randomUUID } from 'node:crypto';
import { Metadata, status, type ServerReadableStream, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import type { IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, ReadReq, type AppendResp, type ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { EventStoreDbLog, ProposedEvent, StoredRecord } from './eventstoredb-log';
import {
  appendSuccess,
  appendWrongExpectedVersion,
  caughtUpMessage,
  checkpointIntervalOf,
  checkpointMessage,
  confirmationMessage,
  eventMessage,
  expectedStateOf,
  proposedEventOf,
  recordFilterOf,
  streamNameOf,
  streamNotFoundMessage,
} from './wire-messages';

type ReadCall = ServerWritableStream<ReadReq, ReadResp>;
type Direction = ReadReq.Options.ReadDirection;
const FORWARDS: Direction = ReadReq.Options.ReadDirection.FORWARDS;

/**
 * The Streams service over an EventStoreDbLog: Append (client-streaming), Read of a stream or
 * of $all in both directions, and Read as a catch-up subscription with filters, checkpoints
 * and the caught-up message. BatchAppend is not offered (ServerFeatures says so), so the
 * client falls back to Append.
 */
export function streamsService(log: EventStoreDbLog): Pick<IStreamsServer, 'read' | 'append'> {
  return {
    append: (call, callback) => receiveAppend(log, call, callback),
    read: (call) => {
      const options = call.request.getOptions();
      if (!options) return failCall(call, status.INVALID_ARGUMENT, 'Read needs options');
      if (options.getCountOptionCase() === ReadReq.Options.CountOptionCase.SUBSCRIPTION) {
        void new LiveSubscription(log, call, options).run();
        return;
      }
      // A client that goes away mid-read needs no answer.
      readOnce(log, call, options).catch(() => undefined);
    },
  };
}

function receiveAppend(log: EventStoreDbLog, call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
  let header: AppendReq.Options | undefined;
  const events: ProposedEvent[] = [];
  call.on('data', (request: AppendReq) => {
    if (request.hasOptions()) header = request.getOptions();
    else if (request.hasProposedMessage()) events.push(proposedEventOf(request.getProposedMessage() as AppendReq.ProposedMessage));
  });
  call.on('error', () => undefined);
  call.on('end', () => {
    if (!header) return callback({ code: status.INVALID_ARGUMENT, details: 'Append needs options first' });
    const expected = expectedStateOf(header);
    const outcome = log.append(streamNameOf(header.getStreamIdentifier()), expected, events);
    switch (outcome.kind) {
      case 'success':
        return callback(null, appendSuccess(outcome.currentRevision, outcome.position));
      case 'wrong_expected_version':
        return callback(null, appendWrongExpectedVersion(expected, outcome.currentRevision));
      case 'corrupted_idempotency': {
        const metadata = new Metadata();
        metadata.set('exception', 'invalid-transaction');
        return callback({ code: status.INVALID_ARGUMENT, details: 'Invalid transaction', metadata });
      }
    }
  });
}

async function readOnce(log: EventStoreDbLog, call: ReadCall, options: ReadReq.Options): Promise<void> {
  const structuredIds = options.getUuidOption()?.hasStructured() ?? false;
  const count = Number(options.getCount() || '0');
  let records: StoredRecord[];
  if (options.hasStream()) {
    const streamOptions = options.getStream() as ReadReq.Options.StreamOptions;
    const streamName = streamNameOf(streamOptions.getStreamIdentifier());
    const stream = log.streamEvents(streamName);
    if (!stream) {
      await write(call, streamNotFoundMessage(streamName));
      call.end();
      return;
    }
    records = streamSlice(stream, streamOptions, options.getReadDirection());
  } else {
    const filter = recordFilterOf(options);
    records = allSlice(log.records, options.getAll() as ReadReq.Options.AllOptions, options.getReadDirection());
    if (filter) records = records.filter(filter);
  }
  for (const record of records.slice(0, count)) {
    if (call.cancelled) return;
    await write(call, eventMessage(record, structuredIds));
  }
  call.end();
}

/** Stream reads include the revision they start from, in either direction. */
function streamSlice(stream: StoredRecord[], options: ReadReq.Options.StreamOptions, direction: Direction): StoredRecord[] {
  const Case = ReadReq.Options.StreamOptions.RevisionOptionCase;
  const forwards = direction === FORWARDS;
  const from =
    options.getRevisionOptionCase() === Case.REVISION
      ? Number(options.getRevision())
      : options.getRevisionOptionCase() === Case.END
        ? stream.length - 1
        : 0;
  return forwards ? stream.slice(from) : stream.slice(0, from + 1).reverse();
}

/** $all forwards starts at the given position (inclusive); backwards starts before it, as on EventStoreDB. */
function allSlice(records: StoredRecord[], options: ReadReq.Options.AllOptions, direction: Direction): StoredRecord[] {
  const Case = ReadReq.Options.AllOptions.AllOptionCase;
  const forwards = direction === FORWARDS;
  const optionCase = options.getAllOptionCase();
  if (optionCase === Case.START) return forwards ? records.slice() : [];
  if (optionCase === Case.END) return forwards ? [] : records.slice().reverse();
  const position = Number(options.getPosition()?.getCommitPosition() ?? '0');
  return forwards
    ? records.filter((record) => record.position >= position)
    : records.filter((record) => record.position < position).reverse();
}

/**
 * One catch-up subscription (to a stream or to $all): the same loop serves history and live
 * events, a cursor over the log woken by every append. Writes wait for the transport to drain,
 * so a slow client holds the server back instead of making it buffer without bound.
 */
class LiveSubscription {
  private cursor: number;
  private readonly structuredIds: boolean;
  private readonly wanted: (record: StoredRecord) => boolean;
  private readonly checkpointInterval?: number;
  private scannedSinceCheckpoint = 0;
  private wake?: () => void;
  private ended = false;

  constructor(
    private readonly log: EventStoreDbLog,
    private readonly call: ReadCall,
    options: ReadReq.Options,
  ) {
    this.structuredIds = options.getUuidOption()?.hasStructured() ?? false;
    this.checkpointInterval = checkpointIntervalOf(options);
    if (options.hasStream()) {
      const streamOptions = options.getStream() as ReadReq.Options.StreamOptions;
      const streamName = streamNameOf(streamOptions.getStreamIdentifier());
      const Case = ReadReq.Options.StreamOptions.RevisionOptionCase;
      // Subscriptions start after the revision they are given (exclusive), unlike reads.
      const after =
        streamOptions.getRevisionOptionCase() === Case.REVISION
          ? Number(streamOptions.getRevision())
          : streamOptions.getRevisionOptionCase() === Case.END
            ? (log.streamEvents(streamName)?.length ?? 0) - 1
            : -1;
      this.wanted = (record) => record.streamName === streamName && record.revision > after;
      this.cursor = 0;
    } else {
      const all = options.getAll() as ReadReq.Options.AllOptions;
      const Case = ReadReq.Options.AllOptions.AllOptionCase;
      const filter = recordFilterOf(options) ?? (() => true);
      this.wanted = filter;
      if (all.getAllOptionCase() === Case.END) this.cursor = log.records.length;
      else if (all.getAllOptionCase() === Case.START) this.cursor = 0;
      else {
        const after = Number(all.getPosition()?.getCommitPosition() ?? '0');
        const index = log.records.findIndex((record) => record.position > after);
        this.cursor = index === -1 ? log.records.length : index;
      }
    }
  }

  async run(): Promise<void> {
    const unsubscribe = this.log.onAppended(() => this.wakeUp());
    const finish = () => {
      this.ended = true;
      this.wakeUp();
    };
    this.call.on('cancelled', finish);
    this.call.on('close', finish);
    this.call.on('error', finish);
    try {
      await write(this.call, confirmationMessage(randomUUID()));
      let caughtUp = false;
      while (!this.ended && !this.call.cancelled) {
        if (this.cursor < this.log.records.length) {
          await this.scan(this.log.records[this.cursor]);
          this.cursor += 1;
          continue;
        }
        if (!caughtUp) {
          caughtUp = true;
          await write(this.call, caughtUpMessage());
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } catch {
      // The client went away mid-write: nothing left to tell it.
    } finally {
      unsubscribe();
    }
  }

  private async scan(record: StoredRecord): Promise<void> {
    if (this.wanted(record)) await write(this.call, eventMessage(record, this.structuredIds));
    if (this.checkpointInterval === undefined) return;
    this.scannedSinceCheckpoint += 1;
    if (this.scannedSinceCheckpoint >= this.checkpointInterval) {
      this.scannedSinceCheckpoint = 0;
      await write(this.call, checkpointMessage(record.position));
    }
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Writes one message and, when the transport's buffer is full, waits until it drains. */
function write(call: ReadCall, message: ReadResp): Promise<void> {
  if (call.cancelled) return Promise.reject(new Error('call cancelled'));
  if (call.write(message)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', cancelled);
      resolve();
    };
    const cancelled = () => {
      call.off('drain', done);
      reject(new Error('call cancelled'));
    };
    call.once('drain', done);
    call.once('cancelled', cancelled);
  });
}

function failCall(call: ReadCall, code: status, details: string): void {
  call.destroy(Object.assign(new Error(details), { code, details }));
}
