/**
 * The subscription store's contract on PostgreSQL (TEST_POSTGRES_URL, default
 * postgres://127.0.0.1:5432/test), each test in a throwaway schema. Unreachable: fails with
 * REQUIRE_POSTGRES=1 (CI), otherwise the suite is defined skipped (and CI fails on skips).
 */
import { DEFAULT_TEST_POSTGRES_URL, probePostgres, redactUrl } from '@lib/read-models/testing/postgres-probe';
import { postgresTestDatabases } from '@lib/read-models/testing/test-databases';
import { describeWebhookSubscriptions } from '../testing/webhook-subscriptions.contract';

const url = process.env.TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
const probe = probePostgres(url);

if (probe.reachable) {
  const databases = postgresTestDatabases(url);
  afterAll(() => databases.close());
  describeWebhookSubscriptions('PostgreSQL', databases);
} else if (process.env.REQUIRE_POSTGRES === '1') {
  describe('PostgreSQL webhook subscriptions', () => {
    it('needs PostgreSQL (REQUIRE_POSTGRES=1)', () => {
      throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL cannot be reached at ${redactUrl(url)} (${probe.reason})`);
    });
  });
} else {
  console.warn(`PostgreSQL webhook-subscription suite skipped: cannot reach ${redactUrl(url)} (${probe.reason})`);
  describe.skip(`PostgreSQL unreachable at ${redactUrl(url)}`, () => {
    describeWebhookSubscriptions('PostgreSQL', postgresTestDatabases(url));
  });
}
