/// <reference lib="dom" />
/**
 * The agent desk (apps/desk) as the service serves it, in a real browser: Debian's Chromium
 * driven by playwright-core (test/support/desk-browser.ts). The service runs in-process on a
 * free port with the desk built by scripts/build-desk.mjs; the agent signs in through a link
 * printed by `npm run cli -- login-link`, picks, works and closes an item, meets a 409 and a
 * 412 after concurrent changes and recovers, loses its session (401) without losing its place,
 * and signs out. axe-core checks every screen; the screenshots are docs/desk-agent.png
 * (1280×800) and docs/desk-agent-phone.png (390 wide). Without Chromium the browser part says
 * so in one line and is skipped (REQUIRE_CHROMIUM=1 fails instead); the serving part always runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { CHROMIUM, chromiumInstalled, launchChromium, seriousAxeViolations } from './support/desk-browser';
import { startDeskApp, type DeskApp } from './support/desk-app';

const ROOT = join(__dirname, '..');
const SCREENSHOT = join(ROOT, 'docs', 'desk-agent.png');
const PHONE_SCREENSHOT = join(ROOT, 'docs', 'desk-agent-phone.png');
const TIME_ZONE = 'Asia/Kolkata';
const HOUR = 3_600_000;

const browserAvailable = chromiumInstalled();
if (!browserAvailable && process.env.REQUIRE_CHROMIUM !== '1') {
  console.warn(`Desk browser suite skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does)`);
}
const describeInBrowser = browserAvailable || process.env.REQUIRE_CHROMIUM === '1' ? describe : describe.skip;

/** Waits until `check` holds (it throws or answers false until then). */
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

