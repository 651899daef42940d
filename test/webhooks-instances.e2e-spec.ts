/**
 * Webhook delivery by two service processes over one data store (one DATA_DIR: the SQLite log
 * and read models; the second with PROJECTOR=off, as a second production instance runs), both
 * delivering (WEBHOOKS=on) under leases. Three subscriptions with different filters, each to its
 * own receiver that holds every request 20-30 ms (and answers 3% of them 500), while a steady
 * load of conversations is written through both processes. On the way:
 *
 * - the process holding most leases is killed (SIGKILL): the other takes its subscriptions over
 *   once their leases ran out (3 s), and not before;
 * - the killed one is started again, then the one now holding every lease is stopped (SIGTERM):
 *   it hands its leases back as it stops, and the restarted one takes them at its next scan.
 *
 * Afterwards, for each subscription, against the log read directly: no receiver ever had two
 * requests in flight at once ([receivedAt, answeredAt] of its requests never overlap); every
 * event the filter wants was accepted, first deliveries in log order, nothing sent before what
 * precedes it in the log was accepted; bodies as built from the log; every request signed with
 * the subscription's secret.
 *
 * Which process holds a lease is read from the feed's SQLite file in DATA_DIR (table
 * webhook_subscriptions, lease_owner `host:pid:nonce`), opened read-only. CRASH_SEED changes the run (printed).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '@lib/event-store';
import { seedFromEnv, seededRandom } from './support/crash/random';
import { startServiceProcess, type ServiceProcess } from './support/service-process';
import {
  ConversationLoad,
  LogReader,
  auditDeliveries,
  describeAudit,
  mustPost,
  sleep,
  waitForEveryEvent,
  type DeliveryAudit,
  webhookServiceEnv,
} from './support/webhook-load';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

const SEED = seedFromEnv(20_260_612);
const QUEUE = 'hooks-two';
const AGENTS = ['wi-0', 'wi-1', 'wi-2'];
const LEASE_MS = 3_000;
/** Every third of a lease each instance looks for subscriptions to take. */
const SCAN_MS = LEASE_MS / 3;

const SERVICE_ENV = webhookServiceEnv(LEASE_MS);
/** The first instance keeps the views; the second only reads them. */
const INSTANCE_ENV: Array<Record<string, string>> = [{}, { PROJECTOR: 'off' }];
const NAMES = ['one', 'two'];

interface SubscriptionSpec {
  name: string;
  filter: Record<string, string[]>;
  wants: (event: RecordedEvent) => boolean;
  /** Created through this instance. */
  via: number;
}

const SUBSCRIPTIONS: SubscriptionSpec[] = [
  { name: 'conversation-streams', filter: { streams: ['conversation'] }, wants: (e) => e.streamName.startsWith('conversation-'), via: 0 },
  { name: 'every-event', filter: {}, wants: () => true, via: 1 },
  { name: 'conversation-types', filter: { eventTypes: ['Conversation*'] }, wants: (e) => e.type.startsWith('Conversation'), via: 0 },
];

interface Lease {
  id: string;
  owner: string | null;
  until: number | null;
}

/**
 * The leases as stored now (a read-only connection, closed at once). On SQLite the feed's tables
 * live in DATA_DIR/event-feed.sqlite (formerly beside the views, in read-models.sqlite).
 */
