import { requireNextRevision, type StoredEvent } from '@lib/domain';
import { IdempotencyMismatchError, WrongExpectedRevisionError, type EventStore, type NewEvent } from '@lib/event-store';
import { deterministicUuid } from './deterministic-id';
import { KeyedBatcher, type Settled } from './keyed-batcher';
import { KeyedSerializer } from './keyed-serializer';
import { LruCache } from './lru-cache';

/** What the loop needs of one kind of aggregate (conversation, agent, queue). */
export interface AggregateKind<C, E extends { type: string; data: unknown }, S> {
  streamOf(id: string): string;
  initialState(): S;
  decode(stored: StoredEvent): E;
  evolve(state: S, event: E): S;
  /** The domain's decider: the events to append, none when nothing changes, or a refusal thrown. */
  decide(command: C, state: S, id: string): E[];
  /** What a repeat of the request must match (the time a command was sent is not part of the request). */
  fingerprint(command: C): string;
  /** A refusal by the domain, as opposed to a failure: on a cached state it is checked again on the stream. */
  isRefusal(error: unknown): boolean;
  /** A command that only starts a stream: a stream this process has not seen is assumed new (the append checks it). */
  startsStream?(command: C): boolean;
  /** The state's status, kept as the answer to a command id. */
  statusOf(state: S): string;
  errors: {
    /** Every attempt lost the race for the stream: the caller may retry. */
    exhausted(id: string, attempts: number): Error;
    /** The caller pinned a revision the stream has moved on from. */
    revisionMismatch(id: string, expected: number, actual: number): Error;
    /** A command id came back with another command. */
    commandIdReused(id: string, commandId: string): Error;
  };
}

export interface CommandLoopPolicy {
  maxAttempts: number;
  /** Upper bound of the random pause before attempt n is n * this. */
  baseDelayMs: number;
  /** How many streams' state this process keeps between commands. */
  cachedStreams: number;
}

/** What a command answered, kept so a repeated command id gets the same answer. */
export interface RecordedCommand {
  fingerprint: string;
  status: string;
  revision: number;
  position: number;
}

/** A stream folded up to `revision` (-1: empty), with the commands that wrote its events. */
export interface StreamState<S> {
  state: S;
  revision: number;
  commands: ReadonlyMap<string, RecordedCommand>;
}

/** One attempt's decision, before its append. */
export interface Decided<C, E, S> {
  command: C;
  before: StreamState<S>;
  events: E[];
  after: S;
}

export type AppendOutcome = { written: true; revision: number; position: number; eventIds: string[] } | { written: false };

export interface CommandRun<C, E, S> {
  command: C;
  /** Makes the command safe to repeat: event ids derive from it, and a repeat gets the first answer. */
  commandId?: string;
  /** The revision the caller decided on (If-Match): a conflict is answered, not retried. */
  expectedRevision?: number;
  /** Recorded on every event, besides the command id, fingerprint and the event's index. */
  metadata?: Record<string, unknown>;
  /** Work the write depends on, after the decision and before its append; refuses by throwing. */
  beforeAppend?(decided: Decided<C, E, S>): Promise<void>;
  /** Errors of beforeAppend that, on a cached state, mean: read the stream and decide again. */
  isStaleRefusal?(error: unknown): boolean;
  /** The store's answer to the append. Not called when the store failed without saying whether it wrote. */
  afterAppend?(decided: Decided<C, E, S>, outcome: AppendOutcome): Promise<void>;
}

export interface CommandOutcome<E, S> {
  state: S;
  revision: number;
  /** What this command wrote; empty when it changed nothing or repeated an earlier command. */
  events: E[];
  /** Global position of the last event written (or of the write a repeat found). */
  position?: number;
  /** The earlier answer, when the command id had been handled before. */
  repeated?: RecordedCommand;
}

/**
 * The one way commands reach a stream: load (from this process's cache, else the stream's tail),
 * decide, append with the expected revision; on a conflict re-read and decide again, with a
 * bounded jittered pause, unless the caller pinned the revision. A refusal or a no-op decided on
 * a cached state is checked once more on the stream, since another process may have written.
 * Commands to one stream run one at a time in this process; plain commands (no id, no pinned
 * revision, no work around the append) that wait for a busy stream are decided in turn and
 * appended together, so a hot stream (one agent's) commits many commands per write.
 */
export class CommandLoop<C, E extends { type: string; data: unknown }, S> {
  private readonly perStream = new KeyedSerializer();
  private readonly cache: LruCache<StreamState<S>>;
  private readonly plainCommands: KeyedBatcher<CommandRun<C, E, S>, CommandOutcome<E, S>>;

