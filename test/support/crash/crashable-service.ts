/**
 * One service at a time over one DATA_DIR that the crash suite kills (SIGKILL) and starts again
 * at the same address, and the HTTP client the load goes through: plain fetch with a short
 * per-request timeout, waiting while the service is down, recording every acknowledged (2xx)
 * command with what its answer said.
 */
import { startServiceProcess, type ServiceProcess } from '../service-process';
import type { JsonBody } from '../start-app';

/** How long one request may take before its outcome counts as unknown. */
export const REQUEST_TIMEOUT_MS = 3_000;
const START_TIMEOUT_MS = 45_000;

export class CrashableService {
  private current?: ServiceProcess;
  private port?: number;
  private ready: Promise<void>;
  private openGate: () => void = () => undefined;
  private aborted = false;
  /** Outputs of the processes that ended (killed or stopped), for a failure's message. */
  private readonly earlierOutputs: string[] = [];
  /** Which process is (or was last) serving: 0 for the first, +1 for each restart. */
  generation = -1;
  kills = 0;
  /** Wall time spent starting processes (until /health answered 200). */
  startMs = 0;

  constructor(private readonly env: Record<string, string>) {
    this.ready = new Promise((resolve) => (this.openGate = resolve));
  }

  get base(): string {
    if (!this.current) throw new Error('the service is not started');
    return this.current.base;
  }

  /** Resolves once a process answers (at once when one does); also once the run is aborted. */
  whenUp(): Promise<void> {
    return this.ready;
  }

  get isAborted(): boolean {
    return this.aborted;
  }

  /** Starts a process (the first, or the next after a kill or stop) with these settings on top of the base ones. */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    if (this.current) throw new Error('a process is already running');
    this.generation += 1;
    const began = Date.now();
    const started = await startServiceProcess(`crash-${this.generation}`, { ...this.env, ...extraEnv }, START_TIMEOUT_MS, {
      port: this.port,
    });
    this.startMs += Date.now() - began;
    this.current = started;
    this.port = started.port;
    this.openGate();
  }

  /**
   * SIGKILL the running process: no shutdown hook, requests in flight are cut. Throws when it
   * had already ended on its own (a crash the suite did not cause, or a signal from outside it).
   */
  async kill(): Promise<void> {
    const ended = this.current?.exitStatus();
    if (ended) {
      throw new Error(
        `process crash-${this.generation} ended on its own (${ended.signal ?? `exit code ${ended.code}`}) before the suite killed it`,
      );
    }
    const victim = this.closeGate();
    await victim.kill();
    this.kills += 1;
    this.earlierOutputs.push(`--- crash-${this.generation} (killed)\n${victim.output()}`);
  }

  /** SIGTERM the running process and wait for it to exit. */
  async stop(): Promise<void> {
    if (!this.current) return;
    const ended = this.current.exitStatus();
    const stopped = this.closeGate();
    if (ended) {
      this.earlierOutputs.push(`--- crash-${this.generation} (ended on its own: ${ended.signal ?? ended.code})\n${stopped.output()}`);
      throw new Error(
        `process crash-${this.generation} ended on its own (${ended.signal ?? `exit code ${ended.code}`}) before the suite stopped it`,
      );
    }
    await stopped.stop();
    this.earlierOutputs.push(`--- crash-${this.generation} (stopped)\n${stopped.output()}`);
  }

  /** Ends the run: whoever waits for the service is released (and sees isAborted). */
  abort(): void {
    this.aborted = true;
    this.openGate();
  }

  /** The end of every process's output so far (for a failure's message). */
  outputTail(chars = 4_000): string {
    const all = [...this.earlierOutputs, this.current ? `--- crash-${this.generation} (running)\n${this.current.output()}` : ''].join('\n');
    return all.length > chars ? all.slice(all.length - chars) : all;
  }

  /** Everything every process wrote so far. */
  outputs(): string {
    return [...this.earlierOutputs, this.current ? this.current.output() : ''].join('\n');
  }

  private closeGate(): ServiceProcess {
    const running = this.current;
    if (!running) throw new Error('no process is running');
    this.current = undefined;
    if (!this.aborted) this.ready = new Promise((resolve) => (this.openGate = resolve));
    return running;
  }
}

