import { sqliteTestDatabases } from '@lib/read-models/testing/test-databases';
import { describeWebhookSubscriptions } from '../testing/webhook-subscriptions.contract';

describeWebhookSubscriptions('SQLite', sqliteTestDatabases());
