// The web console at /console, in a real browser (Debian's Chromium driven by playwright-core) against the
// gateway on a real port: sign-in, the usage page's numbers and charts, a live local analysis, the other
// pages; and the static route itself (types, caching, policy, no way out of its folder).
import { existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UsageWriter, type UsageEntry } from '../../src/modules/usage/usage.writer.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { startFakeOpenAiServer } from '../support/fake-llm/openai-compatible.fake.ts';
import type { FakeServer } from '../support/fake-llm/fake-http-server.ts';
import { browserAvailable, launchBrowser } from '../support/browser.ts';
import { ROOT } from '../support/process.ts';

const HAVE_BROWSER = browserAvailable("the web console's browser tests");

const SHOTS = join(ROOT, 'test-results', 'console');
// The README's image: written when missing (or with CONSOLE_SCREENSHOT=update), so runs leave git clean.
const DOC_SHOT = join(ROOT, 'docs', 'console.png');

let t: TestApp;
let fake: FakeServer;
let origin: string;
let port: number;

const day = (daysAgo: number, hour = 10) => {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() - daysAgo);
  date.setUTCHours(hour, 15, 0, 0);
  return date;
};

async function gql<Data>(query: string, variables?: Record<string, unknown>): Promise<Data> {
  const response = await t.graphql<Data>(query, { variables });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data as Data;
}

/** Usage over the last days, across providers, models and projects, as calls would have left it. */
async function seedUsage(): Promise<void> {
  const { me } = await gql<{ me: { id: string } }>('{ me { id } }');
  const project = async (name: string, description: string, templateId: string) =>
    (await gql<{ createProject: { id: string } }>('mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }', { input: { name, description, templateId } }))
      .createProject.id;
  const checkout = await project('Checkout service', 'Payments and carts', 'web-application');
  const pipeline = await project('Data pipeline', 'Nightly ETL', 'data-pipeline');
  const rows: [number, UsageEntry['provider'], string, string | null, number, number, string][] = [
    [9, 'OPENAI', 'gpt-4o-mini', checkout, 1200, 300, '0.00036000'],
    [8, 'CLAUDE', 'claude-sonnet-4-20250514', pipeline, 2400, 900, '0.02070000'],
    [8, 'OPENAI', 'gpt-4o', null, 1800, 600, '0.01050000'],
    [6, 'GEMINI', 'gemini-2.5-flash', pipeline, 5000, 1200, '0.00450000'],
    [5, 'OPENAI', 'gpt-4o-mini', checkout, 3000, 700, '0.00087000'],
    [4, 'CLAUDE', 'claude-sonnet-4-20250514', checkout, 4100, 1500, '0.03480000'],
    [3, 'OPENAI', 'gpt-4o', pipeline, 2600, 800, '0.01450000'],
    [2, 'GEMINI', 'gemini-2.5-flash', null, 7000, 2100, '0.00735000'],
    [1, 'CLAUDE', 'claude-sonnet-4-20250514', pipeline, 3300, 1100, '0.02640000'],
    [1, 'OPENAI', 'gpt-4o-mini', checkout, 900, 250, '0.00028500'],
  ];
  const writer = new UsageWriter(t.db.orm.em.fork());
  for (const [daysAgo, provider, model, projectId, inputTokens, outputTokens, cost] of rows) {
    await writer.record({ userId: me.id, projectId, provider, model, inputTokens, outputTokens, cost, latencyMs: 800, status: 'SUCCEEDED', errorClass: null, streamed: false, attempts: 1, at: day(daysAgo) });
  }
  // And today's calls through the real pipeline, to a fake OpenAI (an inactive configuration: analyses stay local).
  await gql('mutation($input: CreateIntelligenceProviderInput!) { createIntelligenceProvider(input: $input) { id } }', {
    input: { name: 'openai-fake', provider: 'OPENAI', config: { baseUrl: `${fake.baseUrl}/v1`, model: 'gpt-4o-mini' }, apiKey: 'sk-console-test-1234', description: 'A fake OpenAI for the console test' },
  });
  for (const projectId of [checkout, null, pipeline]) {
    await gql('mutation($input: CallLlmInput!) { callLlm(input: $input) { text } }', { input: { provider: 'OPENAI', prompt: 'Say hello', projectId } });
  }
}