  constructor(
    private readonly store: EventStore,
    private readonly kind: AggregateKind<C, E, S>,
    private readonly policy: CommandLoopPolicy,
  ) {
    this.cache = new LruCache(policy.cachedStreams);
    this.plainCommands = new KeyedBatcher(this.perStream, MAX_COMMANDS_PER_APPEND, (id, runs) => this.attemptTogether(id, runs));
  }

  /** Runs `run` on stream `id`; `whenDone` runs after it in the same turn, whatever came of it. */
  execute(id: string, run: CommandRun<C, E, S>, whenDone?: () => Promise<void>): Promise<CommandOutcome<E, S>> {
    if (whenDone === undefined && isPlain(run)) return this.plainCommands.submit(id, run);
    return this.perStream.run(id, async () => {
      try {
        return await this.attempt(id, run);
      } finally {
        await whenDone?.();
      }
    });
  }

  /** The stream as it is now, after every command of this process on it. */
  load(id: string): Promise<StreamState<S>> {
    return this.perStream.run(id, () => this.read(id));
  }

  /** The stream as it is now: the cached state caught up with the stream's tail. */
  async read(id: string): Promise<StreamState<S>> {
    const known = this.cache.get(id) ?? this.empty();
    const tail = await this.store.readStream(this.kind.streamOf(id), { fromRevision: known.revision + 1 });
    if (tail.length === 0) return known;
    let { state, revision } = known;
    const commands = new Map(known.commands);
    for (const stored of tail) {
      requireNextRevision(stored, revision);
      state = this.kind.evolve(state, this.kind.decode(stored));
      revision = stored.revision;
      const { commandId, commandFingerprint } = stored.metadata as { commandId?: unknown; commandFingerprint?: unknown };
      if (typeof commandId === 'string' && typeof commandFingerprint === 'string') {
        commands.set(commandId, {
          fingerprint: commandFingerprint,
          status: this.kind.statusOf(state),
          revision,
          position: stored.position,
        });
      }
    }
    const caughtUp = { state, revision, commands };
    this.cache.set(id, caughtUp);
    return caughtUp;
  }

  private async attempt(id: string, run: CommandRun<C, E, S>): Promise<CommandOutcome<E, S>> {
    const { kind, policy } = this;
    const stream = kind.streamOf(id);
    const commandFingerprint = kind.fingerprint(run.command);
    let mustRead = false;
    for (let attempt = 1; ; attempt++) {
      // Every path back to the top re-reads the stream, so this bound is only a safety net.
      if (attempt > policy.maxAttempts + 2) throw kind.errors.exhausted(id, attempt - 1);
      const cached = mustRead
        ? undefined
        : (this.cache.get(id) ?? (attempt === 1 && kind.startsStream?.(run.command) ? this.empty() : undefined));
      const current = cached ?? (await this.read(id));
      mustRead = false;

      if (run.commandId !== undefined) {
        const earlier = current.commands.get(run.commandId);
        if (earlier) {
          if (earlier.fingerprint !== commandFingerprint) throw kind.errors.commandIdReused(id, run.commandId);
          return { state: current.state, revision: current.revision, events: [], position: earlier.position, repeated: earlier };
        }
      }
      if (run.expectedRevision !== undefined && run.expectedRevision !== current.revision) {
        if (!cached) throw kind.errors.revisionMismatch(id, run.expectedRevision, current.revision);
        mustRead = true;
        continue;
      }

      let events: E[];
      try {
        events = kind.decide(run.command, current.state, id);
      } catch (error) {
        if (!cached || !kind.isRefusal(error)) throw error;
        mustRead = true;
        continue;
      }
      if (events.length === 0) {
        if (!cached) return { state: current.state, revision: current.revision, events };
        mustRead = true;
        continue;
      }
      const decided: Decided<C, E, S> = { command: run.command, before: current, events, after: events.reduce(kind.evolve, current.state) };
      try {
        await run.beforeAppend?.(decided);
      } catch (error) {
        if (!cached || !run.isStaleRefusal?.(error)) throw error;
        mustRead = true;
        continue;
      }

      const toAppend = this.toAppend(stream, run, current.revision, commandFingerprint, events);
      let appended;
      try {
        appended = await this.store.appendToStream(stream, toAppend, {
          expectedRevision: current.revision === -1 ? 'no_stream' : current.revision,
        });
      } catch (error) {
        const conflict = error instanceof WrongExpectedRevisionError;
        if (!conflict && !(error instanceof IdempotencyMismatchError)) throw error;
        await run.afterAppend?.(decided, { written: false });
        mustRead = true;
        // Decided on a stale state, a repeat of an earlier command came out different from what it wrote:
        // the stream, not this cache, knows its answer.
        if (!conflict) {
          if (cached) continue;
          throw error;
        }
        if (run.expectedRevision !== undefined) {
          throw kind.errors.revisionMismatch(id, run.expectedRevision, typeof error.actual === 'number' ? error.actual : -1);
        }
        if (attempt >= policy.maxAttempts) throw kind.errors.exhausted(id, attempt);
        await pause(Math.random() * policy.baseDelayMs * attempt);
        continue;
      }

      if (appended.recognisedRetry || appended.nextExpectedRevision !== current.revision + events.length) {
        // The store recognised these event ids: the same command was written before (by another
        // process, or before a restart). The stream has its answer.
        await run.afterAppend?.(decided, { written: false });
        mustRead = true;
        if (run.commandId !== undefined) continue;
        const now = await this.read(id);
        return { state: now.state, revision: now.revision, events: [], position: appended.position };
      }
      const { nextExpectedRevision: revision, position } = appended;
      const commands =
        run.commandId === undefined
          ? current.commands
          : new Map(current.commands).set(run.commandId, {
              fingerprint: commandFingerprint,
              status: kind.statusOf(decided.after),
              revision,
              position,
            });
      this.cache.set(id, { state: decided.after, revision, commands });
      await run.afterAppend?.(decided, { written: true, revision, position, eventIds: toAppend.map((event) => event.id) });
      return { state: decided.after, revision, events, position };
    }
  }

