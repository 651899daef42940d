/// <reference lib="dom" />
/**
 * The HTML report in a real browser: Debian's Chromium (/usr/bin/chromium, installed by .ci/run
 * when missing) driven by playwright-core. The CLI writes the report of a seeded day; the page
 * must draw all five charts, make no request beyond its own file, raise no script error, and show
 * the tables. The screenshot it takes is docs/report-html.png (the README shows it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const ROOT = join(__dirname, '..');
const LOADER = join(ROOT, 'apps/api/src/infrastructure/projector-worker/register-typescript.js');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** The flags this machine's Chromium needs as root and without a network (docs of the machine). */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = join(ROOT, 'docs', 'report-html.png');
const CHART_IDS = ['volume-by-hour', 'service-level-by-hour', 'wait-distribution', 'time-in-state-by-channel', 'agent-occupancy'];

const cli = (dataDir: string, ...args: string[]) => {
  const run = spawnSync(process.execPath, ['-r', LOADER, join(ROOT, 'apps/cli/src/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, EVENT_STORE: 'sqlite' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`cli ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return run;
};

describe('the HTML report in Chromium', () => {
  let dataDir: string;
  let page: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium), as .ci/run does`);
    }
    dataDir = mkdtempSync(join(tmpdir(), 'html-report-'));
    cli(dataDir, 'seed', '--conversations', '300', '--seed', '42');
    page = join(dataDir, 'day.html');
    cli(dataDir, 'report', '--format', 'html', '--from', '2026-11-20T00:00:00Z', '--to', '2026-11-21T00:00:00Z', '--out', page);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('draws every chart from the file alone, without a script error, with the tables below, and is screenshotted', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const tab = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    tab.on('request', (request) => requests.push(request.url()));
    tab.on('pageerror', (error) => errors.push(error.message));
    tab.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const url = pathToFileURL(page).toString();
    await tab.goto(url);
    await tab.waitForFunction(() => document.body.dataset.chartsDrawn === '5', undefined, { timeout: 15_000 });

    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    // Each canvas has been painted: a good part of its pixels are no longer transparent.
    const painted = await tab.evaluate((ids) => {
      return ids.map((id) => {
        const canvas = document.getElementById(id) as HTMLCanvasElement;
        const pixels = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
        let opaque = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) opaque += 1;
        return { id, share: opaque / (canvas.width * canvas.height) };
      });
    }, CHART_IDS);
    for (const chart of painted) expect({ id: chart.id, painted: chart.share > 0.02 }).toEqual({ id: chart.id, painted: true });
    // Every chart has data points, not only axes.
    const points = await tab.evaluate(() => {
      const charts = Object.values(
        (
          window as unknown as {
            Chart: { instances: Record<string, { canvas: HTMLCanvasElement; data: { datasets: Array<{ data: unknown[] }> } }> };
          }
        ).Chart.instances,
      );
      return charts.map((chart) => ({
        id: chart.canvas.id,
        points: chart.data.datasets.reduce((sum, set) => sum + set.data.filter((v) => v !== null).length, 0),
      }));
    });
    expect(points.map((chart) => chart.id).sort()).toEqual([...CHART_IDS].sort());
    for (const chart of points) expect({ id: chart.id, hasPoints: chart.points > 0 }).toEqual({ id: chart.id, hasPoints: true });
    // The tables: the totals, and one row per agent of the seeded day.
    expect(await tab.locator('h3').allTextContents()).toEqual(['All conversations', 'By queue', 'By agent', 'By channel', 'By day']);
    expect(await tab.locator('table').nth(2).locator('tbody tr').count()).toBeGreaterThan(0);

    await tab.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe('PNG');
    await context.close();
  }, 60_000);

  it('states that the page may load nothing (CSP) and names no script or stylesheet by URL', () => {
    const html = readFileSync(page, 'utf8');
    expect(html).toContain("default-src 'none'");
    // The page's own scripts: the inlined library and the drawing code, nothing with a src.
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
  });
});
