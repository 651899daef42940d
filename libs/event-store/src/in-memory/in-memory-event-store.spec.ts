import { describeEventStoreContract } from '../testing/event-store.contract';
import { describeLocalEventStoreBehaviour } from '../testing/local-event-store.behaviour';
import { InMemoryEventStore } from './in-memory-event-store';

const createStore = async () => {
  const store = new InMemoryEventStore();
  return { store, dispose: () => store.close() };
};

describeEventStoreContract('InMemoryEventStore', createStore);
describeLocalEventStoreBehaviour('InMemoryEventStore', createStore);
