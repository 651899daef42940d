/**
 * The views a service left in DATA_DIR/read-models.sqlite against the same views rebuilt from
 * the log into a fresh database (the library's rebuild, the same one `npm run cli -- rebuild`
 * runs), table by table, row by row.
 */
import { join } from 'node:path';
import type { EventStore } from '@lib/event-store';
import { migrateToLatest, openReadModelDatabase, rebuildReadModels } from '@lib/read-models';
import { checkpointsOf, dumpViews, type ViewDump } from '@lib/read-models/testing/table-dump';

export interface ViewsComparison {
  /** The service's checkpoints, by projection. */
  checkpoints: Record<string, number>;
  /** Rows per table in the service's views. */
  rows: Record<string, number>;
  /** Per table whose rows differ: how many only one side has, and a few of them. */
  differences: Array<{ table: string; onlyInViews: number; onlyInRebuild: number; examples: string[] }>;
}

const diffTable = (table: string, views: Record<string, unknown>[], rebuilt: Record<string, unknown>[]) => {
  const count = (rows: Record<string, unknown>[]) => {
    const counts = new Map<string, number>();
    for (const row of rows) {
      const key = JSON.stringify(row);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };
  const left = count(views);
  const right = count(rebuilt);
  const onlyIn = (a: Map<string, number>, b: Map<string, number>) =>
    [...a].flatMap(([key, n]) => Array.from({ length: Math.max(0, n - (b.get(key) ?? 0)) }, () => key));
  const onlyInViews = onlyIn(left, right);
  const onlyInRebuild = onlyIn(right, left);
  if (onlyInViews.length === 0 && onlyInRebuild.length === 0) return undefined;
  const examples = [
    ...onlyInViews.slice(0, 2).map((row) => `views:   ${row}`),
    ...onlyInRebuild.slice(0, 2).map((row) => `rebuild: ${row}`),
  ];
  return { table, onlyInViews: onlyInViews.length, onlyInRebuild: onlyInRebuild.length, examples };
};

/** Compares the service's views (the service stopped) with a rebuild of `store` into `scratchDir`. */
export const compareViewsWithRebuild = async (viewsFile: string, store: EventStore, scratchDir: string): Promise<ViewsComparison> => {
  const served = await openReadModelDatabase({ kind: 'sqlite', filename: viewsFile });
  let views: ViewDump;
  let checkpoints: Record<string, number>;
  try {
    views = await dumpViews(served);
    checkpoints = await checkpointsOf(served);
  } finally {
    await served.destroy();
  }
  const fresh = await openReadModelDatabase({ kind: 'sqlite', filename: join(scratchDir, 'rebuilt-read-models.sqlite') });
  let rebuilt: ViewDump;
  try {
    await migrateToLatest(fresh);
    await rebuildReadModels(store, fresh, { batchSize: 500 });
    rebuilt = await dumpViews(fresh);
  } finally {
    await fresh.destroy();
  }
  const differences = (Object.keys(rebuilt) as Array<keyof ViewDump>)
    .map((table) => diffTable(table, views[table] ?? [], rebuilt[table]))
    .filter((difference): difference is NonNullable<typeof difference> => difference !== undefined);
  const rows = Object.fromEntries(Object.entries(views).map(([table, list]) => [table, list.length]));
  return { checkpoints, rows, differences };
};
