/**
 * The crash suite's load: async workers, one per agent and a few for customers and supervisors,
 * each choosing (from its own seeded random stream) a command that fits the conversation as its
 * stream says it is now (GET /api/conversations/:id), so most commands are possible and every
 * kind of command is sent: open, pick, assign (pushed and forced by a supervisor), accept,
 * reject, end, close-session, release, transfer to a queue and to an agent, resolve, revive,
 * customer and agent messages, agent and customer disconnect / reconnect, consult and its end,
 * monitor, force-close, presence. A command whose outcome is unknown (connection cut by a kill,
 * timeout) and that carried an Idempotency-Key is sent once more with the same key, as a client
 * would after a failure.
 */
import { between, derivedRandom, pickOne, weighted, type Random } from './random';
import type { CrashClient, CommandRequest, CrashableService } from './crashable-service';

export interface AgentSpec {
  id: string;
  capacity: number;
  queueIds: string[];
}

export interface LoadSettings {
  seed: number;
  pickQueue: string;
  pushQueue: string;
  agents: AgentSpec[];
  channels: ReadonlyArray<readonly [string, number]>;
  /** The customer workers open conversations while fewer than this many are known not to be closed. */
  liveTarget: number;
  customerWorkers: number;
  /** Workers per agent (an agent working in several tabs): more commands in flight when a kill comes. */
  workersPerAgent: number;
  /** Upper bound of the pause between two steps of a worker, ms. */
  maxPauseMs: number;
  /** Every worker stops after this many steps, whatever happens. */
  maxStepsPerWorker: number;
}

/** What GET /api/conversations/:id answers (the fields the workers look at). */
interface ConversationNow {
  id: string;
  status: 'open' | 'active' | 'waiting' | 'wrap_up' | 'closed';
  channel: string;
  queueId: string;
  agentId?: string;
  assignment?: 'awaiting_acceptance' | 'accepted';
  agentConnected?: boolean;
  customerConnected: boolean;
  consultants?: string[];
  revision: number;
}

interface Choice {
  action: string;
  path: string;
  body: unknown;
}

const ASYNC_CHANNELS = ['sms', 'social', 'teams', 'persistent_chat'];
const SUPERVISORS = ['sup-1', 'sup-2'];

export class Load {
  /** Conversation ids opened (acknowledged), in order. */
  readonly opened: string[] = [];
  private readonly closed = new Set<string>();
  private readonly holdings = new Map<string, Set<string>>();
  /** Live chats whose customer was disconnected by a customer worker: some are reconnected. */
  private readonly customersGone: string[] = [];
  private stopped = false;
  private running?: Promise<void>;
  private opening = 0;
  private keys = 0;
  private opens = 0;
  unknownOutcomes = 0;
  retriesAfterUnknown = 0;
  steps = 0;

  constructor(
    private readonly settings: LoadSettings,
    private readonly client: CrashClient,
    private readonly service: CrashableService,
  ) {
    for (const agent of settings.agents) this.holdings.set(agent.id, new Set());
  }

  /** Starts every worker; they run until stop() (or their step bound). */
  start(): void {
    if (this.running) throw new Error('the load is already running');
    const workers = [
      ...this.settings.agents.flatMap((agent) =>
        Array.from({ length: this.settings.workersPerAgent }, (_, tab) =>
          this.worker(`agent:${agent.id}:${tab}`, (random) => this.agentStep(agent.id, random)),
        ),
      ),
      ...Array.from({ length: this.settings.customerWorkers }, (_, i) =>
        this.worker(`customer:${i}`, (random) => this.customerStep(`customer:${i}`, random)),
      ),
    ];
    this.running = Promise.all(workers).then(() => undefined);
  }

  /** Stops the workers and waits for their last request (each is bounded by the request timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async worker(name: string, step: (random: Random) => Promise<void>): Promise<void> {
    const random = derivedRandom(this.settings.seed, name);
    for (let i = 0; i < this.settings.maxStepsPerWorker && !this.stopped && !this.service.isAborted; i++) {
      this.steps += 1;
      await step(random);
      await pause(between(random, 0, this.settings.maxPauseMs));
    }
  }

  /** Sends a command; when its outcome is unknown and it had a key, once more with the same key. */
  private async send(worker: string, random: Random, stream: string, choice: Choice): Promise<void> {
    // Most commands carry a key (unique in the run), as a client that retries would send.
    const idempotencyKey = random() < 0.75 ? `k-${this.settings.seed}-${(this.keys += 1)}` : undefined;
    const request: CommandRequest = { worker, action: choice.action, path: choice.path, body: choice.body, stream, idempotencyKey };
    const outcome = await this.client.command(request);
    if (outcome.kind === 'answered') {
      if (choice.action === 'open' && outcome.statusCode === 201) this.opened.push((choice.body as { id: string }).id);
      if (choice.action === 'customer-disconnect' && outcome.statusCode === 200)
        this.customersGone.push(stream.slice('conversation-'.length));
      return;
    }
    this.unknownOutcomes += 1;
    if (idempotencyKey === undefined || this.stopped) return;
    this.retriesAfterUnknown += 1;
    const retried = await this.client.command(request, true);
    if (retried.kind === 'answered' && choice.action === 'open' && retried.statusCode === 201) {
      this.opened.push((choice.body as { id: string }).id);
    } else if (retried.kind === 'unknown') {
      this.unknownOutcomes += 1;
    }
  }

