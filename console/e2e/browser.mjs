// What the console's browser scripts share: Debian's Chromium driven by playwright-core (no
// browser download), the scenario's inputs, sign-in, figures read off a page, screenshots,
// and the runner that prints one JSON line with what a scenario saw.
// Environment: LISTFLOW_GATEWAY, LISTFLOW_API_KEY, LISTFLOW_E2E_OUT (screenshots, downloads),
// LISTFLOW_E2E_INPUT (a JSON object of scenario inputs), CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const gateway = process.env.LISTFLOW_GATEWAY ?? 'http://127.0.0.1:8000';
export const apiKey = process.env.LISTFLOW_API_KEY ?? '';
export const out = process.env.LISTFLOW_E2E_OUT ?? join(tmpdir(), 'listflow-console-e2e');
export const input = JSON.parse(process.env.LISTFLOW_E2E_INPUT ?? '{}');
export const STEP = 60_000; // generous: the machine is shared; nothing below asserts on time

export async function shot(page, name) {
  await page.screenshot({ path: join(out, 'screenshots', `${name}.png`), fullPage: true });
}

export async function signIn(page, key = apiKey) {
  await page.goto(`${gateway}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The figures of a CountsGrid, by their lowercased labels. */
export async function figures(page, groupLabel) {
  const group = page.getByLabel(groupLabel, { exact: true });
  await group.waitFor({ timeout: STEP });
  return group.evaluate((dl) =>
    Object.fromEntries(
      [...dl.querySelectorAll('[data-figure]')].map((dd) => [
        dd.getAttribute('data-figure'),
        Number(dd.textContent.replace(/[^0-9]/g, '')),
      ]),
    ),
  );
}

/** GET on the public API with the scenario's key (what the test compares the page with). */
export async function api(path) {
  const response = await fetch(`${gateway}${path}`, { headers: { 'X-API-Key': apiKey } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Waits until a Mantine dialog has faded in: axe reads colours once it is fully shown. */
export async function dialogShown(page) {
  const dialog = page.getByRole('dialog');
  await dialog.waitFor({ timeout: STEP });
  await page.waitForFunction(() => {
    const content = document.querySelector('.mantine-Modal-content');
    return content && getComputedStyle(content).opacity === '1';
  }, null, { timeout: STEP });
  return dialog;
}

/** Runs the scenario named on the command line in a fresh Chromium profile and prints one
 * JSON line: `ok`, what the scenario returned, and the page's errors. */
export async function runScenario(scenarios) {
  const name = process.argv[2];
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
  mkdirSync(join(out, 'screenshots'), { recursive: true });
  mkdirSync(join(out, 'downloads'), { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'listflow-chromium-'));
  // Debian's Chromium, kept off the network except for the gateway (see NOTES.md).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  try {
    const result = await scenario(page);
    process.stdout.write(`${JSON.stringify({ ok: true, ...result, pageErrors: consoleErrors })}\n`);
  } catch (err) {
    await shot(page, `${name}-failure`).catch(() => {});
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: String(err.stack ?? err), url: page.url(), pageErrors: consoleErrors })}\n`,
    );
    process.exitCode = 1;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

export const SIZES = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };

/** axe (WCAG 2.2 AA tags) and a screenshot of the page at 1280 wide and at 390x844; the
 * page is left at desktop size. */
export async function checkSizes(page, name, axe) {
  const violations = [];
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    violations.push(...(await axe(page, `${name}-${size}`)));
    await shot(page, `${name}-${size}`);
  }
  await page.setViewportSize(SIZES.desktop);
  return violations;
}

/** The error text an input's aria-describedby points at (Mantine's field error), or null. */
export async function fieldError(locator) {
  return locator.evaluate((el) => {
    if (el.getAttribute('aria-invalid') !== 'true') return null;
    const ids = (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
    const texts = ids.filter((id) => id.endsWith('-error')).map((id) => document.getElementById(id)).filter(Boolean);
    return texts.map((n) => n.textContent).join(' ') || null;
  });
}

/** Whether anything scrolls sideways around the table named `name`: a box between it and
 * the main area, the table past the main area, or the page; and its visible headers. */
export async function sideways(page, name) {
  const table = page.getByRole('table', { name });
  await table.waitFor({ timeout: STEP });
  return table.evaluate((t) => {
    const boxes = [];
    for (let el = t.parentElement; el && el.tagName !== 'MAIN'; el = el.parentElement) boxes.push(el);
    const main = t.closest('main');
    return {
      boxScrolls: boxes.some((el) => el.scrollWidth > el.clientWidth + 1),
      tableWider: t.getBoundingClientRect().right > main.getBoundingClientRect().right + 1,
      pageScrolls: document.documentElement.scrollWidth > window.innerWidth,
      headers: [...t.querySelectorAll('thead th')].filter((th) => getComputedStyle(th).display !== 'none').map((th) => th.textContent),
    };
  });
}
