// GraphiQL at GET /graphql, in a real browser (Debian's Chromium driven by playwright-core) against the
// gateway on a real port: the token goes in the Headers tab, and a subscription to a local analysis's
// progress streams its events into the result pane over WebSocket.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { analyze, createIncident, waitForRun, finished } from '../support/analysis.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { browserAvailable, launchBrowser } from '../support/browser.ts';
import { ROOT } from '../support/process.ts';

const HAVE_BROWSER = browserAvailable("the GraphiQL browser test");

const SHOTS = join(ROOT, 'test-results', 'graphiql');

describe.skipIf(!HAVE_BROWSER)('GraphiQL in a browser', () => {
  let t: TestApp;
  let origin: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const shot = async (name: string) => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };

  /** Replaces a Monaco editor's whole text by pasting it (typing would auto-close quotes and braces). */
  const pasteInto = async (editor: ReturnType<Page['locator']>, text: string) => {
    await editor.click();
    await page.evaluate((value) => navigator.clipboard.writeText(value), text);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('ControlOrMeta+V');
    await expect.poll(() => editor.locator('.view-lines').innerText().then((shown) => shown.replace(/\s+/g, ''))).toBe(text.replace(/\s+/g, ''));
  };

  beforeAll(async () => {
    t = await createTestApp();
    origin = `http://127.0.0.1:${await t.app.start(0, '127.0.0.1')}`;
    await mkdir(SHOTS, { recursive: true });
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  // A failing step leaves a picture of the page it failed on.
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page) await shot(`failed-${task.name.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => {});
  });

  it('streams an analysis run\'s progress with the token from the Headers tab', async () => {
    const incidentId = await createIncident(t, { title: 'Disk full on db-1', severity: 'HIGH' });
    const run = await analyze(t, incidentId, { provider: 'LOCAL' });
    const done = await waitForRun(t, run.id, finished);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.events.length).toBeGreaterThan(1);
    const last = done.events.at(-1)!;

    await page.goto(`${origin}/graphql`, { waitUntil: 'load' });
    const queryEditor = page.locator('.graphiql-query-editor');
    await queryEditor.locator('.view-lines').waitFor();

    await page.getByRole('button', { name: 'Headers' }).click();
    const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor').filter({ visible: true }).first();
    await headersEditor.locator('.view-lines').waitFor();
    await pasteInto(headersEditor, JSON.stringify({ Authorization: `Bearer ${t.adminToken}` }, null, 2));

    const subscription = `subscription {\n  analysisProgress(runId: "${run.id}") {\n    seq stage progress status\n  }\n}`;
    await pasteInto(queryEditor, subscription);
    await shot('01-ready');

    await page.locator('button.graphiql-execute-button').click();
    const response = page.locator('.graphiql-response');
    // Each event replaces the last in the pane: the terminal one stays.
    await expect.poll(() => response.innerText(), { timeout: 20_000 }).toContain('SUCCEEDED');
    const text = await response.innerText();
    expect(text).toContain('"done"');
    expect(text).toMatch(new RegExp(`"seq":\\s*${last.seq}\\b`));
    expect(text).not.toContain('UNAUTHENTICATED');
    expect(text).not.toContain('errors');
    await shot('02-subscription-done');

    expect(pageErrors).toEqual([]);
  });
});
