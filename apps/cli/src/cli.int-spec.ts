import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONVERSATION_POLICY } from '@lib/domain';
import { SqliteEventStore } from '@lib/event-store';
import { DEFAULT_COMMAND_RETRY, HandleConversationCommand, HandleConversationCommandHandler } from '@lib/conversation-lifecycle';
import { demoHistory } from './demo-history';

/** The CLI as an operator runs it: a process, its exit code, its output and the files it leaves. */
const ROOT = join(__dirname, '..', '..', '..');
const LOADER = join(ROOT, 'apps/api/src/infrastructure/projector-worker/register-typescript.js');
const cli = (dataDir: string, ...args: string[]) =>
  spawnSync(process.execPath, ['-r', LOADER, join(ROOT, 'apps/cli/src/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, EVENT_STORE: 'sqlite' },
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('operator CLI', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cli-'));
    const store = new SqliteEventStore({ filename: join(dataDir, 'events.sqlite'), checkpointIntervalMs: 0 });
    const handler = new HandleConversationCommandHandler(store, DEFAULT_CONVERSATION_POLICY, DEFAULT_COMMAND_RETRY);
    const steps = demoHistory({ conversations: 40, seed: 3, start: '2026-11-20T08:00:00.000Z' });
    for (const [i, step] of steps.entries())
      await handler.execute(new HandleConversationCommand(step.conversationId, step.command, `s-${i}`));
    await store.close();
  });

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('writes a CSV report of every conversation to --out and says how fast it replayed', () => {
    const out = join(dataDir, 'report.csv');
    const run = cli(dataDir, 'report', '--out', out);
    expect(run.stderr).toMatch(/Replayed \d+ events in [\d.]+ s \([\d,]+ events\/s\): 40 conversations/);
    expect(run.status).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(lines[0]).toMatch(/^conversationId,channel,queueId,/);
    expect(lines).toHaveLength(41);
  });

  it('writes JSON with the aggregates to standard output', () => {
    const run = cli(dataDir, 'report', '--format', 'json', '--from', '2026-11-20T00:00:00Z', '--to', '2026-11-21T00:00:00Z');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as { conversations: unknown[]; totals: { conversations: number } };
    expect(report.conversations).toHaveLength(40);
    expect(report.totals).toMatchObject({ conversations: 40 });
  });

  it.each([
    ['an unknown format', ['--format', 'xml'], /--format must be csv, json or html, got xml/],
    ['--from after --to', ['--from', '2026-11-21T00:00:00Z', '--to', '2026-11-20T00:00:00Z'], /--from .* must be before --to/],
    ['a time without an offset', ['--from', '2026-11-21T00:00:00'], /--from must be an ISO-8601 time with a UTC offset/],
    ['an unknown option', ['--form', 'csv'], /unknown option --form/],
  ])('refuses %s: non-zero exit, a clear message, and no output file', (_what, args, message) => {
    const out = join(dataDir, `refused-${Math.random()}.csv`);
    const run = cli(dataDir, 'report', ...args, '--out', out);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a store that is not there or cannot be read, writing nothing', () => {
    const missing = join(dataDir, 'nowhere');
    const out = join(dataDir, 'missing.csv');
    const run = cli(missing, 'report', '--out', out);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/No event log at .*nowhere/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(missing)).toBe(false);

    const corrupt = mkdtempSync(join(tmpdir(), 'cli-corrupt-'));
    writeFileSync(join(corrupt, 'events.sqlite'), 'this is not a database');
    const corruptRun = cli(corrupt, 'report', '--out', join(corrupt, 'r.csv'));
    expect(corruptRun.status).not.toBe(0);
    expect(corruptRun.stderr).toMatch(/not a database/);
    expect(existsSync(join(corrupt, 'r.csv'))).toBe(false);
    rmSync(corrupt, { recursive: true, force: true });
  });

  it('prints the queues as they stood at a past time', () => {
    const run = cli(dataDir, 'queue-view', '--as-of', '2026-11-20T08:00:30Z', '--format', 'json');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ asOf: '2026-11-20T08:00:30.000Z' });
  });

  it('names an unknown command and lists the known ones', () => {
    const run = cli(dataDir, 'reprot');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown command "reprot"[\s\S]*report/);
  });
});