beforeAll(async () => {
  [t, fake] = await Promise.all([createTestApp(), startFakeOpenAiServer()]);
  port = await t.app.start(0, '127.0.0.1');
  origin = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await Promise.all([t?.close(), fake?.close()]);
});

/** A raw GET with the path exactly as written (no client-side URL normalisation). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.once('error', reject);
    request.end();
  });
}

describe('the /console route', () => {
  it('serves the page with a strict policy that allows only its own import map inline', async () => {
    const page = await rawGet('/console');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toContain("default-src 'self'");
    expect(policy).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe');
    expect(page.body).toContain('<script type="importmap">');
    expect((await rawGet('/console/')).body).toBe(page.body);
  });

  it('serves the libraries from node_modules and the console files with their types, revalidated by ETag', async () => {
    const cases: [string, string, string][] = [
      ['/console/vendor/preact.mjs', 'text/javascript; charset=utf-8', 'createElement'],
      ['/console/vendor/hooks.mjs', 'text/javascript; charset=utf-8', 'useState'],
      ['/console/vendor/htm.mjs', 'text/javascript; charset=utf-8', 'export'],
      ['/console/vendor/uPlot.esm.js', 'text/javascript; charset=utf-8', 'uPlot'],
      ['/console/vendor/uPlot.min.css', 'text/css; charset=utf-8', '.uplot'],
      ['/console/app.js', 'text/javascript; charset=utf-8', 'render('],
      ['/console/pages/usage.js', 'text/javascript; charset=utf-8', 'UsagePage'],
      ['/console/console.css', 'text/css; charset=utf-8', ':root'],
      ['/console/favicon.svg', 'image/svg+xml', '<svg'],
    ];
    for (const [path, type, marker] of cases) {
      const response = await rawGet(path);
      expect(response.status, path).toBe(200);
      expect(response.headers['content-type'], path).toBe(type);
      expect(response.body, path).toContain(marker);
      const etag = String(response.headers.etag);
      expect(etag, path).toMatch(/^"[\w-]+"$/);
      const again = await rawGet(path, { 'if-none-match': etag });
      expect(again.status, path).toBe(304);
      expect(again.body).toBe('');
    }
  });

  it('never serves a file outside the console folder or the fixed list of libraries', async () => {
    const attempts = [
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/..%2fpackage.json',
      '/console/%2e%2e%2f%2e%2e%2fpackage.json',
      '/console/lib/..%2f..%2fsrc%2fapp.ts',
      '/console/vendor/../../package.json',
      '/console/vendor/..%2f..%2fpackage.json',
      '/console/vendor/preact/package.json',
      '/console/vendor/%2e%2e/%2e%2e/node_modules/preact/package.json',
      '/console/.hidden.js',
      '/console/%00app.js',
      '/console/app.js%00.css',
      '/console/lib\\..\\..\\package.json',
      '/console//etc/passwd',
      '/console/%E0%A4%A.js',
      '/console/index.ts',
      '/console/vendor/constructor',
      '/console/vendor/__proto__',
      '/console/vendor/hasOwnProperty',
    ];
    for (const path of attempts) {
      const response = await rawGet(path);
      expect(response.body, path).not.toContain('"dependencies"');
      expect(response.body, path).not.toContain('buildApp');
      expect([400, 404], path).toContain(response.status);
    }
    const head = await fetch(`${origin}/console/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await head.text()).toBe('');
    const post = await fetch(`${origin}/console/app.js`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe.skipIf(!HAVE_BROWSER)('the web console in a browser', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  /** Console errors a step expects (the browser's own line for a refused request), removed when seen. */
  const expectedConsoleErrors: RegExp[] = [];

  const shot = async (name: string) => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  /** Every input, select and textarea on the page has a label. */
  const unlabelled = () =>
    page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')]
        .filter((element) => !(element as HTMLInputElement).labels?.length && !element.getAttribute('aria-label') && !element.getAttribute('aria-labelledby'))
        .map((element) => element.outerHTML),
    );

  beforeAll(async () => {
    await Promise.all([seedUsage(), mkdir(SHOTS, { recursive: true })]);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(`${origin}/`) && !url.startsWith(`blob:${origin}/`)) foreignRequests.push(url);
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = `${message.text()} (${message.location().url})`;
      const expected = expectedConsoleErrors.findIndex((pattern) => pattern.test(text));
      if (expected === -1) consoleErrors.push(text);
      else expectedConsoleErrors.splice(expected, 1);
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  // A failing step leaves a picture of the page it failed on.
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page) await shot(`failed-${task.name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => {});
  });

  it('refuses a bad token with the API message, then signs in with a good one', async () => {
    const bad = 'agora_this-is-not-a-token';
    const refusal = await t.graphql('{ me { id } }', { token: bad });
    expect(refusal.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    if (refusal.status >= 400) expectedConsoleErrors.push(new RegExp(`status of ${refusal.status}.*/graphql`));

    await page.goto(`${origin}/console`);
    await page.getByLabel('Access token').fill(bad);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain(refusal.errors![0]!.message);
    expect(await alert.textContent()).toContain('UNAUTHENTICATED');
    await shot('01-sign-in-refused');

    await page.getByLabel('Access token').fill(t.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('viewer').waitFor();
    expect(await page.getByTestId('viewer').textContent()).toContain('admin@example.com');
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([t.adminToken]);
    expect(await page.evaluate(() => Object.values(localStorage))).toEqual([]);
  });

  it('shows the usage totals the API gives, the charts drawn, and breakdowns by provider, model and project', async () => {
    await page.getByTestId('total-cost').waitFor();
    const from = await page.getByLabel('From (UTC day)').inputValue();
    const to = await page.getByLabel('To (UTC day, included)').inputValue();
    const next = new Date(`${to}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    const filter = { from: `${from}T00:00:00Z`, to: next.toISOString() };
    const { usage } = await gql<{ usage: { totalCost: string; calls: number; totalTokens: number; byProvider: { key: string; cost: string }[] } }>(
      'query($filter: UsageFilter) { usage(filter: $filter) { totalCost calls totalTokens byProvider { key cost } } }',
      { filter },
    );
    const everything = await gql<{ usage: { totalCost: string; calls: number } }>('{ usage { totalCost calls } }');
    expect(usage.calls).toBe(13);
    expect({ totalCost: usage.totalCost, calls: usage.calls }).toEqual(everything.usage);

    expect(await page.getByTestId('total-cost').getAttribute('data-value')).toBe(usage.totalCost);
    expect(await page.getByTestId('total-cost').textContent()).toBe(`$${usage.totalCost}`);
    expect(await page.getByTestId('total-calls').getAttribute('data-value')).toBe(String(usage.calls));
    expect(await page.getByTestId('total-tokens').getAttribute('data-value')).toBe(String(usage.totalTokens));

    const providerCosts = await page.getByTestId('by-provider').locator('tbody td[data-value]').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-value')));
    expect(providerCosts.sort()).toEqual(usage.byProvider.map((bucket) => bucket.cost).sort());
    await page.getByTestId('by-project').waitFor();
    expect(await page.getByTestId('by-project').locator('tbody th').allTextContents()).toEqual(expect.arrayContaining(['Checkout service', 'Data pipeline']));

    // uPlot drew bars: pixels of the first series' colour (#0072B2) on the cost chart's canvas.
    const barPixels = async (testId: string) => {
      await page.locator(`[data-testid="${testId}"] canvas`).waitFor();
      return page.evaluate((id) => {
        const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid="${id}"] canvas`)!;
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let count = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] === 0 && data[i + 1] === 114 && data[i + 2] === 178 && data[i + 3] === 255) count++;
        return count;
      }, testId);
    };
    expect(await barPixels('cost-chart')).toBeGreaterThan(200);
    expect(await barPixels('tokens-chart')).toBeGreaterThan(200);
    expect(await page.locator('[data-testid="cost-chart"] .u-legend').textContent()).toContain('CLAUDE');
    expect(await unlabelled()).toEqual([]);
    await page.mouse.move(0, 0);
    await shot('02-usage-by-provider');
    if (!existsSync(DOC_SHOT) || process.env.CONSOLE_SCREENSHOT === 'update') {
      await mkdir(join(ROOT, 'docs'), { recursive: true });
      await writeFile(DOC_SHOT, await page.screenshot({ fullPage: false }));
      expect((await stat(DOC_SHOT)).size).toBeLessThan(300_000);
    }

    await page.getByLabel('model').check();
    await expect.poll(() => page.locator('[data-testid="cost-chart"] .u-legend').textContent().catch(() => '')).toContain('claude-sonnet-4-20250514');
    expect(page.url()).toContain('by=model');
    expect(await barPixels('cost-chart')).toBeGreaterThan(200);
    await shot('03-usage-by-model');
  });

  it('reaches the other pages by keyboard', async () => {
    await page.reload();
    await page.getByTestId('viewer').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the content');
    for (let presses = 0; presses < 10; presses++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Live runs') break;
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Live runs' }).waitFor();
    expect(page.url()).toMatch(/#\/runs$/);
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
  });

  it('starts a local analysis and follows it live to 100% and its recommendations', async () => {
    expect((await gql<{ activeIntelligenceProvider: null | object }>('{ activeIntelligenceProvider { id } }')).activeIntelligenceProvider).toBeNull();
    await page.getByLabel('Title').fill('Disk full on db-1');
    await page.getByLabel('Description').fill('The disk /var/lib/postgresql is 98% full; writes fail with "No space left on device".');
    await page.getByLabel('Severity').selectOption('HIGH');
    await page.getByLabel('Service (optional)').fill('postgres');
    expect(await unlabelled()).toEqual([]);
    await shot('04-runs-form');
    await page.getByRole('button', { name: 'Create and analyse' }).click();
    await page.waitForURL(/#\/runs\/[^/]+$/);
    const runId = decodeURIComponent(page.url().split('#/runs/')[1]!);

    await expect.poll(() => page.getByTestId('run-progress').evaluate((bar) => (bar as HTMLProgressElement).value), { timeout: 20_000 }).toBe(1);
    expect(await page.getByTestId('run-progress-text').textContent()).toBe('100%');
    await expect.poll(() => page.getByTestId('run-status').textContent()).toBe('SUCCEEDED');
    await page.getByTestId('recommendations').waitFor();

    const { analysisRun } = await gql<{ analysisRun: { status: string; progress: number; provider: string; events: { seq: number }[]; incident: { recommendations: { runId: string; title: string }[] } } }>(
      'query($id: ID!) { analysisRun(id: $id) { status progress provider events { seq } incident { recommendations { runId title } } } }',
      { id: runId },
    );
    expect(analysisRun).toMatchObject({ status: 'SUCCEEDED', progress: 1, provider: 'LOCAL' });
    const titles = analysisRun.incident.recommendations.filter((item) => item.runId === runId).map((item) => item.title);
    expect(titles.length).toBeGreaterThan(0);
    expect(await page.getByTestId('recommendations').locator('h3').allTextContents()).toEqual(titles);
    expect(await page.getByTestId('run-events').locator('li').count()).toBe(analysisRun.events.length);
    await shot('05-run-finished');

    await page.getByRole('link', { name: 'All runs' }).click();
    await page.getByTestId('past-runs').waitFor();
    expect(await page.getByTestId('past-runs').textContent()).toContain('Disk full on db-1');
    expect(await page.getByTestId('past-runs').locator(`a[href="#/runs/${runId}"]`).count()).toBe(1);
  });

  it("streams a model's answer into the page as it arrives, the progress bar moving with it", async () => {
    const answer = JSON.stringify([
      { type: 'LATENCY', title: 'Scale the orders API out', description: 'p99 doubled with traffic.', priority: 'HIGH', confidence: 0.8, actions: ['kubectl scale deploy/orders --replicas=6'] },
    ]);
    fake.script({ text: answer, deltas: answer.match(/.{1,8}/gs)!, frameDelayMs: 40 });
    await page.goto(`${origin}/console#/runs`);
    await page.getByLabel('Title').fill('Orders API latency');
    await page.getByLabel('Provider (optional)').selectOption('OPENAI');
    // Every percentage the page shows, in order.
    await page.evaluate(() => {
      const seen: string[] = [];
      Object.assign(window, { seenProgress: seen });
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="run-progress-text"]')?.textContent;
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Create and analyse' }).click();
    await page.waitForURL(/#\/runs\/[^/]+$/);
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 20_000 }).toBe('SUCCEEDED');
    expect(await page.getByTestId('run-stream').textContent()).toBe(answer);
    expect(await page.getByTestId('run-events').textContent()).toMatch(/Model output \(\d+ pieces\)/);
    await page.getByTestId('recommendations').waitFor();
    expect(await page.getByTestId('recommendations').locator('h3').allTextContents()).toEqual(['Scale the orders API out']);
    const seen = await page.evaluate(() => (window as unknown as { seenProgress: string[] }).seenProgress);
    expect(seen.at(-1)).toBe('100%');
    expect(seen.filter((text) => text !== '0%' && text !== '100%').length).toBeGreaterThan(1);
    await shot('05b-run-streamed');
  });

  it('lists projects with their specifications and downloads an export with the token', async () => {
    await page.goto(`${origin}/console#/projects`);
    await page.getByTestId('projects').waitFor();
    await page.getByRole('link', { name: 'Checkout service' }).click();
    await page.getByTestId('specifications').waitFor();
    expect(await page.getByTestId('specifications').locator('tbody tr').count()).toBeGreaterThan(0);
    await shot('06-project');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download Markdown' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.md$/);
    const path = await download.path();
    expect((await stat(path)).size).toBeGreaterThan(0);
    await page.getByTestId('export-saved').waitFor();
  });

  it('adds and revokes a key showing only its hint, and sets a budget', async () => {
    await page.goto(`${origin}/console#/keys`);
    await page.getByLabel('Provider').selectOption('MISTRAL');
    await page.getByLabel('API key').fill('mistral-secret-value-9876');
    await page.getByRole('button', { name: 'Add the key' }).click();
    await page.getByText('Added your MISTRAL key …9876.').waitFor();
    expect(await page.locator('body').textContent()).not.toContain('mistral-secret-value');
    expect(await page.getByLabel('API key').inputValue()).toBe('');
    await page.getByTestId('keys').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await expect.poll(() => page.getByTestId('keys').textContent()).toContain('revoked');
    expect(await unlabelled()).toEqual([]);
    await shot('07-keys');

    await page.goto(`${origin}/console#/budgets`);
    await page.getByLabel('Limit (USD)').fill('25.00');
    await page.getByRole('button', { name: 'Save the budget' }).click();
    await page.getByTestId('budgets').waitFor();
    const { budgets } = await gql<{ budgets: { scope: string; limit: string; spent: string }[] }>('{ budgets { scope limit spent } }');
    expect(budgets).toEqual([expect.objectContaining({ scope: 'GLOBAL', limit: '25.00000000' })]);
    expect(await page.getByTestId('budgets').textContent()).toContain(`$${budgets[0]!.limit}`);
    expect(await unlabelled()).toEqual([]);
    await shot('08-budgets');
  });

  it('lets an admin test a provider configuration and set a rate limit', async () => {
    await page.goto(`${origin}/console#/admin`);
    const row = page.getByTestId('configurations').locator('tr', { hasText: 'openai-fake' });
    await row.waitFor();
    expect(await row.textContent()).toContain('…1234');
    await row.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => row.textContent()).toContain('ok');
    const member = await t.createUser('console-member@example.com');
    await page.getByLabel('User id').fill(member.id);
    await page.getByLabel('Requests per minute').fill('30');
    await page.getByRole('button', { name: 'Save the limits' }).click();
    await page.getByText('console-member@example.com: requests 30 per minute').waitFor();
    expect(await unlabelled()).toEqual([]);
    await shot('09-admin');
  });

  it('signs out, forgetting the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access token').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('shows a member only their own usage, and no admin page', async () => {
    const member = await t.createUser('console-viewer@example.com');
    await page.getByLabel('Access token').fill(member.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('viewer').waitFor();
    expect(await page.getByRole('navigation').getByRole('link').allTextContents()).toEqual(['Usage', 'Live runs', 'Projects', 'Keys', 'Budgets']);
    // The page it was on (an admin's) refuses, saying why.
    expect(page.url()).toMatch(/#\/admin$/);
    await page.getByText('Only admins manage providers and rate limits.').waitFor();
    await page.getByRole('link', { name: 'Usage' }).click();
    expect(await page.getByTestId('total-calls').getAttribute('data-value')).toBe('0');
    await page.getByText('No calls between').waitFor();
    await page.goto(`${origin}/console#/budgets`);
    await page.getByText('You may set budgets on your own projects; you have none yet.').waitFor();
    await shot('10-member-budgets');
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  it('sent no request to another origin and raised no page or console error', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(expectedConsoleErrors).toEqual([]);
  });
});
