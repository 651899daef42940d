/**
 * Webhook delivery through crashes: the service runs as its own process on the durable SQLite
 * store with a webhook subscription (the conversation streams) to a local receiver that is
 * sometimes slow (0-20 ms) and sometimes fails (5% answered 500). A load of conversations
 * (open, customer message, pick, agent messages, end, close-session) writes events while the
 * process is killed with SIGKILL at seeded random moments (some just as a request is held by the
 * receiver, some just after the receiver failed one, so a retry was pending) and started again
 * on the same DATA_DIR and port. Once the load stops, the last process delivers the rest, and
 * what the receiver got is checked against the log read directly (SqliteEventStore):
 *
 * 1. every event of the filter after the subscription's starting checkpoint was accepted (2xx)
 *    at least once, each request's body being what the service builds of that event;
 * 2. first deliveries follow the log: the positions of the 2xx-answered requests, duplicates
 *    dropped, are the log's sequence; no event was sent before every event before it in the log
 *    had been accepted;
 * 3. every request verifies with the subscription's secret (Standard Webhooks reference library);
 * 4. the receiver never had two requests at once. Duplicates (at-least-once) are counted, not refused.
 *
 * CRASH_SEED (default below) and WEBHOOK_CRASH_KILLS (default 4, at most 20) change the run; the
 * seed is printed. WEBHOOK_CRASH_KEEP_DATA=1 keeps the DATA_DIR.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '@lib/event-store';
import { CrashableService } from './support/crash/crashable-service';
import { between, countFromEnv, seedFromEnv, seededRandom } from './support/crash/random';
import {
  ConversationLoad,
  LogReader,
  auditDeliveries,
  describeAudit,
  mustPost,
  signedRequest,
  sleep,
  waitForEveryEvent,
  type DeliveryAudit,
  webhookServiceEnv,
} from './support/webhook-load';
import { startWebhookReceiver, type ReceivedRequest, type ReceiverAnswer, type WebhookReceiver } from './support/webhook-receiver';

const SEED = seedFromEnv(20_260_611);
const KILLS = countFromEnv('WEBHOOK_CRASH_KILLS', 4, 1, 20);
const QUEUE = 'hooks-crash';
const AGENTS = ['wa-0', 'wa-1', 'wa-2', 'wa-3'];

const SERVICE_ENV = webhookServiceEnv();

/** The subscription's filter, and the same choice made by the test on the log. */
const FILTER = { streams: ['conversation'] };
const wanted = (event: RecordedEvent) => event.streamName.startsWith('conversation-');

/**
 * How a kill is timed after its random delay: at once; as soon as the receiver holds a request
 * (it answers that one 60 ms later, after the kill); or just after the receiver answered one
 * 500 (the process is waiting to retry it).
 */
type KillMode = 'at-once' | 'mid-request' | 'after-failure';
const MODES: KillMode[] = ['at-once', 'mid-request', 'after-failure'];

interface KillRecord {
  kill: number;
  mode: KillMode;
  /** The request that sprang the trap (modes other than at-once); undefined: none came in time, killed anyway. */
  trapped?: Omit<ReceivedRequest, 'answer'>;
  at: number;
  /** Requests the receiver was holding (received, not yet answered) when the kill was sent. */
  heldAtKill: number;
}

/** Nothing here may run past this: every phase below is bounded by it. */
const LOAD_PHASE_BUDGET_MS = 20_000 + KILLS * 15_000;
const DELIVERY_WAIT_MS = 60_000;

