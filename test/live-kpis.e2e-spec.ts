/**
 * Live KPIs, the held-out check: a scripted day with known times (the app's clock is set
 * before every command), and for each window every KPI equals a hand computation written
 * out below, never derived from the code under test.
 *
 * KPI_TIME_ZONE is Europe/Paris (UTC+1 on 2 March 2026), so `today` starts at
 * 2026-03-01T23:00:00Z: c1, answered at 23:30Z, is in Paris's today but would not be in UTC's.
 * SERVICE_LEVEL_THRESHOLD 20 s. Every conversation is live chat (wrap-up blocks until closed).
 *
 * The day (UTC):
 *   22:00     queues support and billing; ann (capacity 2, support + billing, available), bob (capacity 1, support, away)
 *   23:20     c1 opens in support; 23:30 ann picks (wait 600 s); 23:40 ann ends; 23:45 closes (handle 600 + 300 = 900 s)
 *   09:00     bob available
 *   09:10     c8 opens in support; 09:10:05 pushed to ann; 09:10:20 ann rejects (the wait goes on);
 *             09:11 ann picks (wait 60 s); 09:20 ends; 09:21 closes (handle 540 + 60 = 600 s)
 *   09:30     c2 opens in support; 09:30:10 pushed to bob; 09:30:15 bob accepts (wait 15 s);
 *             09:40 bob transfers it to billing (a transfer out of support; billing's wait starts);
 *             09:50 ann picks it in billing (wait 600 s); 09:55 ends; 09:56 closes
 *             (handle 585 by bob + 300 + 60 by ann = 945 s, counted for billing and ann, the last to hold it)
 *   09:44     c3 opens in support; 09:46 the customer leaves (abandoned after 120 s)
 *   09:47     c4 opens in support; 09:47:10 the customer leaves (abandoned after 10 s)
 *   09:48     c5 opens in support; 09:48:05 ann picks (wait 5 s); still active at 10:00
 *   09:52     c6 opens in support; 09:52:30 pushed to bob; still awaiting acceptance at 10:00
 *   09:58     c7 opens in support; still in the queue at 10:00
 *   10:00     now
 */
import { LiveKpiQueries } from '@lib/read-models';
import { DEFAULT_TEST_POSTGRES_URL, probePostgres, redactUrl } from '@lib/read-models/testing/postgres-probe';
import { startApp, type JsonBody, type TestApp } from './support/start-app';
import { createThrowawaySchema, type ThrowawaySchema } from './support/throwaway-postgres-schema';
import { Floor } from './support/work-distribution';

const postgresUrl = process.env.TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
const probe = probePostgres(postgresUrl);
if (!probe.reachable && process.env.REQUIRE_POSTGRES !== '1') {
  console.warn(`Live KPIs e2e runs on SQLite views only: cannot reach PostgreSQL at ${redactUrl(postgresUrl)}`);
}
/** The same day and the same figures with the views in SQLite and in PostgreSQL (required with REQUIRE_POSTGRES=1). */
const VIEW_DATABASES = probe.reachable || process.env.REQUIRE_POSTGRES === '1' ? ['SQLite', 'PostgreSQL'] : ['SQLite'];

