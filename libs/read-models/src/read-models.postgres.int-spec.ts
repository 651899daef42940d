/**
 * The read-model suite against PostgreSQL (TEST_POSTGRES_URL, default
 * postgres://127.0.0.1:5432/test), each test in its own throwaway schema. Reachability is
 * decided at module load with a synchronous probe: unreachable fails the file when
 * REQUIRE_POSTGRES=1, and otherwise prints one line and runs a single passing placeholder
 * (CI counts skipped tests as failures).
 */
import { DEFAULT_TEST_POSTGRES_URL, probePostgres, redactUrl } from './testing/postgres-probe';
import { describeReadModels } from './testing/read-models.suite';
import { postgresTestDatabases } from './testing/test-databases';

const url = process.env.TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
const probe = probePostgres(url);

if (probe.reachable) {
  const databases = postgresTestDatabases(url);
  afterAll(() => databases.close());
  describeReadModels('PostgreSQL', databases, { propertyRuns: 12 });
} else if (process.env.REQUIRE_POSTGRES === '1') {
  describe('PostgreSQL read models', () => {
    it('needs PostgreSQL (REQUIRE_POSTGRES=1)', () => {
      throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL cannot be reached at ${redactUrl(url)} (${probe.reason})`);
    });
  });
} else {
  console.warn(`PostgreSQL read-model suite skipped: cannot reach ${redactUrl(url)} (${probe.reason})`);
  describe('PostgreSQL read models', () => {
    it('skipped: PostgreSQL unreachable', () => {
      expect(probe.reachable).toBe(false);
    });
  });
}