  private live(): string[] {
    return this.opened.filter((id) => !this.closed.has(id));
  }

  private async read(id: string): Promise<ConversationNow | undefined> {
    const answer = await this.client.get(`/api/conversations/${id}`);
    if (!answer || answer.statusCode !== 200) return undefined;
    const now = answer.body as ConversationNow;
    if (now.status === 'closed') this.closed.add(id);
    for (const [agentId, items] of this.holdings) {
      if (now.agentId === agentId && now.status !== 'closed') items.add(id);
      else items.delete(id);
    }
    return now;
  }

  private async agentStep(me: string, random: Random): Promise<void> {
    const roll = random();
    if (roll < 0.04) {
      const presence = weighted(random, [
        ['available', 6],
        ['busy', 2],
        ['busy_dnd', 1],
        ['away', 1],
      ] as const);
      await this.send(`agent:${me}`, random, `agent-${me}`, { action: 'presence', path: `/api/agents/${me}/presence`, body: { presence } });
      return;
    }
    if (roll < 0.12) {
      // What the agent's stream says it holds (pushes from routing included).
      const answer = await this.client.get(`/api/agents/${me}`);
      if (answer?.statusCode === 200) {
        for (const claim of answer.body.claims as Array<{ conversationId: string }>) this.holdings.get(me)?.add(claim.conversationId);
      }
      return;
    }
    const mine = [...(this.holdings.get(me) ?? [])];
    const live = this.live();
    const id = mine.length > 0 && random() < 0.65 ? pickOne(random, mine) : live.length > 0 ? pickOne(random, live.slice(-40)) : undefined;
    if (id === undefined) return;
    const now = await this.read(id);
    if (!now) return;
    const choice = this.agentChoice(me, now, random);
    if (choice) await this.send(`agent:${me}`, random, `conversation-${id}`, choice);
  }

  private agentChoice(me: string, now: ConversationNow, random: Random): Choice | undefined {
    const at = `/api/conversations/${now.id}`;
    const others = this.settings.agents.map((agent) => agent.id).filter((id) => id !== me);
    const otherQueue = now.queueId === this.settings.pickQueue ? this.settings.pushQueue : this.settings.pickQueue;
    const monitor = (): Choice => ({ action: 'monitor', path: `${at}/monitor`, body: { supervisorId: pickOne(random, SUPERVISORS) } });
    switch (now.status) {
      case 'open':
        return random() < 0.85 ? { action: 'pick', path: `${at}/pick`, body: { agentId: me } } : monitor();
      case 'active': {
        if (now.agentId !== me) {
          if (now.consultants?.includes(me)) return { action: 'consult-end', path: `${at}/consult-end`, body: { consultantId: me } };
          return random() < 0.2 ? monitor() : undefined;
        }
        if (now.assignment === 'awaiting_acceptance') {
          return random() < 0.75
            ? { action: 'accept', path: `${at}/accept`, body: { agentId: me } }
            : { action: 'reject', path: `${at}/reject`, body: { agentId: me, ...(random() < 0.5 ? { reason: 'too_busy' } : {}) } };
        }
        if (now.agentConnected === false) return { action: 'agent-reconnect', path: `${at}/agent-reconnect`, body: { agentId: me } };
        const record = now.channel === 'record';
        const sessionClosable = now.channel === 'live_chat' || ASYNC_CHANNELS.includes(now.channel);
        const consultants = now.consultants ?? [];
        const choices: Array<readonly [() => Choice, number]> = [
          [() => ({ action: 'agent-message', path: `${at}/messages`, body: { from: 'agent', agentId: me } }), 12],
          [() => ({ action: 'release', path: `${at}/release`, body: { agentId: me } }), 5],
          [() => ({ action: 'transfer-queue', path: `${at}/transfer`, body: { agentId: me, toQueueId: otherQueue } }), 5],
          [() => ({ action: 'transfer-agent', path: `${at}/transfer`, body: { agentId: me, toAgentId: pickOne(random, others) } }), 6],
          [() => ({ action: 'consult', path: `${at}/consult`, body: { agentId: me, consultantId: pickOne(random, others) } }), 5],
        ];
        if (record) choices.push([() => ({ action: 'resolve', path: `${at}/resolve`, body: { agentId: me } }), 20]);
        else {
          choices.push([() => ({ action: 'end-by-agent', path: `${at}/end`, body: { by: 'agent', agentId: me } }), 16]);
          choices.push([() => ({ action: 'agent-disconnect', path: `${at}/agent-disconnect`, body: { agentId: me } }), 4]);
        }
        if (sessionClosable) choices.push([() => ({ action: 'close-session', path: `${at}/close-session`, body: { agentId: me } }), 10]);
        if (consultants.length > 0) {
          choices.push([
            () => ({ action: 'consult-end', path: `${at}/consult-end`, body: { consultantId: pickOne(random, consultants) } }),
            6,
          ]);
        }
        return weighted(random, choices)();
      }
      case 'waiting':
        if (now.agentId !== me) return undefined;
        return random() < 0.6
          ? { action: 'revive', path: `${at}/revive`, body: { agentId: me } }
          : { action: 'agent-message', path: `${at}/messages`, body: { from: 'agent', agentId: me } };
      case 'wrap_up':
        return now.agentId === me ? { action: 'close-session', path: `${at}/close-session`, body: { agentId: me } } : undefined;
      default:
        return undefined;
    }
  }

