import { InMemoryEventStore } from './in-memory/in-memory-event-store';
import type { EventStore } from './event-store.port';
import { describeEventStoreContract } from './testing/event-store.contract';
import { DelegatingEventStore } from './delegating-event-store';

// Forwarding alone keeps every promise of the port.
describeEventStoreContract('DelegatingEventStore over InMemoryEventStore', async () => {
  const store = new DelegatingEventStore(new InMemoryEventStore());
  return { store, dispose: () => store.close() };
});

describe('DelegatingEventStore', () => {
  it('forwards every call of the port to the inner store, arguments and result unchanged', async () => {
    const calls: [string, unknown[]][] = [];
    const subscription = { stop: async () => undefined };
    const recording =
      <R>(name: keyof EventStore, result: R) =>
      (...args: unknown[]): R => (calls.push([name, args]), result);
    const inner: EventStore = {
      appendToStream: recording('appendToStream', Promise.resolve({ nextExpectedRevision: 0, position: 1 })),
      readStream: recording('readStream', Promise.resolve([])),
      readAll: recording('readAll', Promise.resolve([])),
      subscribeToAll: recording('subscribeToAll', subscription),
      headPosition: recording('headPosition', Promise.resolve(7)),
      close: recording('close', Promise.resolve()),
    };
    const store = new DelegatingEventStore(inner);
    const events = [{ id: '00000000-0000-4000-8000-000000000001', type: 'Happened', data: {} }];
    const onEvents = () => undefined;

    await expect(store.appendToStream('s-1', events, { expectedRevision: 'no_stream' })).resolves.toEqual({
      nextExpectedRevision: 0,
      position: 1,
    });
    await expect(store.readStream('s-1', { direction: 'backwards' })).resolves.toEqual([]);
    await expect(store.readAll({ after: 3 })).resolves.toEqual([]);
    expect(store.subscribeToAll({ after: 2, onEvents })).toBe(subscription);
    await expect(store.headPosition()).resolves.toBe(7);
    await expect(store.close()).resolves.toBeUndefined();

    expect(calls).toEqual([
      ['appendToStream', ['s-1', events, { expectedRevision: 'no_stream' }]],
      ['readStream', ['s-1', { direction: 'backwards' }]],
      ['readAll', [{ after: 3 }]],
      ['subscribeToAll', [{ after: 2, onEvents }]],
      ['headPosition', []],
      ['close', []],
    ]);
    expect(store.inner).toBe(inner);
  });
});
