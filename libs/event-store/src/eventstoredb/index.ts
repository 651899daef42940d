/**
 * The EventStoreDB adapter, imported as `@lib/event-store/eventstoredb` so that processes on
 * the embedded store (the projector thread, the CLI) never load the gRPC client.
 */
export { EventStoreDbEventStore, redactConnectionString } from './eventstoredb-event-store';
export type { EventStoreDbConnectOptions } from './eventstoredb-event-store';
export type { ResubscribePolicy } from './eventstoredb-subscription';
