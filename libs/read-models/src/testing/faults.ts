/** Test-only: ways to make a batch fail at a chosen point, to show nothing is lost or applied twice. */
import type { RecordedEvent } from '@lib/event-store';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import type { ReadModelDatabase } from '../database/read-model-database';
import type { Projection } from '../projections/projection';

const isCommit = (node: RootOperationNode): boolean =>
  node.kind === 'RawNode' && node.sqlFragments.join('').trim().toUpperCase() === 'COMMIT';

/**
 * Fails chosen COMMITs. `before`: the COMMIT is not sent, the transaction is rolled back (a
 * crash after the rows were written, before they were committed). `after`: the COMMIT
 * succeeds but the caller hears an error (a connection lost on the way back).
 */
export class FailingCommitPlugin implements KyselyPlugin {
  commits = 0;
  private readonly failingAfter = new WeakSet<QueryId>();

  constructor(
    private readonly shouldFail: (commitNumber: number) => boolean,
    private readonly when: 'before' | 'after',
    private readonly onFailure: () => void = () => undefined,
  ) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (isCommit(args.node)) {
      this.commits += 1;
      if (this.shouldFail(this.commits)) {
        this.onFailure();
        if (this.when === 'before') throw new Error(`injected failure before commit #${this.commits}`);
        this.failingAfter.add(args.queryId);
      }
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.failingAfter.has(args.queryId)) throw new Error('injected failure after a successful commit');
    return args.result;
  }
}

/** The same database seen through a plugin (shares the connection; destroy the original). */
export const withPlugin = (database: ReadModelDatabase, plugin: KyselyPlugin): ReadModelDatabase => ({
  ...database,
  db: database.db.withPlugin(plugin),
});

/** Applies for real, then throws when `shouldThrow` says so: a failure after the rows were written. */
export function throwingAfterApply(
  inner: Projection,
  shouldThrow: (call: number, events: readonly RecordedEvent[]) => boolean,
): Projection & { calls: number } {
  const wrapper = {
    name: inner.name,
    calls: 0,
    async apply(trx: Parameters<Projection['apply']>[0], events: readonly RecordedEvent[]) {
      wrapper.calls += 1;
      await inner.apply(trx, events);
      if (shouldThrow(wrapper.calls, events)) throw new Error(`injected failure after apply (call ${wrapper.calls})`);
    },
  };
  return wrapper;
}

/** Refuses any batch containing the event at `position` (the way a projection bug on one event shows). */
export function refusingPosition(inner: Projection, position: () => number): Projection {
  return {
    name: inner.name,
    async apply(trx, events) {
      const bad = events.find((event) => event.position === position());
      if (bad !== undefined) throw new Error(`cannot project ${bad.type}: unsupported shape`);
      await inner.apply(trx, events);
    },
  };
}
