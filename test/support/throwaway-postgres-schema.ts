import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { withDefaultPostgresUser } from '@lib/read-models/database/read-model-database';

export interface ThrowawaySchema {
  /** A READ_MODELS_URL whose connections work in the schema (search_path), so the service needs no schema setting. */
  readModelsUrl: string;
  drop(): Promise<void>;
}

/**
 * A fresh schema in the test PostgreSQL for one e2e file, the way the read-model suite isolates
 * its tests: nothing another run (or another engineer's run) left behind is seen, and drop()
 * removes every table the service created in it.
 */
export async function createThrowawaySchema(url: string, label: string): Promise<ThrowawaySchema> {
  const schema = `${label}_${randomBytes(6).toString('hex')}`;
  const admin = new Pool({ connectionString: withDefaultPostgresUser(url), max: 1 });
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  return {
    readModelsUrl: scoped.toString(),
    drop: async () => {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
