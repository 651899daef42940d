/** Test-only: every view table's rows, normalised and sorted, to compare two databases row by row. */
import type { ReadModelDatabase } from '../database/read-model-database';
import { VIEW_TABLES, type ViewTable } from '../database/read-model-schema';

export type ViewDump = Record<ViewTable, Record<string, unknown>[]>;

const normalise = (row: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(row)
      .map(([key, value]): [string, unknown] => [key, typeof value === 'bigint' ? Number(value) : value])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );

export async function dumpViews(database: ReadModelDatabase): Promise<ViewDump> {
  const dump = {} as ViewDump;
  for (const table of VIEW_TABLES) {
    const rows = (await database.db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
    dump[table] = rows.map(normalise).sort((a, b) => {
      const left = JSON.stringify(a);
      const right = JSON.stringify(b);
      return left < right ? -1 : left > right ? 1 : 0;
    });
  }
  return dump;
}

export async function checkpointsOf(database: ReadModelDatabase): Promise<Record<string, number>> {
  const rows = await database.db.selectFrom('projection_checkpoints').select(['name', 'position']).execute();
  return Object.fromEntries(rows.map((row) => [row.name, Number(row.position)]));
}
