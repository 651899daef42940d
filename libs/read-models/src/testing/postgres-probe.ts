/** Test-only: can PostgreSQL be reached? Decided synchronously, at module load, so jest can choose which tests to define. */
import { spawnSync } from 'node:child_process';
import { withDefaultPostgresUser } from '../database/read-model-database';

export const DEFAULT_TEST_POSTGRES_URL = 'postgres://127.0.0.1:5432/test';

export type ProbeResult = { reachable: true } | { reachable: false; reason: string };

const PROBE_SCRIPT = `
const { Client } = require(process.env.PROBE_PG_MODULE);
const client = new Client({ connectionString: process.env.PROBE_URL, connectionTimeoutMillis: 2000 });
client.connect()
  .then(() => client.query('select 1'))
  .then(() => client.end())
  .then(() => process.exit(0), (error) => {
    process.stderr.write(String((error && error.message) || error || 'unknown error'));
    process.exit(1);
  });
`;

export function probePostgres(url: string): ProbeResult {
  const result = spawnSync(process.execPath, ['-e', PROBE_SCRIPT], {
    env: { ...process.env, PROBE_URL: withDefaultPostgresUser(url), PROBE_PG_MODULE: require.resolve('pg') },
    timeout: 5000,
    encoding: 'utf8',
  });
  if (result.error) return { reachable: false, reason: result.error.message };
  if (result.status === 0) return { reachable: true };
  const reason = (result.stderr ?? '').trim().split('\n')[0] || `probe exited with ${String(result.status ?? result.signal)}`;
  return { reachable: false, reason };
}

/** The URL with any password masked, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
