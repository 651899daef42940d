import type { Actor } from '../shared/actor';
import { CommandChecks } from '../shared/command-validation';
import type { IsoTime } from '../shared/time';

export const QUEUE_MODES = ['pick', 'push'] as const;
export type QueueMode = (typeof QUEUE_MODES)[number];

/**
 * How routing chooses among eligible agents of a push queue: the one with the most free
 * capacity (ties to whoever was assigned least recently), or strictly whoever was assigned
 * least recently (round robin).
 */
export const ASSIGNMENT_METHODS = ['highest_free_capacity', 'round_robin'] as const;
export type AssignmentMethod = (typeof ASSIGNMENT_METHODS)[number];

export interface QueueSettings {
  name: string;
  mode: QueueMode;
  /** Higher first: routing serves every item of a higher-priority queue before a lower one. */
  priority: number;
  method: AssignmentMethod;
}

type QueueFact = { queueId: string; at: IsoTime; by: Actor; reason: string };
export type QueueCreated = { type: 'QueueCreated'; data: QueueFact & QueueSettings };
export type QueueSettingsChanged = { type: 'QueueSettingsChanged'; data: QueueFact & QueueSettings & { previous: QueueSettings } };
export type QueueEvent = QueueCreated | QueueSettingsChanged;

export type DefineQueue = {
  type: 'DefineQueue';
  data: { queueId: string; settings: QueueSettings; by: Actor };
  metadata: { now: IsoTime };
};

export type QueueState = { status: 'none' } | ({ status: 'defined'; id: string; createdAt: IsoTime } & QueueSettings);

export const initialQueueState = (): QueueState => ({ status: 'none' });

const QUEUE_EVENT_TYPES: ReadonlySet<string> = new Set<QueueEvent['type']>(['QueueCreated', 'QueueSettingsChanged']);
export const isQueueEvent = (event: { type: string }): event is QueueEvent => QUEUE_EVENT_TYPES.has(event.type);

const settingsOf = ({ name, mode, priority, method }: QueueSettings): QueueSettings => ({ name, mode, priority, method });
const sameSettings = (a: QueueSettings, b: QueueSettings) =>
  a.name === b.name && a.mode === b.mode && a.priority === b.priority && a.method === b.method;

export const MAX_QUEUE_PRIORITY = 100;
export const MAX_QUEUE_NAME_LENGTH = 200;

/** Refuses a queue definition the views could not record (QUEUE.INVALID_COMMAND, naming the field). */
export const validateDefineQueue = (command: DefineQueue): void => {
  const check = new CommandChecks('QUEUE.INVALID_COMMAND', 'DefineQueue');
  check.metadata(command.metadata);
  const data = check.record(command.data, 'data');
  check.id(data.queueId, 'queueId');
  const settings = check.record(data.settings, 'settings');
  check.text(settings.name, 'settings.name', MAX_QUEUE_NAME_LENGTH);
  check.oneOf(settings.mode, 'settings.mode', QUEUE_MODES);
  check.integer(settings.priority, 'settings.priority', 0, MAX_QUEUE_PRIORITY);
  check.oneOf(settings.method, 'settings.method', ASSIGNMENT_METHODS);
  check.actor(data.by, 'by');
};

/** Defining a queue creates it, changes its settings, or (same settings again) does nothing. */
export const decideQueue = (command: DefineQueue, state: QueueState): QueueEvent[] => {
  validateDefineQueue(command);
  const { queueId, settings, by } = command.data;
  const fact = { queueId, at: command.metadata.now, by };
  if (state.status === 'none') return [{ type: 'QueueCreated', data: { ...fact, reason: 'queue_created', ...settingsOf(settings) } }];
  if (sameSettings(state, settings)) return [];
  return [
    {
      type: 'QueueSettingsChanged',
      data: { ...fact, reason: 'queue_settings_changed', ...settingsOf(settings), previous: settingsOf(state) },
    },
  ];
};

export const evolveQueue = (state: QueueState, event: QueueEvent): QueueState => {
  switch (event.type) {
    case 'QueueCreated':
      return { status: 'defined', id: event.data.queueId, createdAt: event.data.at, ...settingsOf(event.data) };
    case 'QueueSettingsChanged':
      return state.status === 'defined' ? { ...state, ...settingsOf(event.data) } : state;
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
};