const readLeases = (dataDir: string): Lease[] => {
  const file = ['event-feed.sqlite', 'read-models.sqlite'].map((name) => join(dataDir, name)).find((path) => existsSync(path));
  if (file === undefined) throw new Error(`no event-feed.sqlite nor read-models.sqlite in ${dataDir}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare('SELECT id, lease_owner AS owner, lease_until AS until FROM webhook_subscriptions ORDER BY id').all() as Array<{
        id: string;
        owner: string | null;
        until: number | bigint | null;
      }>
    ).map((row) => ({ id: row.id, owner: row.owner, until: row.until === null ? null : Number(row.until) }));
  } finally {
    db.close();
  }
};

/** The process id in a lease owner's name (`host:pid:nonce`). */
const pidOf = (owner: string | null): number | undefined => (owner === null ? undefined : Number(owner.split(':').at(-2)));

const DELIVERY_WAIT_MS = 60_000;

describe('webhook delivery by two instances over one data store: one deliverer per subscription, takeover on a crash and on a stop', () => {
  const began = Date.now();
  const random = seededRandom(SEED);
  let dataDir: string;
  const instances: Array<ServiceProcess | undefined> = [undefined, undefined];
  const ports: number[] = [];
  const earlierOutputs: string[] = [];
  const receivers: WebhookReceiver[] = [];
  const hooks: Array<{ id: string; secret: string; checkpoint: number }> = [];
  let load: ConversationLoad;
  let log: LogReader | undefined;
  let loadCompleted = false;
  const audits: Array<[string, DeliveryAudit]> = [];
  const figures: string[] = [];

  const outputs = () =>
    [...earlierOutputs, ...instances.map((p, i) => (p ? `--- ${NAMES[i]} (running)\n${p.output()}` : ''))].join('\n').slice(-6_000);

  const start = async (index: number) => {
    const env = { ...SERVICE_ENV, ...INSTANCE_ENV[index], DATA_DIR: dataDir };
    const started = await startServiceProcess(NAMES[index], env, 60_000, ports[index] === undefined ? {} : { port: ports[index] });
    ports[index] = started.port;
    instances[index] = started;
    return started;
  };

  /** Takes the instance out of the load's targets, then ends it (SIGKILL or SIGTERM); resolves once it exited. */
  const end = async (index: number, how: 'kill' | 'stop') => {
    const victim = instances[index] as ServiceProcess;
    instances[index] = undefined;
    await (how === 'kill' ? victim.kill() : victim.stop());
    earlierOutputs.push(`--- ${NAMES[index]} (${how === 'kill' ? 'killed' : 'stopped'})\n${victim.output()}`);
    return victim;
  };

  /** Polls the leases (bounded) until every subscription's owner is that process; the moment it saw that. */
  const leasesAllHeldBy = async (pid: number, timeoutMs: number, what: string): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leases = readLeases(dataDir);
      if (leases.length === SUBSCRIPTIONS.length && leases.every((lease) => pidOf(lease.owner) === pid)) return Date.now();
      if (Date.now() > deadline)
        throw new Error(`${what}: not every lease held by pid ${pid} within ${timeoutMs} ms: ${JSON.stringify(leases)}`);
      await sleep(50);
    }
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'webhooks-instances-'));
    process.stderr.write(`webhooks-instances: seed=${SEED} (CRASH_SEED), DATA_DIR=${dataDir}\n`);
    for (let i = 0; i < SUBSCRIPTIONS.length; i++) {
      const receiverRandom = seededRandom(Math.floor(random() * 2 ** 32));
      // Held 20-30 ms, so two requests in flight at once would overlap visibly; 3% refused (retried).
      receivers.push(
        await startWebhookReceiver(() => ({
          status: receiverRandom() < 0.03 ? 500 : 200,
          delayMs: 20 + Math.floor(receiverRandom() * 11),
        })),
      );
    }
    // One after the other: the second finds the database the first created and migrated.
    await start(0);
    await start(1);
    load = new ConversationLoad({
      seed: SEED,
      prefix: `whi-${SEED}`,
      dataDir,
      queueId: QUEUE,
      agentIds: AGENTS,
      channels: ['sms', 'live_chat', 'social'],
      maxPauseMs: 200,
      targets: () => instances.filter((p): p is ServiceProcess => p !== undefined).map((p) => p.base),
    });
  }, 150_000);

  afterAll(async () => {
    await load?.stop().catch(() => undefined);
    await Promise.all(instances.map((p) => p?.stop().catch(() => undefined)));
    await log?.close().catch(() => undefined);
    await Promise.all(receivers.map((r) => r.close().catch(() => undefined)));
    process.stderr.write(
      `webhooks-instances: seed=${SEED}, ${figures.join(', ')}; conversations=${load?.conversations}, ` +
        `commands acknowledged=${load?.acknowledged} (${[...(load?.acknowledgedBy ?? [])].map(([base, n]) => `${base}: ${n}`).join(', ')}), ` +
        `resent after no answer=${load?.resent}, not acknowledged: ${load?.notAcknowledged().join(', ') || 'none'}; ` +
        `${audits.map(([name, audit]) => describeAudit(name, audit)).join('; ')}; total ${((Date.now() - began) / 1000).toFixed(1)} s\n`,
    );
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('hands the subscriptions of a crashed instance to the other once their leases ran out, and those of a stopped one at once, under load through both', async () => {
    try {
      const [one] = instances as ServiceProcess[];
      await mustPost(one.base, dataDir, '/api/queues', { id: QUEUE, mode: 'pick' });
      for (const id of AGENTS) {
        await mustPost(one.base, dataDir, '/api/agents', { id, capacity: 1000, queueIds: [QUEUE], presence: 'available' });
      }
      for (const [i, spec] of SUBSCRIPTIONS.entries()) {
        const via = instances[spec.via] as ServiceProcess;
        hooks.push(await mustPost(via.base, dataDir, '/api/webhooks', { url: receivers[i].url, ...spec.filter }));
      }

      // Both instances write; each subscription is delivered by one of them.
      load.start();
      await sleep(3_000);
      const pids = instances.map((p) => (p as ServiceProcess).pid as number);
      const before = readLeases(dataDir);
      expect(before.map((lease) => pids.includes(pidOf(lease.owner) as number))).toEqual(SUBSCRIPTIONS.map(() => true));
      const held = pids.map((pid) => before.filter((lease) => pidOf(lease.owner) === pid).length);
      figures.push(`leases at first: ${NAMES[0]} ${held[0]}, ${NAMES[1]} ${held[1]}`);
      for (const receiver of receivers) expect(receiver.requests.length).toBeGreaterThan(0);

      // SIGKILL the instance holding most leases: the other takes them once they ran out.
      const victim = held[0] >= held[1] ? 0 : 1;
      const survivor = 1 - victim;
      const killedAt = Date.now();
      await end(victim, 'kill');
      const orphaned = readLeases(dataDir).filter((lease) => pidOf(lease.owner) === pids[victim]);
      const takenAt = await leasesAllHeldBy(pids[survivor], LEASE_MS + SCAN_MS + 4_000, 'after the SIGKILL');
      figures.push(
        `SIGKILL of ${NAMES[victim]} (held ${orphaned.length}): all leases with ${NAMES[survivor]} after ${takenAt - killedAt} ms`,
      );
      expect(orphaned.length).toBeGreaterThan(0);
      // Within a lease and a scan (and slack for a busy machine)...
      expect(takenAt - killedAt).toBeLessThanOrEqual(LEASE_MS + SCAN_MS + 2_000);
      // ...but not before the lease ran out: nothing was sent for those subscriptions until then.
      for (const lease of orphaned) {
        const receiver = receivers[hooks.findIndex((hook) => hook.id === lease.id)];
        await receiver.waitFor(
          (requests) => requests.some((r) => r.receivedAt > takenAt),
          10_000,
          `a request after the takeover of ${lease.id}`,
        );
        const firstAfter = receiver.requests.find((r) => r.receivedAt > killedAt + 100);
        expect({ id: lease.id, sentBeforeLeaseEnded: (firstAfter?.receivedAt as number) < (lease.until as number) }).toEqual({
          id: lease.id,
          sentBeforeLeaseEnded: false,
        });
      }
      await sleep(1_500);

      // The killed instance starts again (same port and settings); both write again.
      const restarted = await start(victim);
      await sleep(2_500);
      // The survivor renewed its leases all along: the newcomer took none.
      expect(readLeases(dataDir).map((lease) => pidOf(lease.owner))).toEqual(SUBSCRIPTIONS.map(() => pids[survivor]));

      // SIGTERM the holder: it hands its leases back as it stops, the restarted instance takes them at its next scan.
      const stoppedAt = Date.now();
      await end(survivor, 'stop');
      const exitedAt = Date.now();
      const leftBehind = readLeases(dataDir).filter((lease) => pidOf(lease.owner) === pids[survivor]);
      const handedAt = await leasesAllHeldBy(restarted.pid as number, LEASE_MS + SCAN_MS + 4_000, 'after the SIGTERM');
      figures.push(
        `SIGTERM of ${NAMES[survivor]}: exited after ${exitedAt - stoppedAt} ms, leases left held ${leftBehind.length}, ` +
          `all with ${NAMES[victim]} (restarted) ${handedAt - exitedAt} ms after the exit`,
      );
      expect(leftBehind).toEqual([]);
      expect(handedAt - exitedAt).toBeLessThanOrEqual(SCAN_MS + 1_500);
      await sleep(2_000);
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${outputs()}`);
    } finally {
      await load.stop();
    }
    loadCompleted = true;

    // The load went through both instances, and no command was answered with a 5xx.
    const acknowledgedBy = ports.map((port) => load.acknowledgedBy.get(`http://127.0.0.1:${port}`) ?? 0);
    expect(acknowledgedBy.map((n) => n > 20)).toEqual([true, true]);
    expect(load.notAcknowledged().filter((label) => / 5\d\d/.test(label))).toEqual([]);
  }, 150_000);

  it(
    'each subscription: never two requests in flight, every wanted event delivered, first deliveries in log order, signed, bodies as built',
    async () => {
      if (!loadCompleted) throw new Error('the load phase did not complete (see the first failure): nothing to check');
      log = new LogReader(dataDir);
      const wanted: RecordedEvent[][] = [];
      for (const [i, spec] of SUBSCRIPTIONS.entries()) {
        try {
          wanted.push(await waitForEveryEvent(log, receivers[i].requests, hooks[i].checkpoint, spec.wants, DELIVERY_WAIT_MS, spec.name));
        } catch (error) {
          throw new Error(`${error instanceof Error ? error.message : String(error)}\n${outputs()}`);
        }
      }
      await sleep(500);
      for (const [i, spec] of SUBSCRIPTIONS.entries()) {
        const events = wanted[i];
        const audit = auditDeliveries(receivers[i].requests, events, hooks[i].secret);
        audits.push([spec.name, audit]);
        process.stderr.write(`webhooks-instances: ${describeAudit(spec.name, audit)}, most in flight ${receivers[i].maxInFlight()}\n`);
        const name = spec.name;
        expect(events.length).toBeGreaterThan(50);
        expect({ name, maxInFlight: receivers[i].maxInFlight(), overlaps: audit.overlaps }).toEqual({ name, maxInFlight: 1, overlaps: [] });
        expect({ name, missing: audit.missing, unwanted: audit.unwanted }).toEqual({ name, missing: [], unwanted: [] });
        expect({ name, outOfOrder: audit.outOfOrder }).toEqual({ name, outOfOrder: [] });
        expect({ name, first: audit.firstDeliveries }).toEqual({ name, first: events.map((event) => event.position) });
        expect({ name, bodyMismatches: audit.bodyMismatches, unverified: audit.unverified }).toEqual({
          name,
          bodyMismatches: [],
          unverified: [],
        });
      }
    },
    DELIVERY_WAIT_MS * SUBSCRIPTIONS.length + 30_000,
  );
});
