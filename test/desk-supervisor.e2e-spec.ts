/// <reference lib="dom" />
/**
 * The supervisor dashboard (apps/desk/src/supervisor*.tsx) in a real browser: Debian's Chromium
 * driven by playwright-core (test/support/desk-browser.ts), the service in-process with the desk
 * built (test/support/desk-app.ts). A supervisor signed in through `login-link` sees a
 * conversation opened through the API appear in Ongoing conversations, filters the list,
 * force-closes one with a reason while the agent's desk (a second browser context) sees it leave
 * My work items, assigns (offer and forced) and monitors, reads the queues and the capacity
 * board; a principal who is agent and supervisor switches between the two. axe-core checks every
 * screen; the screenshots are docs/desk-supervisor.png (1280×800) and docs/desk-supervisor-phone.png
 * (390 wide). Without Chromium the suite says so in one line and is skipped (REQUIRE_CHROMIUM=1 fails instead).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, chromiumInstalled, launchChromium, seriousAxeViolations } from './support/desk-browser';
import { startDeskApp, type DeskApp } from './support/desk-app';

const ROOT = join(__dirname, '..');
const SCREENSHOT = join(ROOT, 'docs', 'desk-supervisor.png');
const PHONE_SCREENSHOT = join(ROOT, 'docs', 'desk-supervisor-phone.png');
const TIME_ZONE = 'America/Sao_Paulo';
const HOUR = 3_600_000;

const browserAvailable = chromiumInstalled();
if (!browserAvailable && process.env.REQUIRE_CHROMIUM !== '1') {
  console.warn(`Supervisor dashboard browser suite skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does)`);
}
const describeInBrowser = browserAvailable || process.env.REQUIRE_CHROMIUM === '1' ? describe : describe.skip;

/** Waits until `check` holds (it throws or answers false until then), at most `timeoutMs`. */
const eventually = async (check: () => Promise<boolean | void> | boolean | void, what: string, timeoutMs = 15_000) => {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if ((await check()) !== false) return;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describeInBrowser('the supervisor dashboard in Chromium', () => {
  let d: DeskApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let link: string;
  let admin: string;
  let channel: string;
  const problems: string[] = [];
  const commandBodies: Array<{ url: string; body: string }> = [];

  const open = async (id: string, queueId = 'support', channelName = 'sms') => {
    const answer = await d.call('POST', '/api/conversations', channel, { id, channel: channelName, queueId, customerId: `cust-${id}` });
    expect(answer.status).toBe(201);
  };
  const watch = (tab: Page) => {
    tab.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    tab.on('console', (message) => {
      if (
        message.type() === 'error' &&
        !/Failed to load resource: the server responded with a status of (401|409|412)/.test(message.text())
      )
        problems.push(`console: ${message.text()}`);
    });
    tab.on('request', (request) => {
      if (request.method() === 'POST') commandBodies.push({ url: request.url(), body: request.postData() ?? '' });
    });
  };
  const ongoing = (tab: Page = page) => tab.getByRole('region', { name: 'Ongoing conversations' });
  const ongoingRow = (id: string, tab: Page = page) =>
    ongoing(tab)
      .getByRole('row')
      .filter({ has: tab.getByRole('link', { name: id, exact: true }) });
  const status = () => page.locator('[data-field="status"]').innerText();
  const panel = () => page.getByRole('region', { name: /^Conversation / });
  const expectAccessible = async (tab: Page, screen: string) => {
    expect({ screen, violations: await seriousAxeViolations(tab) }).toEqual({ screen, violations: [] });
  };

  beforeAll(async () => {
    browser = await launchChromium();
    d = await startDeskApp();
    admin = await d.token('admin-1', ['admin'], 24 * HOUR);
    channel = await d.token('web-chat', ['channel'], 24 * HOUR);
    for (const id of ['support', 'billing']) expect((await d.call('POST', '/api/queues', admin, { id, mode: 'pick' })).status).toBe(201);
    const agents = [
      { id: 'a-1', capacity: 3, queueIds: ['support', 'billing'] },
      { id: 'a-2', capacity: 1, queueIds: ['support'] },
    ];
    for (const agent of agents) expect((await d.call('POST', '/api/agents', admin, { ...agent, presence: 'available' })).status).toBe(201);
    await open('s-1');
    await open('s-2', 'support', 'live_chat');
    await open('s-4', 'support', 'sms');
    await open('b-1', 'billing', 'social');
    // a-1 works s-1 (it is in a-1's My work items); a-2 is full with s-4.
    expect((await d.call('POST', '/api/conversations/s-1/pick', await d.token('a-1', ['agent']), {})).status).toBe(200);
    expect((await d.call('POST', '/api/conversations/s-4/pick', await d.token('a-2', ['agent']), {})).status).toBe(200);
    link = d.loginLink('sup-1', 'supervisor');
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: TIME_ZONE });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watch(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await d?.close();
  });

  it('signs a supervisor in to Ongoing conversations, and a conversation opened through the API appears in it', async () => {
    await page.goto(link);
    await page.getByRole('heading', { name: 'Supervisor dashboard', level: 1 }).waitFor();
    expect(page.url()).toBe(`${d.base}/#/`);
    await ongoingRow('s-1').waitFor();
    expect(await ongoingRow('s-1').innerText()).toMatch(/s-1\s+Active\s+\d+ s\s+\d+ s\s+a-1\s+support\s+SMS/);
    expect(await ongoingRow('s-2').innerText()).toMatch(/s-2\s+Open\s+\d+ s\s+\d+ s\s+—\s+support\s+Live chat/);
    // Longest in their status first: s-2 has been open since before s-1 and s-4 were picked.
    const order = await ongoing().locator('tbody th').allInnerTexts();
    expect(order.indexOf('s-2')).toBeLessThan(order.indexOf('s-1'));
    expect(await ongoing().getByRole('link', { name: 'b-1' }).count()).toBe(1);
    await expectAccessible(page, 'Ongoing conversations');

    await open('s-3', 'support', 'live_chat');
    // The dashboard reloads every 5 s while visible.
    await ongoingRow('s-3').waitFor({ timeout: 12_000 });
    expect((await ongoing().locator('tbody th').allInnerTexts()).at(-1)).toBe('s-3');
  }, 60_000);

  it('filters by queue, status, agent and channel', async () => {
    await ongoing().getByLabel('Status').selectOption('open');
    // Open since they were opened: s-2, then b-1, then s-3.
    await eventually(async () => (await ongoing().locator('tbody th').allInnerTexts()).join() === 's-2,b-1,s-3', 'only the open ones');
    await ongoing().getByLabel('Queue').selectOption('support');
    await eventually(async () => (await ongoing().locator('tbody th').allInnerTexts()).join() === 's-2,s-3', 'open in support');
    await ongoing().getByLabel('Channel').selectOption('sms');
    await ongoing().getByText('No ongoing conversation matches these filters.').waitFor();
    await expectAccessible(page, 'Ongoing conversations, nothing matches');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await ongoing().getByLabel('Agent').selectOption('a-2');
    await eventually(async () => (await ongoing().locator('tbody th').allInnerTexts()).join() === 's-4', "a-2's");
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await ongoingRow('s-1').waitFor();
  }, 60_000);

  it("force-closes a conversation with a reason while the agent's desk, open in a second context, sees it leave My work items", async () => {
    const agentContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: TIME_ZONE });
    try {
      const agentPage = await agentContext.newPage();
      agentPage.setDefaultTimeout(15_000);
      watch(agentPage);
      await agentPage.goto(d.loginLink('a-1', 'agent'));
      const mine = agentPage.getByRole('region', { name: 'My work items' });
      await mine.getByRole('link', { name: 's-1' }).waitFor();

      await ongoing().getByRole('link', { name: 's-1', exact: true }).click();
      await page.getByRole('heading', { name: 'Conversation s-1' }).waitFor();
      expect(page.url()).toBe(`${d.base}/#/supervisor/conversations/s-1`);
      await eventually(async () => (await status()).startsWith('Active'), 's-1 shown active');
      await expectAccessible(page, 'Ongoing conversations with a conversation open');

      // A reason is required: nothing is sent without one.
      await page.getByRole('button', { name: 'Force close' }).click();
      await page.getByText('Say why it is closed').waitFor();
      await page.getByLabel('Reason').fill('customer_called_in_instead');
      await page.getByRole('button', { name: 'Force close' }).click();
      await page.getByText('Force close: done. s-1 is now Closed.').waitFor();
      await eventually(async () => (await status()).startsWith('Closed'), 's-1 shown closed');
      await page.locator('.timeline li', { hasText: 'customer called in instead' }).waitFor();
      expect(await page.locator('.timeline li').last().innerText()).toMatch(/supervisor sup-1[\s\S]*customer called in instead/);
      await eventually(
        async () => (await ongoing().getByRole('link', { name: 's-1', exact: true }).count()) === 0,
        's-1 gone from Ongoing',
      );

      // The agent's desk reloads every 5 s: s-1 leaves My work items and shows in Closed work items.
      await eventually(async () => (await mine.getByRole('link', { name: 's-1' }).count()) === 0, "s-1 gone from a-1's My work items");
      const closed = agentPage.getByRole('region', { name: 'Closed work items (last 24 h)' });
      await closed.getByRole('link', { name: 's-1' }).waitFor();
      expect(await closed.innerText()).toMatch(/supervisor sup-1[\s\S]*customer called in instead/);
    } finally {
      await agentContext.close();
    }
  }, 60_000);

  it('assigns: offers one to an agent (awaiting acceptance), forces one on a full agent (over capacity), and monitors', async () => {
    await ongoing().getByRole('link', { name: 's-3', exact: true }).click();
    await page.getByRole('heading', { name: 'Conversation s-3' }).waitFor();
    await eventually(async () => (await status()).startsWith('Open'), 's-3 shown open');
    await panel().getByLabel('Agent', { exact: true }).selectOption('a-1');
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await page.getByText('Offer to a-1: done. s-3 is now Active.').waitFor();
    await eventually(async () => /Active\s*awaiting acceptance/.test(await status()), 's-3 awaiting acceptance');
    expect(await page.locator('[data-field="agent"]').innerText()).toBe('a-1');
    await eventually(async () => /awaiting acceptance/.test(await ongoingRow('s-3').innerText()), 'the offer in Ongoing');

    await page.getByRole('button', { name: 'Monitor' }).click();
    await page.getByText('Monitor: done.').waitFor();
    await page.locator('.timeline li', { hasText: 'supervisor sup-1' }).last().waitFor();

    await ongoing().getByRole('link', { name: 's-2', exact: true }).click();
    await page.getByRole('heading', { name: 'Conversation s-2' }).waitFor();
    await eventually(async () => (await status()).startsWith('Open'), 's-2 shown open');
    await panel()
      .getByRole('checkbox', { name: /^Force/ })
      .check();
    await panel().getByLabel('Agent', { exact: true }).selectOption('a-2');
    await page.getByRole('button', { name: 'Force-assign' }).click();
    await page.getByText('Force-assign to a-2: done. s-2 is now Active.').waitFor();
    await eventually(async () => (await ongoingRow('s-2').innerText()).includes('a-2'), 's-2 held by a-2 in Ongoing');

    // The supervisor's id comes from the token: no body names it.
    const supervised = commandBodies.filter(({ url }) => /\/api\/conversations\/[^/]+\/(assign|close|monitor)$/.test(url));
    expect(supervised.map(({ body }) => JSON.parse(body) as object)).toEqual([
      { reason: 'customer_called_in_instead' },
      { agentId: 'a-1' },
      {},
      { agentId: 'a-2', force: true },
    ]);
  }, 60_000);

  it('shows the queues with their live KPIs, and the capacity board with forced over capacity', async () => {
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.getByRole('heading', { name: 'Queues', level: 2 }).waitFor();
    expect(page.url()).toBe(`${d.base}/#/supervisor/queues`);
    const support = page.locator('tr[data-queue="support"]');
    await support.waitFor();
    // s-1 closed, s-2/s-3/s-4 held: nothing waits in support; billing has b-1.
    await eventually(async () => (await support.locator('[data-kpi="waiting"]').innerText()).startsWith('0'), 'support empty');
    expect(await support.locator('[data-kpi="serving"]').innerText()).toBe('2');
    expect(await support.locator('[data-kpi="available"]').innerText()).toBe('2');
    const billing = page.locator('tr[data-queue="billing"]');
    expect(await billing.locator('[data-kpi="waiting"]').innerText()).toBe('1');
    expect(await billing.locator('[data-kpi="longest-wait"]').innerText()).toMatch(/^\d+ s$/);
    expect(await billing.locator('[data-kpi="available"]').innerText()).toBe('1');
    await page.getByRole('button', { name: 'Today' }).click();
    await eventually(async () => (await page.getByRole('button', { name: 'Today' }).getAttribute('aria-pressed')) === 'true', 'Today');
    await expectAccessible(page, 'Queues');

    await page.getByRole('link', { name: 'Capacity board' }).click();
    await page.getByRole('heading', { name: 'Capacity board', level: 2 }).waitFor();
    const a2 = page.locator('tr[data-agent="a-2"]');
    await a2.waitFor();
    await eventually(async () => (await a2.innerText()).includes('forced over capacity'), 'a-2 over capacity');
    expect(await a2.locator('[data-capacity="figures"]').innerText()).toBe('2 / 0 / 0 of 1');
    expect(await a2.innerText()).toMatch(/s-4[\s\S]*s-2 \(forced\)|s-2 \(forced\)[\s\S]*s-4/);
    const a1 = page.locator('tr[data-agent="a-1"]');
    expect(await a1.innerText()).toMatch(/Available/);
    expect(await a1.innerText()).not.toContain('forced over capacity');
    await expectAccessible(page, 'Capacity board');
  }, 60_000);

  it('looks like docs/desk-supervisor.png at 1280×800 and works at 390 px wide (docs/desk-supervisor-phone.png)', async () => {
    await page.getByRole('link', { name: 'Ongoing conversations' }).click();
    await ongoing().getByRole('link', { name: 's-3', exact: true }).click();
    await page.getByRole('heading', { name: 'Conversation s-3' }).waitFor();
    await eventually(async () => (await status()).startsWith('Active'), 's-3 shown');
    await page.screenshot({ path: SCREENSHOT });
    expect(readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe('PNG');

    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'en-US',
      timezoneId: TIME_ZONE,
    });
    try {
      const tab = await phone.newPage();
      tab.setDefaultTimeout(15_000);
      watch(tab);
      await tab.goto(d.loginLink('sup-1', 'supervisor'));
      await tab.getByRole('heading', { name: 'Supervisor dashboard', level: 1 }).waitFor();
      await ongoingRow('s-3', tab).waitFor();
      expect(await tab.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await expectAccessible(tab, 'Ongoing conversations on a phone');
      await tab.screenshot({ path: PHONE_SCREENSHOT });
      expect(readFileSync(PHONE_SCREENSHOT).subarray(1, 4).toString()).toBe('PNG');
      for (const screen of ['Queues', 'Capacity board']) {
        await tab.getByRole('link', { name: screen }).click();
        await tab.getByRole('heading', { name: screen, level: 2 }).waitFor();
        await tab.locator('tbody tr').first().waitFor();
        expect(await tab.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        await expectAccessible(tab, `${screen} on a phone`);
      }
    } finally {
      await phone.close();
    }
  }, 90_000);

  it('lets a principal who is agent and supervisor switch between the agent desk and the dashboard', async () => {
    const both = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: TIME_ZONE });
    try {
      const tab = await both.newPage();
      tab.setDefaultTimeout(15_000);
      watch(tab);
      await tab.goto(d.loginLink('a-1', 'agent,supervisor'));
      await tab.getByRole('heading', { name: 'Agent desk', level: 1 }).waitFor();
      const desks = tab.getByRole('navigation', { name: 'Desks' });
      expect(await desks.getByRole('link', { name: 'Agent desk' }).getAttribute('aria-current')).toBe('page');
      await desks.getByRole('link', { name: 'Supervisor dashboard' }).click();
      await tab.getByRole('heading', { name: 'Supervisor dashboard', level: 1 }).waitFor();
      expect(tab.url()).toBe(`${d.base}/#/supervisor`);
      await ongoingRow('s-3', tab).waitFor();
      await expectAccessible(tab, 'dashboard of an agent and supervisor');
      await desks.getByRole('link', { name: 'Agent desk' }).click();
      await tab.getByRole('heading', { name: 'Agent desk', level: 1 }).waitFor();
      await tab.getByRole('region', { name: 'My work items' }).getByRole('link', { name: 's-3' }).waitFor();
    } finally {
      await both.close();
    }
    expect(problems).toEqual([]);
  }, 60_000);
});