describe('webhook delivery through SIGKILLs under load, restarted on the same DATA_DIR', () => {
  const began = Date.now();
  const random = seededRandom(SEED);
  const receiverRandom = seededRandom(SEED ^ 0x5eed);
  let dataDir: string;
  let service: CrashableService;
  let receiver: WebhookReceiver;
  let load: ConversationLoad;
  let log: LogReader | undefined;
  let hook: { id: string; secret: string; checkpoint: number };
  let loadCompleted = false;
  let loadMs = 0;
  let audit: DeliveryAudit | undefined;
  const kills: KillRecord[] = [];

  /** A trap on the next request the receiver gets: answers it as given and tells the test. */
  let trap: { answer: ReceiverAnswer; sprung: (request: Omit<ReceivedRequest, 'answer'>) => void } | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'webhooks-crash-'));
    process.stderr.write(`webhooks-crash: seed=${SEED} (CRASH_SEED), kills=${KILLS} (WEBHOOK_CRASH_KILLS), DATA_DIR=${dataDir}\n`);
    receiver = await startWebhookReceiver((request) => {
      if (trap) {
        const { answer, sprung } = trap;
        trap = undefined;
        sprung(request);
        return answer;
      }
      const delayMs = receiverRandom() < 0.5 ? 0 : Math.floor(receiverRandom() * 21);
      return receiverRandom() < 0.05 ? { status: 500, delayMs } : { status: 200, delayMs };
    });
    service = new CrashableService({ ...SERVICE_ENV, DATA_DIR: dataDir });
    load = new ConversationLoad({
      seed: SEED,
      prefix: `whc-${SEED}`,
      dataDir,
      queueId: QUEUE,
      agentIds: AGENTS,
      channels: ['sms', 'live_chat', 'social'],
      maxPauseMs: 30,
      // While the service is down (killed, not yet started again), requests wait and are sent again.
      targets: () => {
        try {
          return [service.base];
        } catch {
          return [];
        }
      },
    });
  });

  afterAll(async () => {
    service.abort();
    await load.stop().catch(() => undefined);
    await service.stop().catch(() => undefined);
    await log?.close().catch(() => undefined);
    await receiver.close().catch(() => undefined);
    process.stderr.write(
      `webhooks-crash: seed=${SEED}, kills=${service.kills} (${kills
        .map((k) => `${k.mode}${k.mode !== 'at-once' && !k.trapped ? ' (no request came: at once)' : ''}, ${k.heldAtKill} held`)
        .join('; ')}), ` +
        `conversations=${load.conversations}, commands acknowledged=${load.acknowledged}, resent after no answer=${load.resent}, ` +
        `not acknowledged: ${load.notAcknowledged().join(', ') || 'none'}; ` +
        `${audit ? describeAudit('deliveries', audit) : 'deliveries not audited'}; ` +
        `load ${(loadMs / 1000).toFixed(1)} s, starts ${(service.startMs / 1000).toFixed(1)} s, total ${((Date.now() - began) / 1000).toFixed(1)} s\n`,
    );
    if (process.env.WEBHOOK_CRASH_KEEP_DATA) process.stderr.write(`webhooks-crash: DATA_DIR kept at ${dataDir}\n`);
    else rmSync(dataDir, { recursive: true, force: true });
  });

  /** Arms a trap and resolves with the request that sprang it, or undefined after `timeoutMs`. */
  const nextRequest = (answer: ReceiverAnswer, timeoutMs: number): Promise<Omit<ReceivedRequest, 'answer'> | undefined> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        trap = undefined;
        resolve(undefined);
      }, timeoutMs);
      trap = {
        answer,
        sprung: (request) => {
          clearTimeout(timer);
          resolve(request);
        },
      };
    });

  const held = (requests: readonly ReceivedRequest[], at: number) =>
    requests.filter((r) => r.receivedAt <= at && (r.answeredAt === undefined || r.answeredAt > at)).length;

  it(
    `delivers through ${KILLS} SIGKILLs at random moments (mid-request, mid-retry), each followed by a restart on the same DATA_DIR`,
    async () => {
      await service.start();
      const base = service.base;
      await mustPost(base, dataDir, '/api/queues', { id: QUEUE, mode: 'pick' });
      for (const id of AGENTS) {
        await mustPost(base, dataDir, '/api/agents', { id, capacity: 1000, queueIds: [QUEUE], presence: 'available' });
      }
      hook = await mustPost(base, dataDir, '/api/webhooks', { url: receiver.url, ...FILTER });
      expect(hook).toMatchObject({ id: expect.any(String), secret: expect.stringMatching(/^whsec_/), checkpoint: expect.any(Number) });

      const loadBegan = Date.now();
      load.start();
      const offset = Math.floor(random() * MODES.length);
      try {
        for (let kill = 1; kill <= KILLS; kill++) {
          if (Date.now() - loadBegan > LOAD_PHASE_BUDGET_MS) {
            throw new Error(
              `only ${kill - 1} of ${KILLS} kills within ${LOAD_PHASE_BUDGET_MS / 1000} s: starts took ${(service.startMs / 1000).toFixed(1)} s`,
            );
          }
          await sleep(between(random, kill === 1 ? 1_500 : 1_000, 3_000));
          const mode = MODES[(kill + offset) % MODES.length];
          let trapped: Omit<ReceivedRequest, 'answer'> | undefined;
          if (mode === 'mid-request') {
            // Held 60 ms: the SIGKILL, sent at once, lands while the process waits for the answer.
            trapped = await nextRequest({ status: 200, delayMs: 60 }, 3_000);
          } else if (mode === 'after-failure') {
            // 500 at once; the kill 20 ms later lands once the failure is recorded, while the retry (50-100 ms) waits.
            trapped = await nextRequest({ status: 500 }, 3_000);
            if (trapped) await sleep(20);
          }
          const at = Date.now();
          kills.push({ kill, mode, trapped, at, heldAtKill: held(receiver.requests, at) });
          await service.kill();
          await service.start();
        }
        await sleep(1_500);
      } catch (error) {
        service.abort();
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${service.outputTail()}`);
      } finally {
        await load.stop();
        loadMs = Date.now() - loadBegan;
      }
      loadCompleted = true;

      expect(service.kills).toBe(KILLS);
      // The load wrote between the kills, and the service never answered a command with a 5xx.
      expect(load.acknowledged).toBeGreaterThan(50 * KILLS);
      expect(load.notAcknowledged().filter((label) => / 5\d\d/.test(label))).toEqual([]);
      // Kills did land while the receiver held a request (not only between deliveries).
      if (KILLS >= 3) expect(kills.filter((k) => k.mode === 'mid-request' && k.trapped !== undefined).length).toBeGreaterThan(0);
    },
    LOAD_PHASE_BUDGET_MS + 60_000,
  );

  it(
    'the last process delivers every event of the filter, first deliveries in log order, each signed, bodies as built from the log',
    async () => {
      if (!loadCompleted) throw new Error('the load phase did not complete (see the first failure): nothing to check');
      log = new LogReader(dataDir);
      let events: RecordedEvent[];
      try {
        events = await waitForEveryEvent(log, receiver.requests, hook.checkpoint, wanted, DELIVERY_WAIT_MS, 'the last process');
      } catch (error) {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${service.outputTail()}`);
      }
      // Settle: a duplicate still on its way is counted too (nothing writes any more: timers and routing are off).
      await sleep(500);
      audit = auditDeliveries(receiver.requests, events, hook.secret);
      process.stderr.write(`webhooks-crash: ${describeAudit('deliveries', audit)}\n`);

      expect(events.length).toBeGreaterThan(100);
      expect(audit.missing).toEqual([]);
      expect(audit.unwanted).toEqual([]);
      expect(audit.bodyMismatches).toEqual([]);
      expect(audit.unverified).toEqual([]);
      expect(audit.outOfOrder).toEqual([]);
      expect(audit.firstDeliveries).toEqual(events.map((event) => event.position));
      expect(audit.firstDeliveries.every((position, i) => i === 0 || position > audit!.firstDeliveries[i - 1])).toBe(true);
      expect(audit.overlaps).toEqual([]);
      expect(receiver.maxInFlight()).toBe(1);
      // Every request went to the subscription's URL, carrying its event's id as webhook-id.
      expect(receiver.requests.every((r) => r.path === '/hooks' && JSON.parse(r.body).id === r.headers['webhook-id'])).toBe(true);
      // The receiver's failures were retried: some attempts were refused and still everything arrived.
      expect(audit.failedAnswers).toBeGreaterThan(0);
      // A kill while the receiver held a request (its 200 never reached the process), or while a retry
      // waited: the next process starts again at or before that event (delivered events are recorded in
      // batches, so a few before it may be sent again too), and that event is sent again.
      const positionOf = new Map(events.map((event) => [event.id, event.position]));
      const afterKills = kills
        .filter((k) => k.trapped !== undefined)
        .map((k) => {
          const trapped = k.trapped as Omit<ReceivedRequest, 'answer'>;
          const id = String(trapped.headers['webhook-id']);
          const next = receiver.requests.find((r) => r.seq > trapped.seq);
          const nextPosition = positionOf.get(String(next?.headers['webhook-id'])) ?? Infinity;
          return {
            kill: k.kill,
            mode: k.mode,
            restartsAtOrBefore: nextPosition <= (positionOf.get(id) ?? -1),
            sentAgain: receiver.requests.some((r) => r.seq > trapped.seq && r.headers['webhook-id'] === id),
          };
        });
      expect(afterKills).toEqual(afterKills.map((k) => ({ ...k, restartsAtOrBefore: true, sentAgain: true })));
      expect(audit.duplicates).toBeGreaterThanOrEqual(kills.filter((k) => k.mode === 'mid-request' && k.trapped !== undefined).length);

      // The subscription is still active and its checkpoint reached the last event it wants.
      const current = await (async () => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const answer = await fetchWebhook(service.base, dataDir, hook.id);
          if (answer.checkpoint >= events[events.length - 1].position || Date.now() > deadline) return answer;
          await sleep(200);
        }
      })();
      expect(current).toMatchObject({ status: 'active', failures: 0 });
      expect(current.checkpoint).toBeGreaterThanOrEqual(events[events.length - 1].position);
    },
    DELIVERY_WAIT_MS + 30_000,
  );
});

const fetchWebhook = async (base: string, dataDir: string, id: string) => {
  const answer = await signedRequest(base, dataDir, 'GET', `/api/webhooks/${id}`);
  if (answer.statusCode !== 200) throw new Error(`GET /api/webhooks/${id} answered ${answer.statusCode}: ${answer.text}`);
  return answer.body as { status: string; failures: number; checkpoint: number };
};
