/// <reference lib="dom" />
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startService, stopService } from './service';
import { issueToken, readSigningKey, type Role } from '@lib/platform';

/**
 * The desk under a realistic floor: BENCH_DESK_AGENTS (500) agents in 10 queues and
 * BENCH_DESK_CONVERSATIONS (2,000) ongoing conversations (open, or picked and active), with
 * BENCH_DESK_STREAMS (200) live change streams open (agents and supervisors, read to the end as
 * a browser would). Measured in Debian's Chromium (playwright-core):
 * - first load: from navigating to a login link until the agent desk shows its queue's open
 *   items, and until the supervisor dashboard shows Ongoing conversations (when built);
 * - live delay: from the answer of a command sent through the API (a conversation opened in the
 *   agent's queue, at a priority that puts it first among the queue's hundred open items the
 *   desk lists) until the open page shows it (its Pick button), BENCH_DESK_SAMPLES (40) times.
 * The service runs as `npm start` does (compiled, SQLite store), on the same two cores as the
 * browser and this driver.
 */
const AGENTS = Number(process.env.BENCH_DESK_AGENTS ?? 500);
const CONVERSATIONS = Number(process.env.BENCH_DESK_CONVERSATIONS ?? 2_000);
const STREAMS = Number(process.env.BENCH_DESK_STREAMS ?? 200);
const SAMPLES = Number(process.env.BENCH_DESK_SAMPLES ?? 40);
const PORT = 3321;
const BASE = `http://127.0.0.1:${PORT}`;
const QUEUES = Array.from({ length: 10 }, (_, i) => `q-${i}`);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const main = async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-desk-bench-'));
  let service: ChildProcess | undefined;
  let browser: Browser | undefined;
  const streams = new AbortController();
  try {
    service = await startService(PORT, dataDir, { ROUTING: 'off', EVENT_STREAM_MAX_CONNECTIONS: String(STREAMS + 50) });
    const key = await readSigningKey(dataDir);
    if (!key) throw new Error(`No signing key in ${dataDir}`);
    const token = (sub: string, role: Role) => issueToken(key, { sub, roles: [role], ttlMs: 3_600_000 });
    const admin = await token('bench-admin', 'admin');
    const channel = await token('bench-channel', 'channel');
    const call = async (path: string, bearer: string, body: object) => {
      const response = await fetch(`${BASE}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body: JSON.stringify(body),
      });
      if (response.status >= 300) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { position: number };
    };
    const inBatches = async <T>(items: T[], size: number, work: (item: T) => Promise<unknown>) => {
      for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
    };

    console.log(`Setting up ${QUEUES.length} queues, ${AGENTS} agents, ${CONVERSATIONS} ongoing conversations through the API...`);
    for (const id of QUEUES) await call('/api/queues', admin, { id });
    const agentIds = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
    await inBatches(agentIds, 25, (id) =>
      call('/api/agents', admin, { id, capacity: 5, queueIds: [QUEUES[Number(id.slice(6)) % QUEUES.length]], presence: 'available' }),
    );
    const conversationIds = Array.from({ length: CONVERSATIONS }, (_, i) => `c-${i}`);
    await inBatches(conversationIds, 25, async (id) => {
      const n = Number(id.slice(2));
      await call('/api/conversations', channel, { id, channel: 'live_chat', queueId: QUEUES[n % QUEUES.length], customerId: `cust-${n}` });
      // Half are being worked; the agent of bench's own page (agent-0) keeps its queue's items open.
      if (n % 2 === 1) {
        const agentId = `agent-${n % AGENTS}`;
        await call(`/api/conversations/${id}/pick`, await token(agentId, 'agent'), {});
      }
    });

    console.log(`Opening ${STREAMS} live change streams...`);
    let delivered = 0;
    for (let i = 0; i < STREAMS; i++) {
      const sub = i % 20 === 0 ? `sup-${i}` : `agent-${i % AGENTS}`;
      const bearer = await token(sub, i % 20 === 0 ? 'supervisor' : 'agent');
      const response = await fetch(`${BASE}/api/changes`, { headers: { authorization: `Bearer ${bearer}` }, signal: streams.signal });
      if (response.status !== 200 || !response.body) throw new Error(`stream ${i}: ${response.status}`);
      const reader = response.body.getReader();
      void (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          delivered += value.byteLength;
        }
      })().catch(() => undefined);
    }

    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const agentToken = await token('agent-0', 'agent');
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      await page.goto(`${BASE}/#token=${agentToken}`);
      await page
        .getByRole('button', { name: /^Pick c-/ })
        .first()
        .waitFor();
      loads.push(Date.now() - started);
      await page.evaluate(() => sessionStorage.clear());
      // A new document each time (a hash change alone would not load the page again).
      await page.goto('about:blank');
    }
    // The dashboard: until Ongoing conversations lists its first page (the longest waiting first).
    const supervisorToken = await token('sup-bench', 'supervisor');
    const dashboardLoads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      await page.goto(`${BASE}/#token=${supervisorToken}`);
      await page.getByRole('region', { name: 'Ongoing conversations' }).locator('tbody th').first().waitFor();
      dashboardLoads.push(Date.now() - started);
      await page.evaluate(() => sessionStorage.clear());
      // A new document each time (a hash change alone would not load the page again).
      await page.goto('about:blank');
    }
    await page.goto('about:blank');
    await page.goto(`${BASE}/#token=${agentToken}`);
    await page.locator('[data-live="live"]').waitFor();

    const delays: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const id = `live-${i}`;
      const started = Date.now();
      await call('/api/conversations', channel, { id, channel: 'live_chat', queueId: 'q-0', customerId: `cust-live-${i}`, priority: 5 });
      const answered = Date.now();
      await page.getByRole('button', { name: `Pick ${id}` }).waitFor();
      delays.push(Date.now() - answered);
      if (answered - started > 5_000) console.warn(`open ${id} took ${answered - started} ms`);
    }
    delays.sort((a, b) => a - b);
    loads.sort((a, b) => a - b);
    dashboardLoads.sort((a, b) => a - b);
    console.log(
      `\n${AGENTS} agents, ${CONVERSATIONS} ongoing conversations, ${STREAMS} live streams open (${delivered} bytes delivered to them)`,
    );
    console.log(`| measure | p50 ms | p95 ms | samples |`);
    console.log(`| --- | ---: | ---: | ---: |`);
    console.log(
      `| agent desk first load (login link to its queue's items shown) | ${percentile(loads, 50)} | ${percentile(loads, 95)} | ${loads.length} |`,
    );
    console.log(
      `| supervisor dashboard first load (login link to Ongoing conversations listed) | ${percentile(dashboardLoads, 50)} | ${percentile(dashboardLoads, 95)} | ${dashboardLoads.length} |`,
    );
    console.log(
      `| command answered to change shown in the open desk | ${percentile(delays, 50)} | ${percentile(delays, 95)} | ${delays.length} |`,
    );
  } finally {
    streams.abort();
    await browser?.close();
    await stopService(service);
    rmSync(dataDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
