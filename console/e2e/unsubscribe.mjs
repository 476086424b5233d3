// Drives the unsubscribe pages (/u/<token>) in Debian's Chromium (playwright-core): the
// link opened (unsubscribed at once), the undo button with JavaScript off (a plain form),
// the page in Spanish, and a forged link. Every page is checked with axe-core (WCAG 2.2
// AA) at phone size and desktop. Prints one JSON line with what it saw.
// Usage: node e2e/unsubscribe.mjs   (tests/e2e/test_unsubscribe_pages.py runs it)
// Environment: LISTFLOW_GATEWAY, LISTFLOW_E2E_OUT, LISTFLOW_E2E_INPUT (JSON: link),
// CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { axe } from './a11y.mjs';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const gateway = process.env.LISTFLOW_GATEWAY ?? 'http://127.0.0.1:8000';
const out = process.env.LISTFLOW_E2E_OUT ?? join(tmpdir(), 'listflow-unsubscribe-e2e');
const input = JSON.parse(process.env.LISTFLOW_E2E_INPUT ?? '{}');
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } };
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

async function check(page, name, seen) {
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    seen.violations.push(...(await axe(page, `${name}-${size}`)));
    await page.screenshot({ path: join(out, 'screenshots', `unsubscribe-${name}-${size}.png`), fullPage: true });
  }
  seen.pages.push({ name, h1: (await page.locator('h1').first().textContent()).trim() });
}

async function browser(options) {
  const profile = mkdtempSync(join(tmpdir(), 'listflow-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: SIZES.phone,
    bypassCSP: true, // axe is injected as an inline script, by the test alone
    args: ARGS,
    ...options,
  });
  return { context, profile, page: context.pages()[0] ?? (await context.newPage()) };
}

async function main() {
  mkdirSync(join(out, 'screenshots'), { recursive: true });
  const seen = { violations: [], pages: [], noScript: {} };
  const opened = [];
  try {
    // Without JavaScript: the link unsubscribes, the undo button is a plain form.
    const plain = await browser({ javaScriptEnabled: false });
    opened.push(plain);
    await plain.page.goto(input.link);
    seen.noScript.opened = (await plain.page.locator('h1').textContent()).trim();
    await plain.page.getByRole('button', { name: 'Subscribe again' }).click();
    await plain.page.waitForLoadState();
    seen.noScript.undone = (await plain.page.locator('h1').textContent()).trim();

    const full = await browser({});
    opened.push(full);
    const { page } = full;
    await page.goto(input.link);
    await check(page, 'unsubscribed', seen);
    await page.getByRole('button', { name: 'Subscribe again' }).click();
    await page.waitForLoadState();
    await check(page, 'resubscribed', seen);
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'es-ES,es;q=0.9' });
    await page.goto(input.link);
    await check(page, 'unsubscribed-es', seen);
    await page.setExtraHTTPHeaders({});
    await page.goto(`${gateway}/u/bm8.m1.${'0'.repeat(32)}`);
    await check(page, 'invalid', seen);
    process.stdout.write(`${JSON.stringify({ ok: true, ...seen })}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: String(err.stack ?? err), ...seen })}\n`);
    process.exitCode = 1;
  } finally {
    for (const { context, profile } of opened) {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
}

await main();