  private async customerStep(worker: string, random: Random): Promise<void> {
    const live = this.live();
    if (live.length + this.opening < this.settings.liveTarget && random() < 0.5) {
      const id = `cc-${this.settings.seed}-${(this.opens += 1)}`;
      const channel = weighted(random, this.settings.channels);
      const queueId = random() < 0.5 ? this.settings.pickQueue : this.settings.pushQueue;
      this.opening += 1;
      try {
        await this.send(worker, random, `conversation-${id}`, {
          action: 'open',
          path: '/api/conversations',
          body: { id, channel, queueId, customerId: `cust-${id}`, ...(random() < 0.3 ? { priority: Math.floor(random() * 10) } : {}) },
        });
      } finally {
        this.opening -= 1;
      }
      return;
    }
    const gone = this.customersGone.length > 0 && random() < 0.4 ? this.customersGone.shift() : undefined;
    if (live.length === 0 && gone === undefined) return;
    const now = await this.read(gone ?? pickOne(random, live.slice(-40)));
    if (!now || now.status === 'closed') return;
    const reconnect = gone !== undefined && !now.customerConnected && (now.status === 'open' || now.status === 'active');
    const choice: Choice | undefined = reconnect
      ? { action: 'customer-reconnect', path: `/api/conversations/${now.id}/customer-reconnect`, body: {} }
      : this.customerChoice(now, random);
    if (choice) await this.send(worker, random, `conversation-${now.id}`, choice);
  }

  private customerChoice(now: ConversationNow, random: Random): Choice | undefined {
    const at = `/api/conversations/${now.id}`;
    const supervisorId = pickOne(random, SUPERVISORS);
    const liveChatOnLine = now.channel === 'live_chat' && (now.status === 'open' || now.status === 'active');
    const choices: Array<readonly [() => Choice, number]> = [
      [() => ({ action: 'monitor', path: `${at}/monitor`, body: { supervisorId } }), 6],
      [() => ({ action: 'force-close', path: `${at}/close`, body: { supervisorId, reason: 'crash_suite_cleanup' } }), 3],
    ];
    if (now.status !== 'wrap_up')
      choices.push([() => ({ action: 'customer-message', path: `${at}/messages`, body: { from: 'customer' } }), 18]);
    if (now.status === 'open') {
      const agentId = pickOne(random, this.settings.agents).id;
      choices.push([() => ({ action: 'assign-forced', path: `${at}/assign`, body: { agentId, force: true, supervisorId } }), 8]);
      choices.push([() => ({ action: 'assign-offered', path: `${at}/assign`, body: { agentId, supervisorId } }), 5]);
    }
    if (liveChatOnLine) {
      choices.push(
        now.customerConnected
          ? [() => ({ action: 'customer-disconnect', path: `${at}/customer-disconnect`, body: {} }), 6]
          : [() => ({ action: 'customer-reconnect', path: `${at}/customer-reconnect`, body: {} }), 6],
      );
      choices.push([() => ({ action: 'end-by-customer', path: `${at}/end`, body: { by: 'customer' } }), 4]);
    }
    return weighted(random, choices)();
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