describe.each(VIEW_DATABASES)('views in %s', (viewDatabase) => {
  let t: TestApp;
  let f: Floor;
  let schema: ThrowawaySchema | undefined;

  const at = (time: string) => {
    t.clock.set(time.startsWith('2026') ? time : `2026-03-02T${time}Z`);
  };

  beforeAll(async () => {
    if (viewDatabase === 'PostgreSQL') schema = await createThrowawaySchema(postgresUrl, 'live_kpis');
    t = await startApp({
      store: 'sqlite',
      provision: 'none',
      clockStart: '2026-03-01T22:00:00Z',
      env: {
        KPI_TIME_ZONE: 'Europe/Paris',
        SERVICE_LEVEL_THRESHOLD: '20s',
        ROUTING: 'off',
        ...(schema === undefined ? {} : { READ_MODELS_URL: schema.readModelsUrl }),
      },
    });
    f = new Floor(t);
    await f.queue('support');
    await f.queue('billing');
    await f.agent('ann', 2, ['support', 'billing'], 'available');
    await f.agent('bob', 1, ['support'], 'away');

    at('2026-03-01T23:20:00Z');
    await f.open('c1', 'support');
    at('2026-03-01T23:30:00Z');
    await f.pick('c1', 'ann');
    at('2026-03-01T23:40:00Z');
    await f.endByAgent('c1', 'ann');
    at('2026-03-01T23:45:00Z');
    await f.closeSession('c1', 'ann');

    at('09:00:00');
    await f.presence('bob', 'available');

    at('09:10:00');
    await f.open('c8', 'support');
    at('09:10:05');
    await f.assign('c8', 'ann');
    at('09:10:20');
    await f.reject('c8', 'ann');
    at('09:11:00');
    await f.pick('c8', 'ann');
    at('09:20:00');
    await f.endByAgent('c8', 'ann');
    at('09:21:00');
    await f.closeSession('c8', 'ann');

    at('09:30:00');
    await f.open('c2', 'support');
    at('09:30:10');
    await f.assign('c2', 'bob');
    at('09:30:15');
    await f.accept('c2', 'bob');
    at('09:40:00');
    await f.command('c2', 'transfer', { agentId: 'bob', toQueueId: 'billing' });

    at('09:44:00');
    await f.open('c3', 'support');
    at('09:46:00');
    await f.command('c3', 'end', { by: 'customer' });

    at('09:47:00');
    await f.open('c4', 'support');
    at('09:47:10');
    await f.command('c4', 'end', { by: 'customer' });

    at('09:48:00');
    await f.open('c5', 'support');
    at('09:48:05');
    await f.pick('c5', 'ann');

    at('09:50:00');
    await f.pick('c2', 'ann');

    at('09:52:00');
    await f.open('c6', 'support');
    at('09:52:30');
    await f.assign('c6', 'bob');

    at('09:55:00');
    await f.endByAgent('c2', 'ann');
    at('09:56:00');
    await f.closeSession('c2', 'ann');

    at('09:58:00');
    await f.open('c7', 'support');

    at('10:00:00');
    await f.viewsCaughtUp();
  });
  afterAll(async () => {
    await t?.close();
    await schema?.drop();
  });

  const get = async (path: string, headers?: Record<string, string>): Promise<JsonBody> => {
    const answer = await t.get(path, headers);
    expect(answer.statusCode).toBe(200);
    return answer.body;
  };

  /** What waits now does not depend on the window. */
  const SUPPORT_NOW = { queueId: 'support', inQueue: 1, awaitingAcceptance: 1, longestWaitSeconds: 480 };
  const BILLING_NOW = { queueId: 'billing', inQueue: 0, awaitingAcceptance: 0, longestWaitSeconds: null };
  /** Billing's whole history is inside every window: c2 answered at 09:50 after 600 s, handled at 09:56 in 945 s. */
  const BILLING = {
    ...BILLING_NOW,
    answered: 1,
    averageSpeedToAnswerSeconds: 600,
    answeredWithinThreshold: 0,
    serviceLevel: 0,
    abandoned: 0,
    abandonedRate: 0,
    transferred: 0,
    transferRate: 0,
    handled: 1,
    averageHandleSeconds: 945,
  };

  const EXPECTED_QUEUES = {
    // 09:45-10:00: c5 answered (5 s); c3 and c4 abandoned; nothing handled in support.
    '15m': [
      BILLING,
      {
        ...SUPPORT_NOW,
        answered: 1,
        averageSpeedToAnswerSeconds: 5,
        answeredWithinThreshold: 1,
        serviceLevel: 1 / 3,
        abandoned: 2,
        abandonedRate: 2 / 3,
        transferred: 0,
        transferRate: 0,
        handled: 0,
        averageHandleSeconds: null,
      },
    ],
    // 09:00-10:00: c8 (60 s), c2 (15 s), c5 (5 s) answered; c3, c4 abandoned; c2 transferred; c8 handled (600 s).
    '1h': [
      BILLING,
      {
        ...SUPPORT_NOW,
        answered: 3,
        averageSpeedToAnswerSeconds: 26.667,
        answeredWithinThreshold: 2,
        serviceLevel: 2 / 5,
        abandoned: 2,
        abandonedRate: 2 / 5,
        transferred: 1,
        transferRate: 1 / 3,
        handled: 1,
        averageHandleSeconds: 600,
      },
    ],
    // Since 23:00Z: c1 (600 s) too, and c1 handled (900 s).
    today: [
      BILLING,
      {
        ...SUPPORT_NOW,
        answered: 4,
        averageSpeedToAnswerSeconds: 170,
        answeredWithinThreshold: 2,
        serviceLevel: 2 / 6,
        abandoned: 2,
        abandonedRate: 2 / 6,
        transferred: 1,
        transferRate: 1 / 4,
        handled: 2,
        averageHandleSeconds: 750,
      },
    ],
  };

  const presence = (available: number, away = 0) => ({ available, busy: 0, busy_dnd: 0, away, offline: 0 });
  const ANN_NOW = {
    agentId: 'ann',
    presence: 'available',
    presenceSince: '2026-03-01T22:00:00.000Z',
    capacity: 2,
    used: 1,
    blocked: 0,
    free: 1,
  };
  const BOB_NOW = {
    agentId: 'bob',
    presence: 'available',
    presenceSince: '2026-03-02T09:00:00.000Z',
    capacity: 1,
    used: 1,
    blocked: 0,
    free: 0,
  };

  /**
   * Occupancy = capacity held × time over capacity × time available. ann's holds: c1 23:30-23:45
   * (900 s), c8's push 09:10:05-09:10:20 (15 s) and c8 09:11-09:21 (600 s), c5 09:48:05-10:00
   * (715 s), c2 09:50-09:56 (360 s). bob's: c2 09:30:10-09:40 (590 s), c6 09:52:30-10:00 (450 s).
   */
  const EXPECTED_AGENTS = {
    '15m': [
      { ...ANN_NOW, timeInPresenceSeconds: presence(900), occupancy: (715 + 360) / (2 * 900), itemsHandled: 1, averageHandleSeconds: 945 },
      { ...BOB_NOW, timeInPresenceSeconds: presence(900), occupancy: 450 / 900, itemsHandled: 0, averageHandleSeconds: null },
    ],
    '1h': [
      {
        ...ANN_NOW,
        timeInPresenceSeconds: presence(3600),
        occupancy: (15 + 600 + 715 + 360) / (2 * 3600),
        itemsHandled: 2,
        averageHandleSeconds: 772.5,
      },
      { ...BOB_NOW, timeInPresenceSeconds: presence(3600), occupancy: (590 + 450) / 3600, itemsHandled: 0, averageHandleSeconds: null },
    ],
    // 11 hours since 23:00Z; bob was away until 09:00, which counts in neither side of his occupancy.
    today: [
      {
        ...ANN_NOW,
        timeInPresenceSeconds: presence(39_600),
        occupancy: (900 + 15 + 600 + 715 + 360) / (2 * 39_600),
        itemsHandled: 3,
        averageHandleSeconds: 815,
      },
      {
        ...BOB_NOW,
        timeInPresenceSeconds: presence(3600, 36_000),
        occupancy: (590 + 450) / 3600,
        itemsHandled: 0,
        averageHandleSeconds: null,
      },
    ],
  };

  const closeTo = (expected: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(expected).map(([key, value]) => [
        key,
        typeof value === 'number' && !Number.isInteger(value) ? expect.closeTo(value, 9) : value,
      ]),
    );

  const WINDOW_STARTS = { '15m': '2026-03-02T09:45:00.000Z', '1h': '2026-03-02T09:00:00.000Z', today: '2026-03-01T23:00:00.000Z' };

  describe.each(['15m', '1h', 'today'] as const)('window %s', (window) => {
    it('every queue KPI equals the hand computation', async () => {
      const body = await get(`/api/stats/queues?window=${window}`);
      expect(body.window).toEqual({ name: window, from: WINDOW_STARTS[window], to: '2026-03-02T10:00:00.000Z', timeZone: 'Europe/Paris' });
      expect(body.serviceLevelPolicy).toEqual({ thresholdSeconds: 20, abandoned: 'missed' });
      expect(body.queues).toEqual(EXPECTED_QUEUES[window].map(closeTo));
    });

    it('one queue answers the same figures', async () => {
      const body = await get(`/api/stats/queues/support?window=${window}`);
      expect(body.queue).toEqual(closeTo(EXPECTED_QUEUES[window][1]));
    });

    it('every agent KPI equals the hand computation; an agent sees only its own row', async () => {
      const body = await get(`/api/stats/agents?window=${window}`);
      expect(body.items).toEqual(EXPECTED_AGENTS[window].map(closeTo));
      const own = await get(`/api/stats/agents?window=${window}`, { authorization: `Bearer ${await t.token('bob', ['agent'])}` });
      expect(own.items).toEqual([closeTo(EXPECTED_AGENTS[window][1])]);
    });
  });

  describe('the service level policy (SERVICE_LEVEL_ABANDONED)', () => {
    it('excluded leaves abandoned ones out; short-excluded leaves out only those abandoned within the threshold', async () => {
      const queries = t.app.get(LiveKpiQueries);
      const window = { startMs: Date.parse('2026-03-02T09:00:00Z'), nowMs: Date.parse('2026-03-02T10:00:00Z') };
      const support = async (abandoned: 'missed' | 'excluded' | 'short-excluded') =>
        (await queries.queueKpis(window, { thresholdMs: 20_000, abandoned }, ['support']))[0].serviceLevel;
      // 1h: 2 of 3 answered within 20 s; c3 abandoned after 120 s, c4 after 10 s.
      expect(await support('missed')).toBeCloseTo(2 / 5, 9);
      expect(await support('excluded')).toBeCloseTo(2 / 3, 9);
      expect(await support('short-excluded')).toBeCloseTo(2 / 4, 9);
    });
  });

  describe('windows that do not fall on whole minutes, and a threshold other than the one the minute totals were counted with', () => {
    const support = async (window: { startMs: number; nowMs: number }, thresholdMs = 20_000) =>
      (await t.app.get(LiveKpiQueries).queueKpis(window, { thresholdMs, abandoned: 'missed' }, ['support']))[0];

    it('09:47:05-10:00: c4 abandoned at 09:47:10 is in, c3 at 09:46 is not; c5 answered in 5 s', async () => {
      const kpis = await support({ startMs: Date.parse('2026-03-02T09:47:05Z'), nowMs: Date.parse('2026-03-02T10:00:00Z') });
      expect(kpis).toMatchObject({ answered: 1, answeredWithinThreshold: 1, abandoned: 1, serviceLevel: 1 / 2, abandonedRate: 1 / 2 });
    });

    it('09:10:00.500-09:30:14.999: c8 answered at 09:11 and handled at 09:21; c2 is answered a millisecond later', async () => {
      const kpis = await support({ startMs: Date.parse('2026-03-02T09:10:00.500Z'), nowMs: Date.parse('2026-03-02T09:30:14.999Z') });
      expect(kpis).toMatchObject({ answered: 1, averageSpeedToAnswerSeconds: 60, handled: 1, averageHandleSeconds: 600, transferred: 0 });
    });

    it('a 60 s threshold (the minute totals hold 20 s counts) is counted from the facts: c2, c8 and c5 within, c4 abandoned within', async () => {
      const kpis = await support({ startMs: Date.parse('2026-03-02T09:00:00Z'), nowMs: Date.parse('2026-03-02T10:00:00Z') }, 60_000);
      expect(kpis).toMatchObject({ answered: 3, answeredWithinThreshold: 3, abandoned: 2, serviceLevel: 3 / 5 });
    });
  });

  describe('access and input', () => {
    it('queue KPIs are for supervisors; an unknown queue is 404; a bad window is 400 naming the field', async () => {
      const agentToken = `Bearer ${await t.token('ann', ['agent'])}`;
      expect((await t.get('/api/stats/queues', { authorization: agentToken })).statusCode).toBe(403);
      const unknown = await t.get('/api/stats/queues/nope');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.body.code).toBe('QUEUE.NOT_FOUND');
      const bad = await t.get('/api/stats/queues?window=2h');
      expect(bad.statusCode).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('window');
    });

    it('the default window is today', async () => {
      expect((await get('/api/stats/queues')).window.name).toBe('today');
    });
  });
});
