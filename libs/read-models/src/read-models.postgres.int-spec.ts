/**
 * The read-model suite against PostgreSQL (TEST_POSTGRES_URL, default
 * postgres://127.0.0.1:5432/test), each test in its own throwaway schema. Reachability is
 * decided at module load with a synchronous probe: unreachable fails the file when
 * REQUIRE_POSTGRES=1, and otherwise prints one line and defines the whole suite skipped, so
 * jest reports every one of its tests as skipped (and CI, scripts/check-test-results.js,
 * fails on skipped tests).
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
  // Defined, not run: nothing inside a skipped describe (tests or hooks) runs, so nothing connects.
  describe.skip(`PostgreSQL unreachable at ${redactUrl(url)}`, () => {
    describeReadModels('PostgreSQL', postgresTestDatabases(url), { propertyRuns: 12 });
  });
}
