import type { EventStore, RecordedEvent } from '@lib/event-store';
import { parseTime } from './event-times';
import { ReportBuilder, validateReportOptions } from './report-builder';
import type { Report, ReportOptions } from './report.types';

export const DEFAULT_REPLAY_BATCH_SIZE = 500;

export interface ReadLogOptions {
  /** Events per readAll page (default 500): at most this many events are in memory at once. */
  batchSize?: number;
  /**
   * Called after each page with how many events of this read are done and how many there are:
   * positions after the start up to the head position read when the replay began.
   */
  onProgress?(done: number, total: number): void;
}

export interface ReplayReportOptions extends ReportOptions, ReadLogOptions {
  /**
   * The caller's clock. The books are closed at `to` when it is given and not after now,
   * otherwise at now (a conversation is never measured into the future).
   */
  now: string;
}

const resolveBatchSize = (batchSize: number | undefined): number => {
  if (batchSize === undefined) return DEFAULT_REPLAY_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
  }
  return batchSize;
};

/**
 * Pages through the log with readAll, in position order, from `after` (exclusive) up to the head
 * position as of the start (events appended meanwhile are left for a later read), handing each
 * event to `onEvent`. Never holds more than one page. Returns the last position handed over.
 */
export async function readLog(
  store: EventStore,
  after: number,
  onEvent: (event: RecordedEvent) => void,
  options: ReadLogOptions = {},
): Promise<number> {
  const batchSize = resolveBatchSize(options.batchSize);
  const head = await store.headPosition();
  const total = Math.max(0, head - after);
  let position = after;
  let reachedHead = position >= head;
  while (!reachedHead) {
    const page = await store.readAll({ after: position, maxCount: batchSize });
    if (page.length === 0) break;
    for (const event of page) {
      if (event.position > head) {
        reachedHead = true;
        break;
      }
      onEvent(event);
      position = event.position;
    }
    if (position >= head) reachedHead = true;
    options.onProgress?.(reachedHead ? total : position - after, total);
  }
  if (total === 0) options.onProgress?.(0, 0);
  return position;
}

/**
 * Feeds the builder the log after its lastPosition (so a restored builder resumes where its
 * snapshot stopped). Returns the builder's lastPosition afterwards.
 */
export async function replayInto(store: EventStore, builder: ReportBuilder, options: ReadLogOptions = {}): Promise<number> {
  await readLog(store, builder.lastPosition, (event) => builder.apply(event), options);
  return builder.lastPosition;
}

/**
 * The `report` command's engine: replays the whole log (paged, in memory, never loading it
 * all) through a ReportBuilder and closes the books at min(to, now) (or now).
 * Throws RangeError before reading anything when an argument is invalid (from not before to,
 * a time that is not ISO-8601, a non-positive capacity or batch size).
 */
export async function replayReport(store: EventStore, options: ReplayReportOptions): Promise<Report> {
  parseTime(options.now, 'now');
  validateReportOptions(options);
  resolveBatchSize(options.batchSize);
  const builder = new ReportBuilder({
    ...(options.from === undefined ? {} : { from: options.from }),
    ...(options.to === undefined ? {} : { to: options.to }),
    ...(options.agentCapacity === undefined ? {} : { agentCapacity: options.agentCapacity }),
  });
  await replayInto(store, builder, { batchSize: options.batchSize, onProgress: options.onProgress });
  // The builder closes the books at min(now, to).
  return builder.finish(options.now);
}
