/**
 * Queue definitions: defining a queue creates it, changes its settings (recording the previous
 * ones), or, with the same settings again, writes nothing.
 */
import { supervisor, system } from '../shared/actor';
import { at } from '../conversation/testing/given-when-then';
import {
  ASSIGNMENT_METHODS,
  QUEUE_MODES,
  decideQueue,
  evolveQueue,
  initialQueueState,
  isQueueEvent,
  type DefineQueue,
  type QueueEvent,
  type QueueSettings,
  type QueueState,
} from './queue';

const QUEUE = 'queue-a';
const ADMIN = supervisor('supervisor-1');
const SETTINGS: QueueSettings = { name: 'Billing', mode: 'push', priority: 2, method: 'highest_free_capacity' };

const define = (settings: QueueSettings, minute: number, by = ADMIN): DefineQueue => ({
  type: 'DefineQueue',
  data: { queueId: QUEUE, settings, by },
  metadata: { now: at(minute) },
});
const fold = (events: QueueEvent[], from: QueueState = initialQueueState()): QueueState => events.reduce(evolveQueue, from);
const created = (settings: QueueSettings, minute = 0, by = ADMIN): QueueEvent => ({
  type: 'QueueCreated',
  data: { queueId: QUEUE, at: at(minute), by, reason: 'queue_created', ...settings },
});

describe('queue decider: DefineQueue', () => {
  it('a new queue is created with its settings, by whoever defined it', () => {
    const events = decideQueue(define(SETTINGS, 0), initialQueueState());
    expect(events).toEqual([created(SETTINGS)]);
    expect(fold(events)).toEqual({ status: 'defined', id: QUEUE, createdAt: at(0), ...SETTINGS });
  });

  it('only the settings are recorded, not whatever else the command object carries', () => {
    const extra = { ...SETTINGS, colour: 'red' } as QueueSettings;
    const events = decideQueue(define(extra, 0), initialQueueState());
    expect(events).toEqual([created(SETTINGS)]);
  });

  it.each(QUEUE_MODES.flatMap((mode) => ASSIGNMENT_METHODS.map((method) => ({ mode, method }))))(
    'every mode and method can be defined ($mode, $method)',
    ({ mode, method }) => {
      const settings = { ...SETTINGS, mode, method };
      expect(fold(decideQueue(define(settings, 0), initialQueueState()))).toMatchObject(settings);
    },
  );

  describe('an existing queue', () => {
    const existing = fold([created(SETTINGS)]);

    it('the same settings again write nothing', () => {
      expect(decideQueue(define({ ...SETTINGS }, 5), existing)).toEqual([]);
    });

    it.each<[string, Partial<QueueSettings>]>([
      ['name', { name: 'Billing (EU)' }],
      ['mode', { mode: 'pick' }],
      ['priority', { priority: 0 }],
      ['method', { method: 'round_robin' }],
      ['everything', { name: 'Sales', mode: 'pick', priority: 7, method: 'round_robin' }],
    ])('a change of %s is recorded with the previous settings', (_, change) => {
      const settings = { ...SETTINGS, ...change };
      const by = system('provisioning');
      const events = decideQueue(define(settings, 5, by), existing);
      expect(events).toEqual([
        {
          type: 'QueueSettingsChanged',
          data: { queueId: QUEUE, at: at(5), by, reason: 'queue_settings_changed', ...settings, previous: SETTINGS },
        },
      ]);
      // The creation time stays; the settings are the new ones.
      expect(fold(events, existing)).toEqual({ status: 'defined', id: QUEUE, createdAt: at(0), ...settings });
    });

    it('a change then the original settings again is a second change, back', () => {
      const changed = fold(decideQueue(define({ ...SETTINGS, priority: 9 }, 5), existing), existing);
      const events = decideQueue(define(SETTINGS, 6), changed);
      expect(events).toEqual([
        expect.objectContaining({
          type: 'QueueSettingsChanged',
          data: expect.objectContaining({ ...SETTINGS, previous: { ...SETTINGS, priority: 9 } }),
        }),
      ]);
      expect(fold(events, changed)).toEqual(existing);
    });
  });
});

describe('queue evolve', () => {
  it('a settings change on a queue never created is ignored', () => {
    const change: QueueEvent = {
      type: 'QueueSettingsChanged',
      data: { queueId: QUEUE, at: at(1), by: ADMIN, reason: 'queue_settings_changed', ...SETTINGS, previous: SETTINGS },
    };
    expect(evolveQueue(initialQueueState(), change)).toEqual({ status: 'none' });
  });

  it('recognises its own events only', () => {
    expect(isQueueEvent({ type: 'QueueCreated' })).toBe(true);
    expect(isQueueEvent({ type: 'QueueSettingsChanged' })).toBe(true);
    expect(isQueueEvent({ type: 'AgentRegistered' })).toBe(false);
  });

  it('replaying the decided events from scratch gives the same state', () => {
    let state = initialQueueState();
    const history: QueueEvent[] = [];
    for (const [minute, settings] of [
      [0, SETTINGS],
      [1, SETTINGS],
      [2, { ...SETTINGS, mode: 'pick' }],
      [3, { ...SETTINGS, name: 'X' }],
    ] as const) {
      const events = decideQueue(define(settings, minute), state);
      state = fold(events, state);
      history.push(...events);
    }
    expect(history.map((e) => e.type)).toEqual(['QueueCreated', 'QueueSettingsChanged', 'QueueSettingsChanged']);
    expect(fold(history)).toEqual(state);
  });
});
