import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EVENT_STORE, type EventStore, type RecordedEvent, type Subscription } from '@lib/event-store';
import { feedEventOf, feedFilterMatcher, streamPrefixesOf, type FeedFilter } from '@lib/event-feed';
import type { AppConfig } from '@lib/platform';
import { APP_CONFIG } from '../config/app-config';
import { REQUEST_ID_HEADER } from '../http/request-id';

export interface EventStreamRequest {
  /** Exclusive: the first event sent is the first after this position. */
  after: number;
  filter: FeedFilter;
  /** Absent: keep sending new events. Set: send the events up to this position (the head when asked), then end. */
  until?: number;
  requestId: string;
  /**
   * What to send for an event instead of the feed event (which the filter selects): the SSE
   * `event` name and `data`, or undefined to send nothing. May read (it is awaited in order).
   */
  render?: (event: RecordedEvent) => Promise<{ event: string; data: unknown } | undefined>;
  /** Checked every CREDENTIALS_CHECK_MS: a stream must not outlive the credentials it was opened with (false ends it). */
  stillAuthorized?: () => Promise<boolean>;
  /** Send `event: ready` with `id` and data `{position}` = `after` first, so a client reads everything up to where the stream starts. */
  announceStart?: boolean;
  /** Set: a render that throws skips that event (reported here) instead of ending the stream. */
  onRenderError?: (event: RecordedEvent, error: unknown) => void;
}

const renderOrSkip = async (stream: EventStreamRequest, event: RecordedEvent) => {
  try {
    return await stream.render?.(event);
  } catch (error) {
    if (!stream.onRenderError) throw error;
    stream.onRenderError(event, error);
    return undefined;
  }
};

/** How often a stream that has `stillAuthorized` checks it. */
export const CREDENTIALS_CHECK_MS = 5_000;

/** No new stream now: this instance serves EVENT_STREAM_MAX_CONNECTIONS already, or it is stopping. */
export class EventStreamUnavailableError extends Error {
  constructor(
    readonly code: 'EVENT_STREAM.TOO_MANY_STREAMS' | 'EVENT_STREAM.SHUTTING_DOWN',
    message: string,
  ) {
    super(message);
  }
}

/** How long a client that stopped reading may hold a full buffer before its stream is ended. */
const SLOW_READER_LIMIT_MS = 60_000;

/**
 * Server-sent events from the log: each event as `id: <position>`, `event: <type>` and
 * `data: <the feed event as JSON>`, so a client that reconnects with Last-Event-ID resumes
 * exactly after the last event it received. Streams follow the log through the store's own
 * subscription (catch-up, then live), with back-pressure: nothing more is read while the
 * client's socket buffer is full.
 */
@Injectable()
export class EventStreams {
  private readonly logger = new Logger('EventStreams');
  private readonly open = new Set<() => Promise<void>>();
  private closing = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Refuses a new stream while this instance serves as many as it may (call before taking the response over). */
  admit(): void {
    if (this.closing)
      throw new EventStreamUnavailableError(
        'EVENT_STREAM.SHUTTING_DOWN',
        'This instance is stopping; reconnect (with Last-Event-ID) to another',
      );
    const limit = this.config.eventStreamMaxConnections;
    if (this.open.size >= limit) {
      throw new EventStreamUnavailableError(
        'EVENT_STREAM.TOO_MANY_STREAMS',
        `This instance already serves ${limit} event streams (EVENT_STREAM_MAX_CONNECTIONS); retry shortly or on another instance`,
      );
    }
  }

  /** Takes over a response whose headers have not been sent, until the client leaves, the stream ends or the service stops. */
  serve(request: IncomingMessage, response: ServerResponse, stream: EventStreamRequest): void {
    // Gone while the request was checked: its 'close' has fired already and would never end the stream.
    if (request.destroyed || response.destroyed || this.closing) {
      response.destroy();
      return;
    }
    const wanted = feedFilterMatcher(stream.filter);
    let ended = false;
    // Set once the response is open; `end` may run before (a client gone at once).
    const reading: { subscription?: Subscription; releaseWrite?: () => void } = {};
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), this.config.eventStreamHeartbeatMs);
    heartbeat.unref();
    const { stillAuthorized } = stream;
    const credentials =
      stillAuthorized &&
      setInterval(() => {
        void stillAuthorized().then(
          (authorized) => {
            if (!authorized) void end();
          },
          () => void end(),
        );
      }, CREDENTIALS_CHECK_MS);
    if (credentials) credentials.unref();

    const write = (text: string): boolean => {
      if (ended) return false;
      if (response.destroyed) {
        void end();
        return false;
      }
      return response.write(text);
    };
    const end = async (): Promise<void> => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      if (credentials) clearInterval(credentials);
      this.open.delete(end);
      // A client that stopped reading holds a write waiting for room: give up on it, or stopping would wait for it.
      if (reading.releaseWrite) {
        response.destroy();
        reading.releaseWrite();
      }
      await reading.subscription?.stop();
      if (!response.writableEnded && !response.destroyed) response.end();
    };
    const writable = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          response.off('drain', done);
          response.off('close', done);
          reading.releaseWrite = undefined;
          resolve();
        };
        reading.releaseWrite = done;
        // A reader that never drains its buffer would hold this subscription forever.
        const timer = setTimeout(() => {
          this.logger.warn(`Event stream ${stream.requestId}: the client read nothing for ${SLOW_READER_LIMIT_MS} ms; ended`);
          response.destroy();
          done();
        }, SLOW_READER_LIMIT_MS);
        response.once('drain', done);
        response.once('close', done);
      });

    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies that buffer (nginx) would hold events back.
      'x-accel-buffering': 'no',
      [REQUEST_ID_HEADER.toLowerCase()]: stream.requestId,
    });
    // How long a client waits before reconnecting, and an immediate first byte so it knows it is connected.
    write(`retry: 2000\n: from position ${stream.after}\n\n`);
    if (stream.announceStart) write(`id: ${stream.after}\nevent: ready\ndata: ${JSON.stringify({ position: stream.after })}\n\n`);
    this.open.add(end);
    request.once('close', () => void end());
    response.once('close', () => void end());

    reading.subscription = this.store.subscribeToAll({
      after: stream.after,
      // A catch-up read ends once the store reports it caught up at the head; a store filtering by
      // stream reports the last position it matched instead, which may be short of it.
      filter: stream.until === undefined ? { streamPrefixes: streamPrefixesOf(stream.filter) } : undefined,
      batchSize: 500,
      onEvents: async (events: RecordedEvent[]) => {
        for (const event of events) {
          if (ended) return;
          if (stream.until !== undefined && event.position > stream.until) {
            void end();
            return;
          }
          if (!wanted(event)) continue;
          const rendered = stream.render ? await renderOrSkip(stream, event) : { event: event.type, data: feedEventOf(event) };
          if (rendered === undefined || ended) continue;
          const message = `id: ${event.position}\nevent: ${rendered.event}\ndata: ${JSON.stringify(rendered.data)}\n\n`;
          if (!write(message) && !ended) await writable();
        }
      },
      onCaughtUp: (position) => {
        if (stream.until !== undefined && position >= stream.until) void end();
      },
      onError: (error) => {
        this.logger.warn(`Event stream ${stream.requestId} ended on a read error: ${error.message}`);
        void end();
      },
    });
  }

  /** Open streams, for the shutdown and for tests. */
  get openCount(): number {
    return this.open.size;
  }

  /** Ends every open stream (clients reconnect elsewhere with Last-Event-ID). */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.open].map((end) => end()));
  }
}