  /**
   * Plain commands waiting for the stream, as if run one after another: each decided on the
   * state the ones before it leave, their events appended at once with one expected revision.
   * A refusal or a no-op concerns its own command only; decided on a cached state, it sends the
   * whole group back to read the stream first, like a single command. Each command answers the
   * state, revision and position after its own events.
   */
  private async attemptTogether(id: string, runs: CommandRun<C, E, S>[]): Promise<Settled<CommandOutcome<E, S>>[]> {
    const { kind, policy } = this;
    const stream = kind.streamOf(id);
    let mustRead = false;
    for (let attempt = 1; ; attempt++) {
      if (attempt > policy.maxAttempts + 2) throw kind.errors.exhausted(id, attempt - 1);
      const cached = mustRead
        ? undefined
        : (this.cache.get(id) ?? (attempt === 1 && kind.startsStream?.(runs[0].command) ? this.empty() : undefined));
      const current = cached ?? (await this.read(id));
      mustRead = false;

      const decisions = this.decideInTurn(id, runs, current, cached !== undefined);
      if (decisions === 'read the stream') {
        mustRead = true;
        continue;
      }
      const toAppend = decisions.flatMap((decision) =>
        'events' in decision && decision.events.length > 0
          ? this.toAppend(stream, decision.run, decision.revision, kind.fingerprint(decision.run.command), decision.events)
          : [],
      );
      const answers = (positionAt: (revision: number) => number | undefined): Settled<CommandOutcome<E, S>>[] =>
        decisions.map((decision) => {
          if ('error' in decision) return { ok: false, error: decision.error };
          const revision = decision.revision + decision.events.length;
          const value = { state: decision.after, revision, events: decision.events };
          return { ok: true, value: decision.events.length > 0 ? { ...value, position: positionAt(revision) } : value };
        });
      if (toAppend.length === 0) return answers(() => undefined);

      let appended;
      try {
        appended = await this.store.appendToStream(stream, toAppend, {
          expectedRevision: current.revision === -1 ? 'no_stream' : current.revision,
        });
      } catch (error) {
        const conflict = error instanceof WrongExpectedRevisionError;
        if (!conflict && !(error instanceof IdempotencyMismatchError)) throw error;
        mustRead = true;
        if (!conflict) {
          if (cached) continue;
          // Some of the group's events were written by another writer, not all: only one by one
          // can each command learn whether it was the one written before.
          if (runs.length > 1) return this.oneByOne(id, runs);
          throw error;
        }
        if (attempt >= policy.maxAttempts) throw kind.errors.exhausted(id, attempt);
        await pause(Math.random() * policy.baseDelayMs * attempt);
        continue;
      }
      if (appended.recognisedRetry || appended.nextExpectedRevision !== current.revision + toAppend.length) {
        if (runs.length > 1) return this.oneByOne(id, runs);
        // Another writer made this very change at this revision: the stream has the answer.
        const now = await this.read(id);
        return [{ ok: true, value: { state: now.state, revision: now.revision, events: [], position: appended.position } }];
      }
      const final = decisions.reduce<{ state: S; revision: number }>(
        (reached, decision) =>
          'error' in decision ? reached : { state: decision.after, revision: decision.revision + decision.events.length },
        { state: current.state, revision: current.revision },
      );
      this.cache.set(id, { state: final.state, revision: final.revision, commands: current.commands });
      return answers(await this.positionsOfWrite(stream, current.revision, decisions, appended.position));
    }
  }

