import { existsSync, readFileSync } from 'node:fs';
import { upcastStoredEvent } from '@lib/domain';
import { CorrectingEventStore, type CorrectionNote, type EventCorrection, type EventStore, type RecordedEvent } from '@lib/event-store';
import { ConfigError } from '../config/config-error';

/**
 * One stored event an operator has decided to read differently: its data is replaced (the
 * log keeps the original). For a record no built-in correction knows, so a stopped view can
 * be repaired without a release and without editing the log.
 */
export interface OperatorCorrection {
  eventId: string;
  data: Record<string, unknown>;
  reason: string;
}

const KEY = 'EVENT_CORRECTIONS_FILE';

/**
 * Reads the operator's corrections: `{"corrections":[{"eventId":"…","data":{…},"reason":"…"}]}`.
 * A file that is named but missing or malformed stops the start, naming the variable.
 */
export const loadOperatorCorrections = (file: string | undefined): OperatorCorrection[] => {
  if (file === undefined) return [];
  if (!existsSync(file)) throw new ConfigError(KEY, `names ${file}, which does not exist`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(KEY, `${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const list = (parsed as { corrections?: unknown } | null)?.corrections;
  if (!Array.isArray(list)) throw new ConfigError(KEY, `${file} must hold {"corrections":[{"eventId","data","reason"}]}`);
  return list.map((entry: unknown, index) => {
    const { eventId, data, reason } = (entry ?? {}) as Record<string, unknown>;
    const where = `${file} corrections[${index}]`;
    if (typeof eventId !== 'string' || eventId === '') throw new ConfigError(KEY, `${where}.eventId must be the id of a stored event`);
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw new ConfigError(KEY, `${where}.data must be the event's data to read instead`);
    if (typeof reason !== 'string' || reason === '') throw new ConfigError(KEY, `${where}.reason must say why, for the audit trail`);
    return { eventId, data: data as Record<string, unknown>, reason };
  });
};

const corrected = (event: RecordedEvent, data: Record<string, unknown>, note: CorrectionNote): RecordedEvent => ({
  ...event,
  data,
  metadata: { ...event.metadata, correction: note },
});

/** The operator's entries first (by event id), then the domain's built-in upcasters. */
export const eventCorrection = (operator: readonly OperatorCorrection[]): EventCorrection => {
  const byId = new Map(operator.map((entry) => [entry.eventId, entry]));
  return (event) => {
    const entry = byId.get(event.id);
    if (entry) return corrected(event, entry.data, { by: 'operator', reason: entry.reason, originalData: event.data });
    const upcast = upcastStoredEvent(event.type, event.data);
    return upcast ? corrected(event, upcast.data, { by: 'upcaster', reason: upcast.reason, originalData: event.data }) : event;
  };
};

/** Every store the service, its projector thread and the CLI read from goes through this. */
export const withEventCorrections = (store: EventStore, operator: readonly OperatorCorrection[]): EventStore =>
  new CorrectingEventStore(store, eventCorrection(operator));
