import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, readSigningKey, issueToken, type Role } from '@lib/platform';

/**
 * Drives the running service over HTTP with many concurrent clients through whole
 * conversations (open, pick, end, close-session: four durable commands each), twice: each
 * client acting as its own agent (a contact center), then every client as one agent (every
 * command serializes on that agent's stream). A bare validated Fastify route, measured in the
 * same run, is the yardstick. Settings by environment: BENCH_CONNECTIONS (50), BENCH_SECONDS (15).
 */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const SERVICE_PORT = 3301;
const BARE_PORT = 3302;
const API_ONLY_PORT = 3303;

const startProcess = (script: string, env: Record<string, string>, readyText: string, nodeArgs: string[] = []): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '-r', 'tsconfig-paths/register', script], {
      env: { ...process.env, TS_NODE_BASEURL: './dist', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 30 s`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(readyText)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });

type Result = autocannon.Result;

const stopProcess = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });

const run = (options: autocannon.Options): Promise<Result> =>
  new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });

const json = { 'content-type': 'application/json' };
/** Tokens signed with the service's own key in its DATA_DIR (set once the service has started). */
const tokens = { admin: '', channel: '', agents: [] as string[] };
const withToken = (token: string) => ({ ...json, authorization: `Bearer ${token}` });
const signTokensFor = async (dataDir: string) => {
  const key = await readSigningKey(dataDir);
  if (!key) throw new Error(`No signing key in ${dataDir}`);
  const sign = (sub: string, role: Role) => issueToken(key, { sub, roles: [role], ttlMs: 3_600_000 });
  tokens.admin = await sign('bench-admin', 'admin');
  tokens.channel = await sign('bench-channel', 'channel');
  tokens.agents = await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => sign(`agent-${i}`, 'agent')));
};

/** Who works a client's conversations: its own agent, or agent-0 for every client. */
type Workload = 'agent per client' | 'one agent';
type Context = { id?: string; agent?: number };

const wholeConversations = (url: string, workload: Workload): autocannon.Options => {
  let clients = 0;
  // autocannon keeps one context per connection: the first request a client sends picks its agent.
  const agentOf = (context: Context) => (context.agent ??= workload === 'one agent' ? 0 : clients++ % CONNECTIONS);
  const asAgent = (action: string, body: (agentId: string) => object) => ({
    method: 'POST' as const,
    setupRequest: (request: autocannon.Request, context: Context) => {
      const agent = agentOf(context);
      return {
        ...request,
        path: `/api/conversations/${context.id}/${action}`,
        headers: withToken(tokens.agents[agent]),
        body: JSON.stringify(body(`agent-${agent}`)),
      };
    },
  });
  return {
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        path: '/api/conversations',
        headers: withToken(tokens.channel),
        setupRequest: (request, context: Context) => {
          context.id = randomUUID();
          return {
            ...request,
            body: JSON.stringify({ id: context.id, channel: 'persistent_chat', queueId: 'bench', customerId: `cust-${context.id}` }),
          };
        },
      },
      asAgent('pick', (agentId) => ({ agentId })),
      asAgent('end', (agentId) => ({ by: 'agent', agentId })),
      asAgent('close-session', (agentId) => ({ agentId })),
    ],
  };
};

/** The queue the conversations open into and the agents who work them (capacity beyond the clients' concurrency). */
const setUpWorld = async (base: string) => {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: withToken(tokens.admin), body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  };
  await post('/api/queues', { id: 'bench' });
  for (let i = 0; i < CONNECTIONS; i++) {
    await post('/api/agents', { id: `agent-${i}`, capacity: 1000, queueIds: ['bench'], presence: 'available' });
  }
};

const rate = (r: Result) => Math.round(r.requests.average);
/** One table row; beside a service row, its rate and p99 as multiples of the bare route's in this run. */
const row = (name: string, r: Result, bare?: Result) =>
  `| ${name} | ${rate(r).toLocaleString('en-US')} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.max} | ` +
  `${bare ? `${(rate(r) / rate(bare)).toFixed(2)}× / ${(r.latency.p99 / bare.latency.p99).toFixed(1)}×` : '-'} | ` +
  `${r['2xx']} | ${r.non2xx + r.errors + r.timeouts} |`;

const SHAPES = [
  { label: 'views kept on a second thread (default)', port: SERVICE_PORT, projector: 'on' },
  { label: 'PROJECTOR=off (the command path alone)', port: API_ONLY_PORT, projector: 'off' },
] as const;
const WORKLOADS: Workload[] = ['agent per client', 'one agent'];

const main = async () => {
  const dataDirs = SHAPES.map(() => mkdtempSync(join(tmpdir(), 'cw-bench-')));
  const children: ChildProcess[] = [];
  const service = (port: number, dataDir: string, projector: 'on' | 'off') =>
    startProcess(
      'dist/apps/api/src/main.js',
      // A few principals carry the whole load: the per-principal limit is not what is measured.
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'log',
        SHUTDOWN_DRAIN: '0',
        PROJECTOR: projector,
        RATE_LIMIT_PER_MINUTE: '1000000',
      },
      'Listening',
      // BENCH_SERVICE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the service's threads.
      process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean),
    );
  try {
    // The yardstick, and the same route behind the service's token check, in the same run.
    const benchKey = await generateSigningKey();
    const { d: _private, ...publicJwk } = benchKey.jwk;
    const benchToken = await issueToken(benchKey.key, { sub: 'agent-1', roles: ['agent'], ttlMs: 3_600_000 });
    children.push(
      await startProcess('dist/bench/bare-server.js', { PORT: String(BARE_PORT), BENCH_PUBLIC_JWK: JSON.stringify(publicJwk) }, 'ready'),
    );
    console.log(`Warming up, then ${SECONDS} s each with ${CONNECTIONS} connections...`);
    const bareRoute = (path: string, headers: Record<string, string>) =>
      run({
        url: `http://127.0.0.1:${BARE_PORT}`,
        connections: CONNECTIONS,
        duration: SECONDS,
        requests: [{ method: 'POST', path, headers, body: JSON.stringify({ agentId: 'agent-1' }) }],
      });
    await run({ url: `http://127.0.0.1:${BARE_PORT}/bare/c1/pick`, method: 'POST', headers: json, body: '{"agentId":"a"}', duration: 2 });
    const bare = await bareRoute('/bare/c1/pick', json);
    const bareVerified = await bareRoute('/bare-auth/c1/pick', withToken(benchToken));
    await stopProcess(children[0]);

    // One service at a time, so each has the machine to itself (with the load generator).
    const measured: Array<[string, Result]> = [];
    for (const [index, shape] of SHAPES.entries()) {
      const child = await service(shape.port, dataDirs[index], shape.projector);
      children.push(child);
      const url = `http://127.0.0.1:${shape.port}`;
      await signTokensFor(dataDirs[index]);
      await setUpWorld(url);
      for (const workload of WORKLOADS) {
        await run({ ...wholeConversations(url, workload), duration: 3 });
        measured.push([`${shape.label}, ${workload}`, await run(wholeConversations(url, workload))]);
      }
      await stopProcess(child);
    }

    console.log(
      `\n${CONNECTIONS} concurrent clients, ${SECONDS} s each, Node ${process.version}; ` +
        `commands: open, pick, end, close-session; × bare: rate / p99 against the bare route\n`,
    );
    console.log('| target | requests/s | p50 ms | p99 ms | max ms | × bare | 2xx | errors |');
    console.log('|---|---|---|---|---|---|---|---|');
    console.log(row('bare Fastify route + class-validator', bare));
    console.log(row('the same bare route + bearer token verified (TokenVerifier, Ed25519)', bareVerified, bare));
    for (const [label, result] of measured) console.log(row(`service, ${label}`, result, bare));
    const failures = measured.reduce((sum, [, r]) => sum + r.non2xx + r.errors + r.timeouts, 0);
    if (failures > 0) {
      console.error(`\n${failures} commands failed: the figures above are not valid`);
      process.exitCode = 1;
    }
  } finally {
    // Their files are deleted only once they have closed them.
    await Promise.all(children.map((child) => stopProcess(child)));
    for (const dataDir of dataDirs) rmSync(dataDir, { recursive: true, force: true });
  }
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