  /**
   * Each command answers the position of its own last event (what its caller may wait for and
   * what the audit trail shows). The store reports the last position of an append only; when
   * several commands wrote in it, the positions of theirs are read back from the stream.
   */
  private async positionsOfWrite(
    stream: string,
    before: number,
    decisions: ReturnType<CommandLoop<C, E, S>['decideInTurn']>,
    lastPosition: number,
  ): Promise<(revision: number) => number | undefined> {
    const writers = Array.isArray(decisions) ? decisions.filter((decision) => 'events' in decision && decision.events.length > 0) : [];
    if (writers.length <= 1) return () => lastPosition;
    try {
      const written = await this.store.readStream(stream, { fromRevision: before + 1 });
      const positions = new Map(written.map((event) => [event.revision, event.position]));
      return (revision) => positions.get(revision) ?? lastPosition;
    } catch {
      // Written all the same: the group's last position is still one a caller may safely wait for.
      return () => lastPosition;
    }
  }

  /** The group's commands one after another, each with its own append (already holding the stream). */
  private async oneByOne(id: string, runs: CommandRun<C, E, S>[]): Promise<Settled<CommandOutcome<E, S>>[]> {
    const outcomes: Settled<CommandOutcome<E, S>>[] = [];
    for (const run of runs) {
      try {
        outcomes.push({ ok: true, value: await this.attempt(id, run) });
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }

  /** Each command on the state the ones before it leave; 'read the stream' when a cached state may be why one changed nothing. */
  private decideInTurn(
    id: string,
    runs: CommandRun<C, E, S>[],
    current: StreamState<S>,
    cached: boolean,
  ): Array<{ run: CommandRun<C, E, S>; revision: number; events: E[]; after: S } | { error: unknown }> | 'read the stream' {
    const { kind } = this;
    let { state, revision } = current;
    const decisions: Array<{ run: CommandRun<C, E, S>; revision: number; events: E[]; after: S } | { error: unknown }> = [];
    for (const run of runs) {
      let events: E[];
      try {
        events = kind.decide(run.command, state, id);
      } catch (error) {
        if (cached && kind.isRefusal(error)) return 'read the stream';
        decisions.push({ error });
        continue;
      }
      if (events.length === 0 && cached) return 'read the stream';
      const after = events.reduce(kind.evolve, state);
      decisions.push({ run, revision, events, after });
      state = after;
      revision += events.length;
    }
    return decisions;
  }

  /**
   * Event ids are derived, so a repeated command writes nothing twice: from the command id when
   * there is one; otherwise from the revision it was decided on, so two processes making the same
   * change at the same revision write it once.
   */
  private toAppend(stream: string, run: CommandRun<C, E, S>, revision: number, commandFingerprint: string, events: E[]): NewEvent[] {
    const idBase = run.commandId ?? String(revision);
    return events.map((event, index) => ({
      id: deterministicUuid(stream, idBase, commandFingerprint, String(index)),
      type: event.type,
      data: event.data,
      ...(run.commandId !== undefined
        ? { metadata: { commandId: run.commandId, commandFingerprint, eventIndex: index, eventCount: events.length, ...run.metadata } }
        : run.metadata
          ? { metadata: { ...run.metadata } }
          : {}),
    }));
  }

  private empty(): StreamState<S> {
    return { state: this.kind.initialState(), revision: -1, commands: new Map() };
  }
}

/** Bounds one append's size when a stream has many commands waiting. */
const MAX_COMMANDS_PER_APPEND = 64;

/** A command that needs nothing but its own decision and append: it can share an append with others. */
const isPlain = <C, E, S>(run: CommandRun<C, E, S>): boolean =>
  run.commandId === undefined && run.expectedRevision === undefined && !run.beforeAppend && !run.afterAppend;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
