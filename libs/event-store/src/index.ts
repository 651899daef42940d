export * from './event-store.port';
export * from './event-store.errors';
export { DelegatingEventStore } from './delegating-event-store';
export { InMemoryEventStore } from './in-memory/in-memory-event-store';
export { SqliteEventStore } from './sqlite/sqlite-event-store';
export type { SqliteEventStoreOptions, SqliteEventStoreStats } from './sqlite/sqlite-event-store';
export { CorrectingEventStore } from './corrections/correcting-event-store';
export type { CorrectionNote, EventCorrection } from './corrections/correcting-event-store';
