import { ConfigError, loadConfig } from './app-config';

const refusal = (env: Record<string, string>): ConfigError => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
};

describe('configuration', () => {
  it('has a working default for everything', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      eventStore: 'sqlite',
      bodyLimitBytes: 65536,
      customerReviveWindowMs: 24 * 3_600_000,
      readYourWritesTimeoutMs: 2000,
      closedWorkItemsPruneIntervalMs: 600_000,
      projectorPollIntervalMs: 50,
      projector: 'on',
      readModelsUrl: undefined,
    });
  });

  it('reads durations in every documented form', () => {
    expect(loadConfig({ CUSTOMER_REVIVE_WINDOW: '90s' }).customerReviveWindowMs).toBe(90_000);
    expect(loadConfig({ CUSTOMER_REVIVE_WINDOW: '1500' }).customerReviveWindowMs).toBe(1500);
    expect(loadConfig({ READ_YOUR_WRITES_TIMEOUT: '250ms' }).readYourWritesTimeoutMs).toBe(250);
    expect(loadConfig({ CLOSED_WORK_ITEMS_PRUNE_INTERVAL: '2h' }).closedWorkItemsPruneIntervalMs).toBe(7_200_000);
    expect(loadConfig({ CUSTOMER_REVIVE_WINDOW: '24d' }).customerReviveWindowMs).toBe(24 * 86_400_000);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ EVENT_STORE: 'mongodb' }, 'EVENT_STORE'],
    [{ BODY_LIMIT_BYTES: '10' }, 'BODY_LIMIT_BYTES'],
    [{ CUSTOMER_REVIVE_WINDOW: 'a while' }, 'CUSTOMER_REVIVE_WINDOW'],
    [{ CLOSED_WORK_ITEMS_PRUNE_INTERVAL: '30d' }, 'CLOSED_WORK_ITEMS_PRUNE_INTERVAL'],
    [{ PROJECTOR_POLL_INTERVAL: '0ms' }, 'PROJECTOR_POLL_INTERVAL'],
    [{ READ_MODELS_URL: 'mysql://db/x' }, 'READ_MODELS_URL'],
    [{ READ_MODELS_URL: 'not a url' }, 'READ_MODELS_URL'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ PROJECTOR: 'sometimes' }, 'PROJECTOR'],
    [{ EVENT_STORE: 'memory', READ_MODELS_URL: 'postgres://127.0.0.1/test' }, 'READ_MODELS_URL'],
    [{ EVENT_STORE: 'memory', PROJECTOR: 'off' }, 'PROJECTOR'],
    [{ EVENT_STORE: 'eventstoredb' }, 'ESDB_CONNECTION_STRING'],
    [{ EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: 'http://localhost:2113' }, 'ESDB_CONNECTION_STRING'],
    [{ EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: 'localhost:2113' }, 'ESDB_CONNECTION_STRING'],
    [{ EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: 'esdb://' }, 'ESDB_CONNECTION_STRING'],
    [{ ESDB_CONNECTION_STRING: 'esdb://localhost:2113?tls=false' }, 'ESDB_CONNECTION_STRING'],
  ])('refuses %j naming %s', (env, key) => {
    const error = refusal(env);
    expect(error.key).toBe(key);
    expect(error.message).toMatch(new RegExp(`^Invalid configuration ${key}: `));
  });

  describe('with EVENT_STORE=eventstoredb', () => {
    const esdb = { EVENT_STORE: 'eventstoredb', ESDB_CONNECTION_STRING: 'esdb://localhost:2113?tls=false' };

    it('takes a single-node or a discovery connection string', () => {
      expect(loadConfig(esdb)).toMatchObject({ eventStore: 'eventstoredb', esdbConnectionString: 'esdb://localhost:2113?tls=false' });
      const cluster = 'esdb+discover://admin:changeit@cluster.example.com:2113?tls=true&nodePreference=leader';
      expect(loadConfig({ ...esdb, ESDB_CONNECTION_STRING: cluster }).esdbConnectionString).toBe(cluster);
    });

    it('keeps the views in PostgreSQL or in SQLite under DATA_DIR, kept here or by another instance', () => {
      expect(loadConfig({ ...esdb, READ_MODELS_URL: 'postgres://db/views' }).readModelsUrl).toBe('postgres://db/views');
      expect(loadConfig({ ...esdb, DATA_DIR: '/var/lib/views' })).toMatchObject({ dataDir: '/var/lib/views', readModelsUrl: undefined });
      expect(loadConfig({ ...esdb, READ_MODELS_URL: 'postgres://db/views', PROJECTOR: 'off' }).projector).toBe('off');
    });

    it('leaves the connection string unset for the other stores', () => {
      expect(loadConfig({}).esdbConnectionString).toBeUndefined();
    });
  });
});
