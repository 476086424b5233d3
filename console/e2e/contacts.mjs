// The console's contacts pages, the wizard's lead-list target, saved mappings and templates,
// one record by hand, and the tables at tablet width, in Debian's Chromium against a running
// gateway; prints one JSON line with what the pages showed.
// Usage: node e2e/contacts.mjs <scenario>   (tests/e2e/test_console_contacts.py runs each)
import { axe } from './a11y.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  STEP, checkSizes, dialogShown, fieldError, figures, input, out, runScenario, shot, sideways, signIn,
} from './browser.mjs';
import { readFileInWizard } from './wizard.mjs';

async function openFromMenu(page, link, heading) {
  await page.getByRole('heading', { name: 'Upload a list' }).waitFor({ timeout: STEP });
  await page.getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor({ timeout: STEP });
}

async function totalText(page) {
  return (await page.getByTestId('contacts-total').textContent()).trim();
}

/** Waits until the search shows `expected` (the total line), then returns the rows' texts. */
async function searched(page, expected) {
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="contacts-total"]')?.textContent.trim() === want,
    expected,
    { timeout: STEP },
  );
  return page
    .locator('table[aria-label="Contacts found"] tbody tr')
    .evaluateAll((rows) => rows.map((r) => ({ id: r.getAttribute('data-contact-id'), name: r.querySelector('a').textContent })));
}

/** From the Columns step: the target, the preview, the start, and the summary's counts. */
async function previewAndImport(page, violations, prefix) {
  await page.getByRole('button', { name: 'Next: preview' }).click();
  await page.waitForFunction(
    () => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Start the import' && !b.disabled),
    null,
    { timeout: STEP },
  );
  const preview = await figures(page, 'Rows in the file');
  await page.getByRole('button', { name: 'Start the import' }).click();
  await page.waitForURL(/\/uploads\/[^/]+$/, { timeout: STEP });
  const uploadId = page.url().split('/').pop();
  await page.getByRole('heading', { name: 'Summary' }).waitFor({ timeout: STEP * 3 });
  const summary = await figures(page, 'Upload counts');
  violations.push(...(await axe(page, `${prefix}-summary`)));
  return { uploadId, preview, summary };
}

