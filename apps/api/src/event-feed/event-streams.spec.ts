import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InMemoryEventStore } from '@lib/event-store';
import { loadConfig } from '@lib/platform';
import { EventStreams } from './event-streams';

/** A response that records what happens to it. */
const fakeResponse = () => {
  const emitter = new EventEmitter() as EventEmitter & Partial<ServerResponse> & { written: string[] };
  emitter.written = [];
  Object.assign(emitter, {
    destroyed: false,
    writableEnded: false,
    writeHead: () => emitter,
    write: (text: string) => (emitter.written.push(text), true),
    end: () => Object.assign(emitter, { writableEnded: true }),
    destroy: () => Object.assign(emitter, { destroyed: true }),
  });
  return emitter as unknown as ServerResponse & { written: string[] };
};
const fakeRequest = (destroyed = false) => Object.assign(new EventEmitter(), { destroyed }) as unknown as IncomingMessage;
const stream = { after: 0, filter: { eventTypes: [], streams: [] }, requestId: 'r1' };

describe('EventStreams', () => {
  const config = loadConfig({ EVENT_STORE: 'memory', EVENT_STREAM_MAX_CONNECTIONS: '2' });
  let store: InMemoryEventStore;
  let streams: EventStreams;

  beforeEach(() => {
    store = new InMemoryEventStore();
    streams = new EventStreams(store, config);
  });
  afterEach(() => streams.closeAll());

  it('given a client gone while its request was checked, when served, then nothing is kept open', () => {
    const response = fakeResponse();
    streams.serve(fakeRequest(true), response, stream);
    expect(streams.openCount).toBe(0);
    expect(response.destroyed).toBe(true);
  });

  it('given as many streams as allowed, when another is asked for, then it is refused with 503 TOO_MANY_STREAMS until one closes', async () => {
    const first = fakeRequest();
    streams.admit();
    streams.serve(first, fakeResponse(), stream);
    streams.admit();
    streams.serve(fakeRequest(), fakeResponse(), stream);
    expect(() => streams.admit()).toThrow(expect.objectContaining({ code: 'EVENT_STREAM.TOO_MANY_STREAMS' }));
    first.emit('close');
    await new Promise((resolve) => setImmediate(resolve));
    expect(streams.openCount).toBe(1);
    expect(() => streams.admit()).not.toThrow();
  });

  it('given the service stopping, when a stream is asked for, then it is refused and none is served', async () => {
    await streams.closeAll();
    expect(() => streams.admit()).toThrow(expect.objectContaining({ code: 'EVENT_STREAM.SHUTTING_DOWN' }));
    const response = fakeResponse();
    streams.serve(fakeRequest(), response, stream);
    expect(streams.openCount).toBe(0);
  });
});
