import { describeReadModels } from './testing/read-models.suite';
import { sqliteTestDatabases } from './testing/test-databases';

describeReadModels('SQLite', sqliteTestDatabases(), { propertyRuns: 40 });
