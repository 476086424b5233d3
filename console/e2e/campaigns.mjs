// Drives the console's campaigns and portal pages in Debian's Chromium through one scenario
// against a running gateway; prints one JSON line with what the pages showed. Every page
// state is checked with axe-core at 1280 wide and 390x844 and screenshotted.
// Usage: node e2e/campaigns.mjs <scenario>   (tests/e2e/test_console_campaigns.py runs them)
// Environment: as e2e/browser.mjs says.
import { axe } from './a11y.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  STEP, checkSizes, dialogShown, fieldError, figures, gateway, input, out, runScenario, shot, signIn,
} from './browser.mjs';

/** Signs in and opens a page from the navigation, as a supervisor does. */
async function open(page, link, heading) {
  await signIn(page);
  await page.getByRole('heading', { name: 'Upload a list' }).waitFor({ timeout: STEP });
  await page.getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor({ timeout: STEP });
}

/** Chooses an option of a Mantine Select by its label. */
async function choose(page, label, option) {
  await page.getByRole('textbox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

const scenarios = {
  async templates(page) {
    await open(page, 'Message templates', 'Message templates');
    const none = page.getByText('No message templates yet');
    await page.getByRole('table', { name: 'Message templates' }).or(none).waitFor({ timeout: STEP });
    const empty = await none.isVisible();
    const violations = await checkSizes(page, 'templates-empty', axe);

    // An email template naming a field outside the catalogue: the 422 shows under HTML.
    await page.getByRole('button', { name: 'New template' }).click();
    let form = page.getByRole('form', { name: 'New template' });
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill(input.emailName);
    await form.getByRole('textbox', { name: 'Subject', exact: true }).fill(input.subject);
    const html = form.getByLabel('HTML', { exact: true });
    await html.fill('<p>Hello {{ nick_name }}</p>');
    await form.getByRole('button', { name: 'Create the template' }).click();
    await page.waitForFunction(() => document.querySelector('textarea[aria-invalid="true"]'), null, { timeout: STEP });
    const unknownField = await fieldError(html);
    violations.push(...(await checkSizes(page, 'templates-unknown-field', axe)));
    await html.fill('<p>Hello {{ first_name }}, your balance is {{ balance }} {{ currency }}.</p>');
    await form.getByRole('button', { name: 'Create the template' }).click();
    await page.getByRole('heading', { name: `Edit ${input.emailName}` }).waitFor({ timeout: STEP });
    const emailRow = page.locator('tr', { hasText: input.emailName });
    await emailRow.waitFor({ timeout: STEP });
    const emailId = await emailRow.getAttribute('data-template-id');

    // Preview for a chosen contact (found by name).
    await page.getByLabel('Contact name or email').fill(input.contactQuery);
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    // The first contact found is chosen: its name shows in the Contact select.
    const contact = page.getByRole('textbox', { name: 'Contact', exact: true });
    const until = Date.now() + STEP;
    while ((await contact.inputValue()) !== input.contactName) {
      if (Date.now() > until) throw new Error(`no contact ${input.contactName} was found`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await contact.click();
    const offered = await page.getByRole('option').allTextContents();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Show the preview' }).click();
    await page.getByTestId('template-preview').waitFor({ timeout: STEP });
    const preview = {
      subject: await page.getByTestId('preview-subject').textContent(),
      text: await page.getByTestId('preview-text').textContent(),
      // The HTML part, as the sandboxed frame shows it.
      html: await page.frameLocator('iframe[title="HTML preview"]').locator('p').textContent({ timeout: STEP }),
    };
    violations.push(...(await checkSizes(page, 'templates-preview', axe)));

    // An SMS template: the segment count follows the typing (the API's count).
    await page.getByRole('button', { name: 'New template' }).click();
    form = page.getByRole('form', { name: 'New template' });
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill(input.smsName);
    await form.getByText('SMS', { exact: true }).click();
    const body = form.getByRole('textbox', { name: 'Message', exact: true });
    await body.fill('Hi {{ first_name }}');
    await page.waitForFunction(() => /GSM-7/.test(document.querySelector('[data-testid="sms-segments"]')?.textContent ?? ''), null, { timeout: STEP });
    const gsm = await page.getByTestId('sms-segments').textContent();
    await body.fill('Hola {{ first_name }}, ¿pagas hoy? ł');
    await page.waitForFunction(() => /UCS-2/.test(document.querySelector('[data-testid="sms-segments"]')?.textContent ?? ''), null, { timeout: STEP });
    const ucs = await page.getByTestId('sms-segments').textContent();
    violations.push(...(await checkSizes(page, 'templates-sms', axe)));
    await form.getByRole('button', { name: 'Create the template' }).click();
    const smsRow = page.locator('tr', { hasText: input.smsName });
    await smsRow.waitFor({ timeout: STEP });
    const smsId = await smsRow.getAttribute('data-template-id');

    // Delete asks first: keep, then delete.
    await page.getByRole('button', { name: `Delete ${input.smsName}` }).click();
    let dialog = await dialogShown(page);
    const question = await dialog.textContent();
    violations.push(...(await axe(page, 'templates-delete')));
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    const keptRows = await page.locator('tr', { hasText: input.smsName }).count();
    await page.getByRole('button', { name: `Delete ${input.smsName}` }).click();
    dialog = await dialogShown(page);
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.locator('tr', { hasText: input.smsName }).waitFor({ state: 'detached', timeout: STEP });
    await shot(page, 'templates-list');
    return { empty, unknownField, emailId, offered, preview, gsm, ucs, smsId, question, keptRows, violations };
  },

  async 'campaign-send'(page) {
    await open(page, 'Campaigns', 'Campaigns');
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByRole('heading', { name: 'New campaign', level: 1 }).waitFor({ timeout: STEP });
    const form = page.getByRole('form', { name: 'New campaign' });
    // Sent empty: the form says what is missing next to each field, nothing is created.
    await form.getByRole('button', { name: 'Create the campaign' }).click();
    const missing = {
      name: await fieldError(form.getByRole('textbox', { name: 'Name', exact: true })),
      groups: await fieldError(form.getByLabel('Groups')),
    };
    const violations = await checkSizes(page, 'campaign-new-missing', axe);
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill(input.campaign);
    await choose(page, 'Template', input.template);
    await form.getByLabel('Groups').fill(input.group);
    await form.getByLabel('Groups').press('Enter');
    await form.getByLabel('Messages per second').fill('20');
    violations.push(...(await checkSizes(page, 'campaign-new', axe)));
    await form.getByRole('button', { name: 'Create the campaign' }).click();
    await page.waitForURL((url) => /^\/campaigns\/[A-Za-z0-9_-]+$/.test(url.pathname) && url.pathname !== '/campaigns/new', { timeout: STEP });
    const campaignId = page.url().split('/').pop();
    await page.getByRole('heading', { name: input.campaign, level: 1 }).waitFor({ timeout: STEP });
    const draft = await page.locator('[data-campaign-status]').getAttribute('data-campaign-status');
    violations.push(...(await checkSizes(page, 'campaign-draft', axe)));

    await page.getByRole('button', { name: 'Send now' }).click();
    // The page refreshes itself while sending: wait until the sender marks it completed.
    await page.waitForFunction(
      (n) => {
        const sent = document.querySelector('[aria-label="Campaign messages"] [data-figure="sent"]');
        const status = document.querySelector('[data-campaign-status]')?.getAttribute('data-campaign-status');
        return sent && Number(sent.textContent.replace(/[^0-9]/g, '')) >= n && status === 'completed';
      },
      input.expectedSent,
      { timeout: STEP * 4 },
    );
    const status = await page.locator('[data-campaign-status]').getAttribute('data-campaign-status');
    const percent = await page.getByTestId('campaign-percent').textContent();
    const finished = await page.getByText(/^Completed .*every message is settled\.$/).textContent();
    const messages = await figures(page, 'Campaign messages');
    const byReason = await figures(page, 'Suppressed by reason');
    const sum = await page.getByTestId('stats-sum').textContent();
    // Its messages, one per contact, read again once it completed.
    const ledger = page.getByRole('table', { name: 'Messages of the campaign' });
    const ledgerRows = (table) =>
      table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => ({ id: tr.dataset.messageId, state: tr.dataset.state, contact: tr.cells[0].querySelector('a')?.textContent })));
    await page.waitForFunction((n) => document.querySelectorAll('table[aria-label="Messages of the campaign"] tbody tr[data-state="sent"]').length >= n, input.expectedSent, { timeout: STEP });
    const listedMessages = await ledgerRows(ledger);
    violations.push(...(await checkSizes(page, 'campaign-sent', axe)));
    // Filtered by state: none failed.
    await choose(page, 'State', 'Failed');
    await page.getByText('No message in this state.').waitFor({ timeout: STEP });
    const failedShown = await ledger.count();
    await choose(page, 'State', 'Sent');
    await page.locator('table[aria-label="Messages of the campaign"] tbody tr').first().waitFor({ timeout: STEP });
    const sentShown = (await ledgerRows(ledger)).length;
    // The campaign file: its customers with their portal URLs, fetched with the key.
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: STEP }),
      page.getByRole('button', { name: 'Download the campaign file (CSV)' }).click(),
    ]);
    const filePath = join(out, 'downloads', `campaign-${campaignId}-${download.suggestedFilename()}`);
    await download.saveAs(filePath);
    const campaignFile = readFileSync(filePath, 'utf8');

    // The list shows it with its figures.
    await page.getByRole('link', { name: 'All campaigns' }).click();
    const row = page.locator(`tr[data-campaign-id="${campaignId}"]`);
    await row.waitFor({ timeout: STEP });
    await page.waitForFunction((id) => /[0-9]/.test(document.querySelector(`tr[data-campaign-id="${id}"] td:nth-child(6)`)?.textContent ?? ''), campaignId, { timeout: STEP });
    const listed = await row.evaluate((tr) => [...tr.cells].map((c) => c.textContent));
    violations.push(...(await checkSizes(page, 'campaigns', axe)));

    // A slow campaign (a draft the test made): pause, resume, then cancel after asking,
    // each command the status allows, by its button, while its messages are still open.
    await page.locator(`tr[data-campaign-id="${input.slowId}"] a`).first().click();
    await page.getByRole('heading', { name: input.slowName, level: 1 }).waitFor({ timeout: STEP });
    const statusIs = (wanted) =>
      page.waitForFunction((w) => document.querySelector('[data-campaign-status]')?.getAttribute('data-campaign-status') === w, wanted, { timeout: STEP });
    const statuses = [];
    await page.getByRole('button', { name: 'Send now' }).click();
    await statusIs('sending');
    statuses.push('sending');
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await statusIs('paused');
    statuses.push('paused');
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await statusIs('sending');
    statuses.push('sending');
    await page.getByRole('button', { name: 'Cancel the campaign' }).click();
    const dialog = await dialogShown(page);
    violations.push(...(await axe(page, 'campaign-cancel')));
    await dialog.getByRole('button', { name: 'Cancel the campaign' }).click();
    // axe reads colours: the dialog has to be gone, not fading out, before the next check.
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    await statusIs('cancelled');
    statuses.push('cancelled');
    const commandsLeft = await page.getByRole('button', { name: /^(Send now|Pause|Resume|Cancel the campaign)$/ }).count();
    // Its messages read again once cancelled (those already handed to the server complete).
    await page.locator('table[aria-label="Messages of the campaign"] tbody tr').first().waitFor({ timeout: STEP });
    const slowMessages = await figures(page, 'Campaign messages');
    const slowSum = await page.getByTestId('stats-sum').textContent();
    const slowListed = await ledgerRows(ledger);
    violations.push(...(await checkSizes(page, 'campaign-cancelled', axe)));
    return {
      campaignId, missing, draft, status, percent, finished, statuses, commandsLeft, messages, byReason, sum, listed,
      listedMessages, failedShown, sentShown, campaignFile, csvName: download.suggestedFilename(),
      slowMessages, slowSum, slowListed, violations,
    };
  },

  async suppressions(page) {
    await open(page, 'Suppressions', 'Suppressions');
    const violations = await checkSizes(page, 'suppressions-empty', axe);
    const form = page.getByRole('form', { name: 'Suppress an address' });
    await form.getByRole('button', { name: 'Suppress' }).click();
    const blank = await fieldError(form.getByLabel('Email address'));
    await form.getByLabel('Email address').fill(input.address);
    await form.getByLabel('Email address').press('Enter'); // by keyboard: Enter sends the form
    const row = page.locator(`tr[data-address="${input.address}"]`);
    await row.waitFor({ timeout: STEP });
    const cells = await row.evaluate((tr) => [...tr.cells].map((c) => c.textContent));
    // Listed again after a reload: the API has it.
    await page.reload();
    await row.waitFor({ timeout: STEP });
    // Its history, looked up by address.
    await page.getByLabel('Address to look up').fill(input.address);
    await page.getByRole('button', { name: 'Show the history' }).click();
    const history = page.getByRole('table', { name: `History of ${input.address}` });
    await history.waitFor({ timeout: STEP });
    const changes = await history.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    violations.push(...(await checkSizes(page, 'suppressions', axe)));

    // Campaign settings: a window that closes before it opens is refused on the page; a
    // good one is saved.
    await page.getByRole('link', { name: 'Campaign settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Campaign settings', level: 1 }).waitFor({ timeout: STEP });
    await page.getByLabel('Sending opens at').fill('22:00');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    const window = await fieldError(page.getByLabel('Sending closes at'));
    await page.getByLabel('Sending opens at').fill(input.opens);
    await page.getByLabel('Sending closes at').fill(input.closes);
    await page.getByLabel('Messages at most').fill(String(input.cap));
    await page.getByLabel('Answer to an SMS HELP').fill(input.help);
    await page.getByRole('button', { name: 'Save the settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor({ timeout: STEP });
    violations.push(...(await checkSizes(page, 'campaign-settings', axe)));
    return { blank, cells, changes, window, violations };
  },

  async portal(page) {
    await open(page, 'Portal settings', 'Portal settings');
    const violations = await checkSizes(page, 'portal-settings', axe);
    await page.getByLabel('Postcode').uncheck();
    await page.getByLabel('Last 4 digits of the account number').check();
    await page.getByLabel('A link lasts (days)').fill(String(input.expiry));
    await page.getByLabel('Payment plans').uncheck({ force: true });
    await page.getByLabel('Plan lengths (instalments)').fill('twelve');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    const instalments = await fieldError(page.getByLabel('Plan lengths (instalments)'));
    await page.getByLabel('Plan lengths (instalments)').fill('6, 3');
    await page.getByRole('button', { name: 'Save the settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor({ timeout: STEP });
    // A reload shows what the API stored.
    await page.reload();
    await page.getByLabel('A link lasts (days)').waitFor({ timeout: STEP });
    const shown = {
      postcode: await page.getByLabel('Postcode').isChecked(),
      account: await page.getByLabel('Last 4 digits of the account number').isChecked(),
      expiry: await page.getByLabel('A link lasts (days)').inputValue(),
      plans: await page.getByLabel('Payment plans').isChecked(),
      instalments: await page.getByLabel('Plan lengths (instalments)').inputValue(),
    };

    await page.getByRole('link', { name: 'Payments and ID&V', exact: true }).click();
    await page.getByRole('heading', { name: 'Payments and ID&V', level: 1 }).waitFor({ timeout: STEP });
    await page.getByText(/No payment yet|Payments, newest first/).first().waitFor({ timeout: STEP });
    violations.push(...(await checkSizes(page, 'portal-payments', axe)));
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: STEP }),
      page.getByRole('button', { name: 'Download every payment (CSV)' }).click(),
    ]);
    const path = join(out, 'downloads', `campaigns-${download.suggestedFilename()}`);
    await download.saveAs(path);
    return { instalments, shown, csvName: download.suggestedFilename(), csv: readFileSync(path, 'utf8'), gateway, violations };
  },
};

await runScenario(scenarios);
