/** The event log's file in the data directory (EVENT_STORE=sqlite): the service writes it, the CLI reads it. */
export const EVENTS_FILE = 'events.sqlite';