const scenarios = {
  async contacts(page) {
    const violations = [];
    await signIn(page);
    await openFromMenu(page, 'Contacts', 'Contacts');
    await page.getByTestId('contacts-total').waitFor({ timeout: STEP });
    violations.push(...(await checkSizes(page, 'contacts-all', axe)));
    // Search one group: the total, then page by page with the keyboard.
    const group = page.getByRole('textbox', { name: 'Group', exact: true });
    await group.fill(input.group);
    await page.getByRole('option', { name: input.group, exact: true }).click();
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const first = await searched(page, `Showing 1–25 of ${input.count}`);
    violations.push(...(await checkSizes(page, 'contacts-search', axe)));
    await page.getByRole('button', { name: 'Next page' }).focus();
    await page.keyboard.press('Enter');
    const second = await searched(page, `Showing 26–${input.count} of ${input.count}`);
    await page.getByRole('button', { name: 'Previous page' }).click();
    const back = await searched(page, `Showing 1–25 of ${input.count}`);
    // The group's export, as the API writes it.
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: STEP }),
      page.getByRole('button', { name: 'Export the group (CSV)' }).click(),
    ]);
    const exportPath = join(out, 'downloads', `contacts-${download.suggestedFilename()}`);
    await download.saveAs(exportPath);
    // A search nothing matches says so; a malformed phone shows the API's reason by its field.
    await page.getByLabel('Name', { exact: true }).fill('Zzyzx Nobody');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await searched(page, 'No contacts');
    const empty = await page.getByText('No contact matches this search').textContent();
    await page.getByLabel('Name', { exact: true }).fill('');
    await page.getByLabel('Phone', { exact: true }).fill('12');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('alert').waitFor({ timeout: STEP });
    const phoneProblem = await fieldError(page.getByLabel('Phone', { exact: true }));
    violations.push(...(await axe(page, 'contacts-problem')));
    await shot(page, 'contacts-problem');
    // The one contact by name, opened with the keyboard.
    await page.getByLabel('Phone', { exact: true }).fill('');
    await page.getByLabel('Name', { exact: true }).fill(input.name);
    await page.getByLabel('Name', { exact: true }).press('Enter');
    const found = await searched(page, 'Showing 1–1 of 1');
    await page.locator('table[aria-label="Contacts found"] tbody a').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/contacts\/[^/]+$/, { timeout: STEP });
    await page.getByRole('table', { name: 'Accounts and balances' }).waitFor({ timeout: STEP });
    const cells = (name) =>
      page.getByRole('table', { name }).locator('tr').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    const detail = {
      id: page.url().split('/').pop(),
      heading: await page.getByRole('heading', { level: 1 }).textContent(),
      details: await cells('Details'),
      accounts: await cells('Accounts and balances'),
      consents: await cells('Consents and where they came from'),
      groups: await page.getByTestId('groups').textContent(),
      tags: await page.getByTestId('tags').textContent(),
      text: await page.locator('main').textContent(),
      uploadLink: await page.getByRole('link', { name: /an upload, row/ }).first().getAttribute('href'),
    };
    violations.push(...(await checkSizes(page, 'contact-detail', axe)));
    // Deleting asks first: keeping it keeps it; confirming deletes it and goes back to the search.
    const deleteButton = page.getByRole('button', { name: 'Delete the contact' });
    await deleteButton.click();
    let dialog = await dialogShown(page);
    const question = await dialog.textContent();
    violations.push(...(await axe(page, 'contact-delete')));
    await shot(page, 'contact-delete');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    const keptUrl = new URL(page.url()).pathname;
    await deleteButton.click();
    dialog = await dialogShown(page);
    await dialog.getByRole('button', { name: 'Delete it' }).click();
    await page.waitForURL(/\/contacts$/, { timeout: STEP });
    return {
      first, second, back, empty, phoneProblem, found, detail, violations, question, keptUrl,
      exportName: download.suggestedFilename(),
      exported: readFileSync(exportPath, 'utf8'),
    };
  },

  async 'wizard-lead-list'(page) {
    const violations = [];
    await readFileInWizard(page, input.file);
    const fieldOf = (column) => page.getByRole('textbox', { name: `Target field for ${column}`, exact: true }).inputValue();
    const before = await fieldOf(input.phoneColumn);
    // Apply the saved mapping: the column no suggestion could guess becomes the phone.
    const chooser = page.getByRole('textbox', { name: 'Apply a saved mapping or a template', exact: true });
    await chooser.click();
    await page.getByRole('option', { name: input.mapping, exact: true }).click();
    await page.getByRole('button', { name: 'Apply to the columns' }).click();
    const appliedNote = await page.getByTestId('mapping-note').textContent();
    const after = await fieldOf(input.phoneColumn);
    violations.push(...(await checkSizes(page, 'wizard-saved-mapping', axe)));
    // Save the table under a new name.
    await page.getByLabel('Save this mapping as').fill(input.saveAs);
    await page.getByRole('button', { name: 'Save the mapping' }).click();
    await page.getByText(`Saved the mapping as "${input.saveAs}".`).waitFor({ timeout: STEP });
    // The target: an existing dialer list, its duplicate rules.
    await page.getByRole('button', { name: 'Next: target and policies' }).click();
    await page.getByLabel('Leads in a dialer list').check();
    await page.getByLabel('An existing lead list').check();
    const list = page.getByRole('textbox', { name: 'Lead list', exact: true });
    await list.click();
    await page.getByRole('option', { name: input.list, exact: true }).click();
    const scope = page.getByRole('textbox', { name: 'Look for duplicates in', exact: true });
    await scope.click();
    await page.getByRole('option', { name: 'Every list', exact: true }).click();
    const contactPolicies = await page.getByText('When no stored contact matches').count();
    violations.push(...(await checkSizes(page, 'wizard-lead-target', axe)));
    const result = await previewAndImport(page, violations, 'wizard-lead-list');
    await shot(page, 'wizard-lead-list-summary');
    return { ...result, before, after, appliedNote, contactPolicies, violations };
  },

  async 'by-hand'(page) {
    const violations = [];
    await signIn(page);
    await page.getByRole('heading', { name: 'Upload a list' }).waitFor({ timeout: STEP });
    await page.getByText('One by hand', { exact: true }).click();
    const form = page.getByRole('form', { name: 'One contact by hand' });
    await form.waitFor({ timeout: STEP });
    await form.getByLabel('New group name').fill(input.group);
    await form.getByLabel('First name', { exact: true }).fill('Rosa');
    await form.getByLabel('Last name', { exact: true }).fill('Vidal');
    await form.getByLabel('Account number', { exact: true }).fill(input.account);
    await form.getByLabel('Phone', { exact: true }).fill('not a phone');
    violations.push(...(await checkSizes(page, 'by-hand-contact', axe)));
    await form.getByRole('button', { name: 'Add the contact' }).click();
    await form.getByRole('alert').waitFor({ timeout: STEP });
    const refused = {
      alert: await form.getByRole('alert').textContent(),
      phone: await fieldError(form.getByLabel('Phone', { exact: true })),
      url: new URL(page.url()).pathname,
    };
    violations.push(...(await axe(page, 'by-hand-refused')));
    await shot(page, 'by-hand-refused');
    await form.getByLabel('Phone', { exact: true }).fill(input.phone);
    await form.getByRole('button', { name: 'Add the contact' }).click();
    await page.waitForURL(/\/uploads\/[^/]+$/, { timeout: STEP });
    const contactUpload = page.url().split('/').pop();
    await page.getByRole('heading', { name: 'Summary' }).waitFor({ timeout: STEP * 3 });
    const contactSummary = await figures(page, 'Upload counts');
    // A lead by hand into an existing list, with the keyboard for the choices.
    await page.goto(page.url().replace(/\/uploads\/.*$/, '/upload'));
    await page.getByText('One by hand', { exact: true }).click();
    await form.getByLabel('Leads in a dialer list').check();
    await form.getByLabel('An existing lead list').check();
    const list = form.getByRole('textbox', { name: 'Lead list', exact: true });
    await list.click();
    await page.getByRole('option', { name: input.list, exact: true }).click();
    const leadFields = await form.locator('input:not([type=radio])').evaluateAll((els) =>
      els.map((e) => e.labels?.[0]?.textContent ?? '').filter(Boolean),
    );
    await form.getByLabel('First name', { exact: true }).fill('Tomás');
    await form.getByLabel('Phone', { exact: true }).fill(input.leadPhone);
    violations.push(...(await checkSizes(page, 'by-hand-lead', axe)));
    await form.getByLabel('Phone', { exact: true }).press('Enter');
    await page.waitForURL(/\/uploads\/[^/]+$/, { timeout: STEP });
    const leadUpload = page.url().split('/').pop();
    await page.getByRole('heading', { name: 'Summary' }).waitFor({ timeout: STEP * 3 });
    const leadSummary = await figures(page, 'Upload counts');
    return { refused, contactUpload, contactSummary, leadFields, leadUpload, leadSummary, violations };
  },

  async tablet(page) {
    // The lead lists and the uploads at 768 px: each table fits its box, nothing scrolls.
    const violations = [];
    await signIn(page);
    await page.getByRole('heading', { name: 'Upload a list' }).waitFor({ timeout: STEP });
    await page.setViewportSize({ width: 768, height: 1024 });
    const fits = (name) => sideways(page, name);
    await page.getByRole('link', { name: 'Lead lists', exact: true }).click();
    const lists = await fits('Lead lists');
    await page.locator(`tr[data-list-id="${input.listId}"]`).waitFor({ timeout: STEP });
    const campaignShown = await page
      .locator(`tr[data-list-id="${input.listId}"] td`)
      .first()
      .getByText(input.campaign, { exact: true })
      .isVisible();
    violations.push(...(await axe(page, 'lead-lists-768')));
    await shot(page, `lead-lists-768${input.suffix ?? ''}`);
    await page.getByRole('link', { name: 'Uploads', exact: true }).click();
    const uploads = await fits('Upload history, newest first');
    violations.push(...(await axe(page, 'uploads-768')));
    await shot(page, `uploads-768${input.suffix ?? ''}`);
    return { lists, uploads, campaignShown, violations };
  },
};

await runScenario(scenarios);
