// Drives the customer portal (/p) in Debian's Chromium (playwright-core, no browser
// download) against a running gateway and payment simulator: ID&V, accounts, paying with
// the keyboard alone through the provider's page, receipt, history, promise and plan pages.
// Every page is checked with axe-core (WCAG 2.2 AA tags) at phone size and desktop, and
// screenshotted. Prints one JSON line with what it saw.
// Usage: node e2e/portal.mjs   (tests/e2e/test_portal_pages.py runs it)
// Environment: LISTFLOW_GATEWAY, LISTFLOW_E2E_OUT, LISTFLOW_E2E_INPUT (JSON: token, account,
// dateOfBirth, postcode), CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { axe } from './a11y.mjs';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const gateway = process.env.LISTFLOW_GATEWAY ?? 'http://127.0.0.1:8000';
const out = process.env.LISTFLOW_E2E_OUT ?? join(tmpdir(), 'listflow-portal-e2e');
const input = JSON.parse(process.env.LISTFLOW_E2E_INPUT ?? '{}');
const STEP = 60_000; // generous: the machine is shared; nothing below asserts on time
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } };

/** axe and a screenshot of the page at both sizes (the page is left at phone size). */
async function check(page, name, seen) {
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    seen.violations.push(...(await axe(page, `${name}-${size}`)));
    await page.screenshot({ path: join(out, 'screenshots', `portal-${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(SIZES.phone);
  seen.pages.push({ name, url: new URL(page.url()).pathname, h1: await page.locator('h1').first().textContent() });
}

/** Press Tab until the focused element satisfies `wanted` (by its id, name or text). */
async function tabTo(page, wanted) {
  for (let i = 0; i < 60; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      return el ? { id: el.id, name: el.getAttribute('name'), text: (el.textContent || el.value || '').trim() } : {};
    });
    if (wanted(focused)) return focused;
  }
  throw new Error(`Tab never reached the wanted element on ${page.url()}`);
}

async function run(page) {
  const seen = { violations: [], pages: [], keyboard: {} };

  await page.goto(`${gateway}/p/not-a-valid-token-at-all`);
  await check(page, 'invalid', seen);

  await page.goto(`${gateway}/p/${input.token}`);
  await page.waitForURL(/\/p\/verify$/, { timeout: STEP });
  await check(page, 'verify', seen);
  // Keyboard alone from here to the receipt.
  await tabTo(page, (f) => f.id === 'date_of_birth');
  await page.keyboard.type(input.dateOfBirth);
  await tabTo(page, (f) => f.id === 'postcode');
  await page.keyboard.type(input.postcode);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/p\/accounts$/, { timeout: STEP });
  await check(page, 'accounts', seen);

  await tabTo(page, (f) => f.text.startsWith('Pay') && !f.text.startsWith('Payment'));
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/p\/pay/, { timeout: STEP });
  await check(page, 'pay', seen);
  await tabTo(page, (f) => f.id === 'amount');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('10.00');
  await tabTo(page, (f) => f.text === 'Continue to payment');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/pay\/pi_/, { timeout: STEP });
  seen.keyboard.providerPage = new URL(page.url()).origin !== new URL(gateway).origin;
  await page.screenshot({ path: join(out, 'screenshots', 'portal-provider-phone.png'), fullPage: true });
  await tabTo(page, (f) => f.id === 'card');
  await page.keyboard.type('4242 4242 4242 4242');
  await tabTo(page, (f) => f.id === 'exp');
  await page.keyboard.type('12/34');
  await tabTo(page, (f) => f.id === 'cvc');
  await page.keyboard.type('123');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/p\/payments\//, { timeout: STEP });
  await check(page, 'receipt', seen);
  seen.keyboard.receipt = await page.locator('h1').textContent();

  await page.goto(`${gateway}/p/history`);
  await check(page, 'history', seen);
  await page.goto(`${gateway}/p/promise?account=${encodeURIComponent(input.account)}`);
  await check(page, 'promise', seen);
  await page.goto(`${gateway}/p/plan?account=${encodeURIComponent(input.account)}`);
  await check(page, 'plan', seen);
  await page.getByRole('button', { name: 'See the schedule' }).click();
  await page.waitForURL(/\/p\/plan$/, { timeout: STEP });
  await check(page, 'plan-schedule', seen);
  await page.getByRole('button', { name: 'I agree to this plan' }).click();
  await page.waitForURL(/\/p\/plan$/, { timeout: STEP });
  await check(page, 'plan-agreed', seen);
  // The plan's instalments on the history page, each payable by choice.
  await page.goto(`${gateway}/p/history`);
  await check(page, 'history-plan', seen);
  await page.getByRole('link', { name: 'Pay instalment 2' }).click();
  await page.waitForURL(/\/p\/pay\?/, { timeout: STEP });
  await check(page, 'pay-instalment', seen);
  await page.goto(`${gateway}/p/accounts?lang=es`);
  await check(page, 'accounts-es', seen);
  seen.spanish = await page.locator('h1').textContent();
  await page.goto(`${gateway}/p/accounts?lang=en`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await check(page, 'signed-out', seen);
  await page.goto(`${gateway}/p/accounts`);
  await check(page, 'ended', seen);
  return seen;
}

async function main() {
  mkdirSync(join(out, 'screenshots'), { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'listflow-chromium-'));
  // Debian's Chromium, kept off the network except for the gateway (see NOTES.md).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: SIZES.phone,
    // The pages' CSP refuses inline scripts; axe is injected as one, by the test alone.
    bypassCSP: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  try {
    const result = await run(page);
    process.stdout.write(`${JSON.stringify({ ok: true, ...result, pageErrors })}\n`);
  } catch (err) {
    await page.screenshot({ path: join(out, 'screenshots', 'portal-failure.png') }).catch(() => {});
    process.stdout.write(`${JSON.stringify({ ok: false, error: String(err.stack ?? err), url: page.url(), pageErrors })}\n`);
    process.exitCode = 1;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