describe('the desk as the service serves it', () => {
  let d: DeskApp & { buildOutput: string };

  beforeAll(async () => {
    d = await startDeskApp();
  }, 120_000);

  afterAll(async () => {
    await d?.close();
  });

  it('the build names its bundle size, within the budget', () => {
    const figures = /first screen JS [\d.]+ KB \((?<gzipped>[\d.]+) KB gzipped, budget 150\.0 KB\)/.exec(d.buildOutput);
    expect(figures).not.toBeNull();
    expect(Number(figures?.groups?.gzipped)).toBeLessThan(150);
  });

  it('serves index.html at / under the CSP, with no inline script, revalidated on every load', async () => {
    const answer = await fetch(`${d.base}/`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(answer.headers.get('cache-control')).toBe('no-cache');
    const html = await answer.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/gi)].map((match) => match[0]);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toMatch(/src="\.\/desk-[A-Z0-9]+\.js"/);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\son[a-z]+=/i);

    const script = /src="\.\/(?<file>desk-[A-Z0-9]+\.js)"/.exec(html)?.groups?.file as string;
    const asset = await fetch(`${d.base}/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // Nothing in the bundle loads from elsewhere.
    expect(await asset.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i);
  });

  it('leaves every other path to the API: unknown ones answer its JSON 404, /api unchanged', async () => {
    for (const [method, path] of [
      ['GET', '/api/nothing-here'],
      ['GET', '/nothing-here'],
      ['GET', '/conversations/c-1'],
      ['POST', '/'],
      ['GET', '/.env'],
    ] as const) {
      const answer = await fetch(`${d.base}${path}`, { method });
      expect({ path, method, status: answer.status }).toEqual({ path, method, status: 404 });
      expect(answer.headers.get('content-type')).toMatch(/application\/json/);
      expect(await answer.json()).toMatchObject({ statusCode: 404, code: 'ROUTE.NOT_FOUND' });
    }
    const docs = await fetch(`${d.base}/api/docs-json`);
    expect(docs.status).toBe(200);
    const unauthenticated = await fetch(`${d.base}/api/agents/a-1`);
    expect(unauthenticated.status).toBe(401);
  });
});

describeInBrowser('the agent desk in Chromium', () => {
  let d: DeskApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let link: string;
  let linkToken: string;
  let admin: string;
  let channel: string;
  const problems: string[] = [];
  const browserRequests: string[] = [];

  const open = async (id: string, queueId = 'support', channelName = 'sms') => {
    const answer = await d.call('POST', '/api/conversations', channel, { id, channel: channelName, queueId, customerId: `cust-${id}` });
    expect(answer.status).toBe(201);
  };
  const watch = (tab: Page) => {
    tab.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    tab.on('console', (message) => {
      // Refusals the desk handles (401, 404 naming an unknown agent, 409, 412) are logged by Chromium as failed loads: not problems.
      if (
        message.type() === 'error' &&
        !/Failed to load resource: the server responded with a status of (401|404|409|412)/.test(message.text())
      )
        problems.push(`console: ${message.text()}`);
    });
    tab.on('request', (request) => browserRequests.push(request.url()));
  };
  const status = () => page.locator('[data-field="status"]').innerText();
  const mySection = () => page.getByRole('region', { name: 'My work items' });
  const capacity = (what: string) => page.locator(`[data-capacity="${what}"]`).innerText();
  const expectAccessible = async (tab: Page, screen: string) => {
    expect({ screen, violations: await seriousAxeViolations(tab) }).toEqual({ screen, violations: [] });
  };
  /** Holds the desk's reads (its periodic refresh) until released, so a change made meanwhile is one it has not seen. */
  const holdReads = async (tab: Page) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handler = async (route: Route) => {
      if (route.request().method() === 'GET') await gate;
      // A held read the page gave up meanwhile (a live stream it reopened) has nothing left to continue.
      await route.continue().catch(() => undefined);
    };
    await tab.route('**/api/**', handler);
    return async () => {
      release();
      await tab.unroute('**/api/**', handler);
    };
  };

  beforeAll(async () => {
    browser = await launchChromium();
    d = await startDeskApp();
    admin = await d.token('admin-1', ['admin'], 24 * HOUR);
    channel = await d.token('web-chat', ['channel'], 24 * HOUR);
    for (const id of ['support', 'billing']) expect((await d.call('POST', '/api/queues', admin, { id, mode: 'pick' })).status).toBe(201);
    for (const id of ['a-1', 'a-2'])
      expect((await d.call('POST', '/api/agents', admin, { id, capacity: 3, queueIds: ['support'], presence: 'available' })).status).toBe(
        201,
      );
    await open('c-1');
    await open('c-2');
    await open('c-3', 'support', 'live_chat');
    link = d.loginLink('a-1', 'agent');
    linkToken = /#token=(.+)$/.exec(link)?.[1] as string;
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: TIME_ZONE });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watch(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await d?.close();
  });

  it('signs in through a login link: the token leaves the address bar at once and never reaches the server in a URL', async () => {
    expect(link).toMatch(new RegExp(`^${d.base}/#token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    await page.goto(link);
    await page.getByRole('heading', { name: 'Agent desk', level: 1 }).waitFor();
    expect(page.url()).toBe(`${d.base}/#/`);
    expect(await page.evaluate(() => sessionStorage.getItem('desk.token'))).toBe(linkToken);
    await page.getByRole('button', { name: 'Pick c-1' }).waitFor();
    expect(await page.getByText('Signed in as').innerText()).toContain('a-1');

    expect(d.receivedUrls.length).toBeGreaterThan(3);
    expect(d.receivedUrls.filter((url) => url.includes(linkToken) || url.includes('token='))).toEqual([]);
    expect(browserRequests.filter((url) => url.includes(linkToken))).toEqual([]);
    await expectAccessible(page, 'desk, nothing open');
  }, 60_000);

  it("switches presence, as the agent's own stream then says", async () => {
    const a1 = await d.token('a-1', ['agent']);
    await page.getByRole('button', { name: 'Away' }).click();
    await page.getByText('Presence set to Away.').waitFor();
    expect(await page.getByRole('button', { name: 'Away' }).getAttribute('aria-pressed')).toBe('true');
    expect((await d.call('GET', '/api/agents/a-1', a1)).body).toMatchObject({ presence: 'away' });
    await page.getByRole('button', { name: 'Available' }).click();
    await eventually(async () => (await d.call('GET', '/api/agents/a-1', a1)).body.presence === 'available', 'available again');
    expect(await page.getByRole('button', { name: 'Available' }).getAttribute('aria-pressed')).toBe('true');
  }, 60_000);

  it('picks an open item, works it (End, then Close session out of wrap-up) and finds it in Closed work items', async () => {
    await page.getByRole('button', { name: 'Pick c-1' }).click();
    await page.getByRole('heading', { name: 'Conversation c-1' }).waitFor();
    expect(page.url()).toBe(`${d.base}/#/conversations/c-1`);
    await eventually(async () => (await status()).startsWith('Active'), 'c-1 active');
    await mySection().getByRole('link', { name: 'c-1' }).waitFor();
    await eventually(async () => (await capacity('used')) === '1', 'one unit used');
    expect(await page.getByRole('button', { name: 'Pick c-1' }).count()).toBe(0);

    // Times are the browser's: the timeline's first entry in Asia/Kolkata, as the page's own clock reads it.
    const first = page.locator('.timeline time').first();
    const at = (await first.getAttribute('datetime')) as string;
    const local = new Intl.DateTimeFormat('en-US', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(
      new Date(at),
    );
    expect(await first.innerText()).toBe(local);
    await expectAccessible(page, 'desk, conversation open');

    await page.getByRole('button', { name: 'End', exact: true }).click();
    await eventually(async () => (await status()).startsWith('Wrap-up'), 'c-1 in wrap-up');
    await eventually(async () => (await capacity('blocked')) === '1' && (await capacity('used')) === '0', 'wrap-up blocking one unit');

    await page.getByRole('button', { name: 'Close session' }).click();
    await eventually(async () => (await status()).startsWith('Closed'), 'c-1 closed');
    const closed = page.getByRole('region', { name: 'Closed work items (last 24 h)' });
    await closed.getByRole('link', { name: 'c-1' }).waitFor();
    expect(await closed.innerText()).toContain('agent a-1');
    await page.getByText('Nothing is assigned to you.').waitFor();
    await eventually(async () => (await capacity('free')) === '3', 'capacity free again');
    expect(await page.locator('.timeline li').allInnerTexts()).toEqual([
      expect.stringMatching(/Opened[\s\S]*customer cust-c-1/),
      expect.stringMatching(/Picked[\s\S]*agent a-1[\s\S]*agent picked from queue/),
      expect.stringMatching(/agent a-1[\s\S]*agent pressed end/),
      expect.stringMatching(/agent a-1[\s\S]*agent closed session after wrap up/),
    ]);
    await expectAccessible(page, 'desk, conversation closed');
  }, 60_000);

  it('a 412 after a concurrent change says what changed, shows the conversation as it is, and the next action works', async () => {
    await page.getByRole('button', { name: 'Pick c-2' }).click();
    await page.getByRole('heading', { name: 'Conversation c-2' }).waitFor();
    await eventually(async () => (await status()).startsWith('Active'), 'c-2 active');
    expect(await page.locator('[data-field="revision"]').innerText()).toBe('1');

    const release = await holdReads(page);
    try {
      // The same agent, from elsewhere, parks it behind the desk's back.
      const parked = await d.call('POST', '/api/conversations/c-2/close-session', await d.token('a-1', ['agent']), {});
      expect(parked.body).toMatchObject({ status: 'waiting', revision: 2 });
      const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/conversations/c-2/end'));
      await page.getByRole('button', { name: 'End', exact: true }).click();
      const answer = await refused;
      expect(answer.status()).toBe(412);
      expect(answer.request().headers()['if-match']).toBe('"1"');
    } finally {
      await release();
    }
    const alert = page.locator('.conflict');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(
      /c-2 changed before your “End” went through, so nothing was done\. You saw it Active at revision 1; it is now Waiting at revision 2/,
    );
    expect(await alert.innerText()).toMatch(/Parked by agent a-1 \(agent closed session without ending\)/);
    await eventually(async () => (await status()).startsWith('Waiting'), 'c-2 shown waiting');
    expect(await page.getByRole('button', { name: 'End', exact: true }).count()).toBe(0);
    await expectAccessible(page, 'desk, conflict shown');

    await page.getByRole('button', { name: 'Revive' }).click();
    await eventually(async () => (await status()).startsWith('Active'), 'c-2 active again');
    await page.getByText('Revive: done. c-2 is now Active.').waitFor();
    expect(await alert.count()).toBe(0);
  }, 60_000);

  it('a 409 on Pick after another agent took the item says so and reloads the queue', async () => {
    // a-1 had c-3 once and released it: a-1 may still read it, so the refusal says where it stands (409).
    const a1 = await d.token('a-1', ['agent']);
    expect((await d.call('POST', '/api/conversations/c-3/pick', a1, {})).status).toBe(200);
    const released = await d.call('POST', '/api/conversations/c-3/release', a1, {});
    expect(released.body).toMatchObject({ status: 'open' });
    // The views (which say whom a conversation concerns) include the release before anyone acts on it.
    expect((await d.call('GET', `/api/queues/support/work-items?minPosition=${released.body.position}`, a1)).status).toBe(200);
    await page.getByRole('button', { name: 'Pick c-3' }).waitFor();
    const release = await holdReads(page);
    try {
      const taken = await d.call('POST', '/api/conversations/c-3/pick', await d.token('a-2', ['agent']), {});
      expect(taken.body).toMatchObject({ status: 'active' });
      const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/conversations/c-3/pick'));
      await page.getByRole('button', { name: 'Pick c-3' }).click();
      expect((await refused).status()).toBe(409);
    } finally {
      await release();
    }
    await page.getByText('c-3 could not be picked: it changed in the meantime (now Active). The lists are reloaded.').waitFor();
    await eventually(async () => (await page.getByRole('button', { name: 'Pick c-3' }).count()) === 0, 'c-3 gone from the queue');
    await page.getByText('No open items in support.').waitFor();
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await eventually(async () => (await page.getByText('c-3 could not be picked').count()) === 0, 'the notice dismissed');
  }, 60_000);

  it('is live: a customer message and a new open item show up while the change stream is open (the fallback reload only runs while it is down)', async () => {
    const live = page.locator('[data-live="live"]');
    await live.waitFor();
    expect(await mySection().locator('td.unread').count()).toBe(0);
    await d.call('POST', '/api/conversations/c-2/messages', channel, { from: 'customer' });
    await open('c-5', 'support', 'sms');
    await page.getByRole('button', { name: 'Pick c-5' }).waitFor();
    await eventually(async () => (await mySection().locator('td.unread').count()) === 1, 'the unread message, live');
    expect(await mySection().locator('td.unread').innerText()).toMatch(/^1\b/);
    expect(await live.count()).toBe(1);
    // Another agent's item and another queue's item change nothing here.
    await open('b-1', 'billing');
    await page.getByRole('button', { name: 'Pick c-5' }).waitFor();
    expect(await page.getByRole('button', { name: 'Pick b-1' }).count()).toBe(0);
  }, 60_000);

  it('a push arrives live with its countdown and is accepted before it runs out', async () => {
    await open('c-6');
    const supervisor = await d.token('sup-1', ['supervisor']);
    expect((await d.call('POST', '/api/conversations/c-6/assign', supervisor, { agentId: 'a-1' })).status).toBe(200);
    const incoming = page.getByRole('region', { name: 'Incoming: c-6' });
    await incoming.waitFor();
    // PUSH_RESERVATION_TIMEOUT is 2 minutes by default: the countdown starts near it, on the service's clock.
    await eventually(async () => /^[12]:\d\d$/.test(await incoming.getByRole('timer').innerText()), 'the countdown');
    await expectAccessible(page, 'desk, incoming push');
    const accepted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/conversations/c-6/accept'));
    await incoming.getByRole('button', { name: 'Accept c-6' }).click();
    const answer = await accepted;
    expect(answer.status()).toBe(200);
    // No If-Match: a customer message meanwhile must not make the offer unanswerable.
    expect(answer.request().headers()['if-match']).toBeUndefined();
    await page.getByRole('heading', { name: 'Conversation c-6' }).waitFor();
    await eventually(async () => (await status()).startsWith('Active'), 'c-6 active');
    await eventually(async () => (await incoming.count()) === 0, 'the offer gone once accepted');
  }, 60_000);

  it('transfers to another agent by id: it leaves My work items; an unknown agent is refused with the reason', async () => {
    await page.getByRole('heading', { name: 'Conversation c-6' }).waitFor();
    await page.getByLabel('Transfer to agent').fill('nobody');
    await page.getByRole('button', { name: 'Transfer to agent' }).click();
    await page.getByText(/Transfer to agent nobody was refused: .*nobody/).waitFor();
    await page.getByLabel('Transfer to agent').fill('a-2');
    await page.getByRole('button', { name: 'Transfer to agent' }).click();
    await page.getByText('Transfer to agent a-2: done. c-6 is now Active.').waitFor();
    await eventually(async () => (await mySection().getByRole('link', { name: 'c-6' }).count()) === 0, 'c-6 gone from My work items');
    await expectAccessible(page, 'desk, transferred');
  }, 60_000);

  it('looks like docs/desk-agent.png at 1280×800 and works at 390 px wide (docs/desk-agent-phone.png)', async () => {
    await open('c-4', 'support', 'live_chat');
    await d.call('POST', '/api/conversations/c-2/messages', channel, { from: 'customer' });
    await page.getByRole('button', { name: 'Pick c-4' }).waitFor();
    await eventually(async () => (await mySection().locator('td.unread').count()) === 1, 'the unread message');
    await page.getByRole('link', { name: 'c-2' }).first().click();
    await page.getByRole('heading', { name: 'Conversation c-2' }).waitFor();
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
      await tab.goto(link);
      await tab.getByRole('heading', { name: 'Agent desk', level: 1 }).waitFor();
      await tab.getByRole('link', { name: 'c-2' }).first().click();
      await tab.getByRole('heading', { name: 'Conversation c-2' }).waitFor();
      await tab.getByRole('button', { name: 'Pick c-4' }).waitFor();
      // Nothing wider than the screen but the tables, which scroll inside their own region.
      expect(await tab.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await expectAccessible(tab, 'desk on a phone');
      await tab.screenshot({ path: PHONE_SCREENSHOT });
      expect(readFileSync(PHONE_SCREENSHOT).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await phone.close();
    }
  }, 90_000);

  it('an expired session (401) shows the sign-in screen over the desk, which is as it was after signing in again', async () => {
    expect(page.url()).toBe(`${d.base}/#/conversations/c-2`);
    d.clock.advance(9 * HOUR); // the link's token lived 8 hours
    await page.getByRole('heading', { name: 'Your session ended' }).waitFor({ timeout: 20_000 });
    expect(page.url()).toBe(`${d.base}/#/conversations/c-2`);
    expect(await page.evaluate(() => sessionStorage.getItem('desk.token'))).toBeNull();
    expect(await page.getByRole('heading', { name: 'Agent desk', level: 1 }).count()).toBe(0);
    await expectAccessible(page, 'sign-in, session ended');

    await page.getByLabel('Sign-in link or token').fill(`${d.base}/#token=${await d.token('a-1', ['agent'])}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Conversation c-2' }).waitFor();
    expect(page.url()).toBe(`${d.base}/#/conversations/c-2`);
    await eventually(async () => (await status()).startsWith('Active'), 'c-2 shown again');
    await page.getByRole('region', { name: 'Closed work items (last 24 h)' }).getByRole('link', { name: 'c-1' }).waitFor();
  }, 60_000);

  it('signs out: the token is gone from the tab, and a reload stays signed out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You signed out' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('desk.token'))).toBeNull();
    expect(page.url()).toBe(`${d.base}/#/`);
    await expectAccessible(page, 'sign-in, signed out');
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to the agent desk' }).waitFor();

    expect(d.receivedUrls.filter((url) => url.includes('token='))).toEqual([]);
    expect(problems).toEqual([]);
  }, 60_000);
});