/** What one HTTP request came back with: an answer, or nothing known (connection cut, timeout). */
export type Outcome =
  | { kind: 'answered'; statusCode: number; body: JsonBody; replayed: boolean; generation: number }
  | { kind: 'unknown'; reason: string; generation: number };

/** An acknowledged (2xx) command and what its answer said. */
export interface Ack {
  seq: number;
  worker: string;
  /** The process that answered. */
  generation: number;
  action: string;
  path: string;
  body: unknown;
  /** The stream the command targeted: conversation-<id>, agent-<id> or queue-<id>. */
  stream: string;
  statusCode: number;
  revision: number;
  /** Absent when the command wrote nothing (an agent's presence set to what it already was). */
  position?: number;
  /** The conversation's status, or the agent's presence, as answered. */
  status?: string;
  idempotencyKey?: string;
  /** Answered `Idempotent-Replayed: true`: the original write's result. */
  replayed: boolean;
  /** Sent again with the same key after an attempt whose outcome was unknown. */
  retryAfterUnknown: boolean;
}

export interface CommandRequest {
  worker: string;
  action: string;
  path: string;
  body: unknown;
  stream: string;
  idempotencyKey?: string;
}

/** Extra headers for one request (e.g. an Authorization naming the principal its body claims). */
export type HeadersFor = (method: 'GET' | 'POST', path: string, body: unknown) => Promise<Record<string, string>> | Record<string, string>;

export class CrashClient {
  readonly acks: Ack[] = [];
  /** `<action> <statusCode> <code>` -> how many answers; `<action> unknown` for no answer. */
  readonly tally = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly service: CrashableService,
    private readonly headersFor: HeadersFor = () => ({}),
  ) {}

  /** GET, waiting while the service is down; undefined when no answer came. */
  async get(path: string): Promise<{ statusCode: number; body: JsonBody } | undefined> {
    const outcome = await this.request('GET', path);
    return outcome.kind === 'answered' ? outcome : undefined;
  }

  /** POST a command; a 2xx answer is recorded as acknowledged. */
  async command(request: CommandRequest, retryAfterUnknown = false): Promise<Outcome> {
    const outcome = await this.request('POST', request.path, request.body, request.idempotencyKey);
    const label =
      outcome.kind === 'answered'
        ? `${request.action} ${outcome.statusCode} ${outcome.body?.code ?? ''}`.trim()
        : `${request.action} unknown`;
    this.tally.set(label, (this.tally.get(label) ?? 0) + 1);
    if (outcome.kind === 'answered' && outcome.statusCode >= 200 && outcome.statusCode < 300) {
      const body = outcome.body ?? {};
      this.acks.push({
        seq: this.seq++,
        worker: request.worker,
        generation: outcome.generation,
        action: request.action,
        path: request.path,
        body: request.body,
        stream: request.stream,
        statusCode: outcome.statusCode,
        revision: body.revision,
        position: body.position ?? undefined,
        status: body.status ?? body.presence,
        idempotencyKey: request.idempotencyKey,
        replayed: outcome.replayed,
        retryAfterUnknown,
      });
    }
    return outcome;
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<Outcome> {
    await this.service.whenUp();
    const generation = this.service.generation;
    if (this.service.isAborted) return { kind: 'unknown', reason: 'aborted', generation };
    let base: string;
    try {
      base = this.service.base;
    } catch {
      return { kind: 'unknown', reason: 'down', generation };
    }
    const headers: Record<string, string> = { ...(await this.headersFor(method, path, body)) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return {
        kind: 'answered',
        statusCode: response.status,
        body: parsed,
        replayed: response.headers.get('idempotent-replayed') === 'true',
        generation,
      };
    } catch (error) {
      return { kind: 'unknown', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error), generation };
    }
  }
}
