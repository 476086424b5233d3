// Drives the console in Debian's Chromium (playwright-core, no browser download) through one
// scenario against a running gateway; prints one JSON line with what the pages showed.
// Usage: node e2e/console.mjs <scenario>   (tests/e2e/test_console.py runs every scenario)
// Environment: LISTFLOW_GATEWAY, LISTFLOW_API_KEY, LISTFLOW_E2E_OUT (screenshots, downloads),
// LISTFLOW_E2E_INPUT (a JSON object of scenario inputs), CHROMIUM (default /usr/bin/chromium).
import { axe } from './a11y.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STEP, api, apiKey, dialogShown, figures, gateway, input, out, runScenario, shot, signIn } from './browser.mjs';
import { readFileInWizard } from './wizard.mjs';

/** From the Columns step to the summary: target, preview, start, wait for the end. */
async function finishWizard(page, groupName, violations, prefix) {
  await page.getByRole('button', { name: 'Next: target and policies' }).click();
  await page.getByLabel('New group name').fill(groupName);
  violations.push(...(await axe(page, `${prefix}-target`)));
  await shot(page, `${prefix}-target`);
  await page.getByRole('button', { name: 'Next: preview' }).click();
  const startButton = page.getByRole('button', { name: 'Start the import' });
  await page.waitForFunction(
    () => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Start the import' && !b.disabled),
    null,
    { timeout: STEP },
  );
  const preview = {
    rows: await figures(page, 'Rows in the file'),
    matches: await figures(page, 'Matches against stored contacts'),
    invalidRows: await page
      .getByRole('table', { name: 'Invalid rows' })
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent))),
  };
  violations.push(...(await axe(page, `${prefix}-preview`)));
  await shot(page, `${prefix}-preview`);
  await startButton.click();
  await page.waitForURL(/\/uploads\/[^/]+$/, { timeout: STEP });
  const uploadId = page.url().split('/').pop();
  await page.getByRole('heading', { name: 'Summary' }).waitFor({ timeout: STEP * 3 });
  const summary = await figures(page, 'Upload counts');
  const status = await page.locator('[data-status]').first().getAttribute('data-status');
  violations.push(...(await axe(page, `${prefix}-summary`)));
  await shot(page, `${prefix}-summary`);
  return { uploadId, preview, summary, status };
}

/** Waits until every row an upload read has its outcome counted (rows read before a cancel
 * are still merged for a while), then for three equal reads a second apart; bounded. */
async function settled(uploadId) {
  const deadline = Date.now() + STEP * 4;
  let last = '';
  let same = 0;
  while (same < 3) {
    if (Date.now() > deadline) throw new Error(`upload ${uploadId} never settled: ${last}`);
    const doc = await api(`/v1/uploads/${uploadId}`);
    const now = JSON.stringify([doc.status, doc.progress.processed, doc.counts]);
    const done = doc.progress.processed >= doc.progress.rows_read;
    same = done && now === last ? same + 1 : 0;
    last = now;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return JSON.parse(last);
}

const scenarios = {
  async 'wrong-key'(page) {
    await signIn(page, 'lf_this_is_not_a_key');
    const alert = page.getByText('This API key was not accepted');
    await alert.waitFor({ timeout: STEP });
    const violations = await axe(page, 'sign-in-wrong-key');
    await shot(page, 'sign-in-wrong-key');
    const stored = await page.evaluate(() => sessionStorage.getItem('listflow.apiKey'));
    return { message: await alert.textContent(), stored, violations };
  },

  async 'wizard-csv'(page) {
    await page.goto(`${gateway}/`);
    await page.getByLabel('API key').waitFor({ timeout: STEP });
    const violations = await axe(page, 'sign-in');
    await shot(page, 'sign-in');
    await signIn(page);
    await page.getByRole('heading', { name: 'Upload a list' }).waitFor({ timeout: STEP });
    const stored = await page.evaluate(() => sessionStorage.getItem('listflow.apiKey'));
    // Drag and drop: a real drop event carrying the file, as a browser sends it.
    const content = readFileSync(input.file, 'utf8');
    const transfer = await page.evaluateHandle(
      ([text, name]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, { type: 'text/csv' }));
        return dt;
      },
      [content, input.fileName],
    );
    const zone = page.getByText('Drop a file here, or click to choose one');
    await zone.dispatchEvent('dragenter', { dataTransfer: transfer });
    await zone.dispatchEvent('drop', { dataTransfer: transfer });
    await page.getByTestId('chosen-file').waitFor({ timeout: STEP });
    violations.push(...(await axe(page, 'wizard-source')));
    await shot(page, 'wizard-source');
    await page.getByRole('button', { name: 'Read the file' }).click();
    await page.getByRole('table', { name: 'Column mapping' }).waitFor({ timeout: STEP });
    const detected = {
      encoding: await page.getByLabel('Encoding').inputValue(),
      delimiter: await page.getByRole('textbox', { name: 'Delimiter', exact: true }).inputValue(),
      header: await page.getByLabel('The first row holds the column names').isChecked(),
    };
    const mapping = await page
      .getByRole('table', { name: 'Column mapping' })
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => ({
          column: r.querySelector('th span').textContent,
          field: r.querySelector('input').value,
        })),
      );
    const matchKey = await page.getByRole('textbox', { name: 'Match key', exact: true }).inputValue();
    violations.push(...(await axe(page, 'wizard-columns')));
    await shot(page, 'wizard-columns');
    const result = await finishWizard(page, input.group, violations, 'wizard');
    // The error report, downloaded as a supervisor does.
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: STEP }),
      page.getByRole('button', { name: 'Download the error report (CSV)' }).click(),
    ]);
    const reportPath = join(out, 'downloads', download.suggestedFilename());
    await download.saveAs(reportPath);
    return {
      ...result,
      stored: stored === apiKey,
      detected,
      mapping,
      matchKey,
      errorReportName: download.suggestedFilename(),
      errorReport: readFileSync(reportPath, 'utf8'),
      violations,
    };
  },

  async pasted(page) {
    const violations = [];
    await signIn(page);
    await page.getByText('Pasted cells', { exact: true }).click();
    await page.getByLabel('Cells copied from a spreadsheet').fill(input.text);
    violations.push(...(await axe(page, 'pasted-source')));
    await page.getByRole('button', { name: 'Read the cells' }).click();
    await page.getByRole('table', { name: 'Column mapping' }).waitFor({ timeout: STEP });
    const delimiter = await page.getByRole('textbox', { name: 'Delimiter', exact: true }).inputValue();
    const result = await finishWizard(page, input.group, violations, 'pasted');
    return { ...result, delimiter, violations };
  },

  async 'xlsx-sheets'(page) {
    const violations = [];
    const table = await readFileInWizard(page, input.file);
    const columnsOf = () =>
      table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelector('th span').textContent));
    const sheet = page.getByRole('textbox', { name: 'Sheet', exact: true });
    const first = { sheet: await sheet.inputValue(), columns: await columnsOf() };
    await sheet.click();
    const offered = await page.getByRole('option').allTextContents();
    violations.push(...(await axe(page, 'xlsx-sheet-select')));
    await shot(page, 'xlsx-sheet-select');
    await page.getByRole('option', { name: input.sheet, exact: true }).click();
    // Choosing the sheet re-reads the workbook: the mapping shows that sheet's columns.
    await page.waitForFunction(
      (header) => [...document.querySelectorAll('table[aria-label="Column mapping"] tbody th span')]
        .some((s) => s.textContent === header),
      input.header,
      { timeout: STEP },
    );
    const second = { sheet: await sheet.inputValue(), columns: await columnsOf() };
    violations.push(...(await axe(page, 'xlsx-columns')));
    await shot(page, 'xlsx-columns');
    const result = await finishWizard(page, input.group, violations, 'xlsx');
    return { ...result, first, offered, second, violations };
  },

  async 'lead-lists'(page) {
    const violations = [];
    await signIn(page);
    await page.getByRole('heading', { name: 'Upload a list' }).waitFor({ timeout: STEP });
    await page.getByRole('link', { name: 'Lead lists' }).click();
    await page.getByRole('heading', { name: 'Lead lists', level: 1 }).waitFor({ timeout: STEP });
    // Create the list with the keyboard: type the name, press Enter.
    await page.getByLabel('New list name').fill(input.list);
    await page.getByLabel('New list name').press('Enter');
    const row = page.locator('tr', { has: page.getByRole('button', { name: input.list, exact: true }) });
    await row.waitFor({ timeout: STEP });
    const listId = await row.getAttribute('data-list-id');
    await page.getByRole('heading', { name: input.list, level: 2 }).waitFor({ timeout: STEP });
    // Enable it, then assign the campaign with its arrow.
    const toggle = page.getByRole('switch', { name: `${input.list} enabled` });
    await toggle.focus(); // by keyboard: Space toggles; the switch turns once the API agrees
    await page.keyboard.press('Space');
    await page.waitForFunction((id) => document.querySelector(`tr[data-list-id="${id}"] input[role=switch]`)?.checked, listId, { timeout: STEP });
    await page.getByRole('button', { name: `Assign ${input.campaign}`, exact: true }).click();
    await page.getByRole('button', { name: `Unassign ${input.campaign}`, exact: true }).waitFor({ timeout: STEP });
    const before = await figures(page, 'Leads by status');
    // Load it: an upload into the list through the public API, then the page's counts.
    const form = new FormData();
    form.append('file', new Blob([readFileSync(input.file)], { type: 'text/csv' }), 'leads.csv');
    form.append('options', JSON.stringify({ target: { kind: 'lead_list', id: listId }, template: 'dialer-leads', default_region: 'US' }));
    const accepted = await fetch(`${gateway}/v1/uploads`, { method: 'POST', headers: { 'X-API-Key': apiKey }, body: form });
    if (accepted.status !== 202) throw new Error(`upload: ${accepted.status} ${await accepted.text()}`);
    const uploadId = (await accepted.json()).id;
    const deadline = Date.now() + STEP * 4;
    for (;;) {
      const doc = await api(`/v1/uploads/${uploadId}`);
      if (doc.status === 'completed' || doc.status === 'failed') break;
      if (Date.now() > deadline) throw new Error(`upload ${uploadId} still ${doc.status}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    // The leads are written by the leads service after the upload completes: refresh until counted.
    const stop = Date.now() + STEP * 2;
    let after = before;
    while (after.total !== input.expected) {
      if (Date.now() > stop) throw new Error(`the page counted ${after.total} leads, not ${input.expected}`);
      await page.getByRole('button', { name: 'Refresh the counts' }).click();
      await new Promise((r) => setTimeout(r, 1000));
      after = await figures(page, 'Leads by status');
    }
    violations.push(...(await axe(page, 'lead-lists')));
    await shot(page, 'lead-lists');
    // Delete asks first; keeping it keeps it.
    await page.getByRole('button', { name: 'Delete the list' }).click();
    const dialog = await dialogShown(page);
    const question = await dialog.textContent();
    violations.push(...(await axe(page, 'lead-lists-delete')));
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    // Tablet width: the page still fits, nothing scrolls sideways.
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.reload();
    await page.getByRole('table', { name: 'Lead lists' }).waitFor({ timeout: STEP });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    violations.push(...(await axe(page, 'lead-lists-tablet')));
    await shot(page, 'lead-lists-tablet');
    const rowLeads = await page.locator(`tr[data-list-id="${listId}"] [data-figure="leads"]`).textContent();
    return { listId, uploadId, before, after, question, overflow, rowLeads, violations };
  },

  async cancel(page) {
    // The upload was started by the test; its page is where the wizard's start leads.
    await signIn(page);
    await page.getByRole('heading', { name: 'Upload a list' }).waitFor({ timeout: STEP });
    await page.goto(`${gateway}/uploads/${input.uploadId}`);
    const cancelButton = page.getByRole('button', { name: 'Cancel the import' });
    await cancelButton.waitFor({ timeout: STEP });
    // Cancel once rows are flowing, so the counts so far are not all zero.
    await page.waitForFunction(
      () => /^[1-9]/.test(document.querySelector('[data-figure="imported"]')?.textContent ?? ''),
      null,
      { timeout: STEP * 3 },
    );
    const violations = await axe(page, 'cancel-progress');
    await shot(page, 'cancel-progress');
    await cancelButton.click();
    const note = page.getByTestId('cancelled-note');
    await note.waitFor({ timeout: STEP });
    await page.getByRole('heading', { name: 'Summary' }).waitFor({ timeout: STEP });
    const status = await page.locator('[data-status]').first().getAttribute('data-status');
    const atCancel = await figures(page, 'Upload counts');
    violations.push(...(await axe(page, 'cancel-summary')));
    await shot(page, 'cancel-summary');
    // Once the rows read before the cancel are merged, the page shows the API's final counts.
    await settled(input.uploadId);
    await page.reload();
    await page.getByTestId('cancelled-note').waitFor({ timeout: STEP });
    const final = await figures(page, 'Upload counts');
    return { status, note: await page.getByTestId('cancelled-note').textContent(), atCancel, final, violations };
  },

  async dashboard(page) {
    await signIn(page);
    await page.getByRole('link', { name: 'Uploads' }).click();
    const table = page.getByRole('table', { name: 'Upload history, newest first' });
    await table.waitFor({ timeout: STEP });
    const rows = await table.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        id: tr.getAttribute('data-upload-id'),
        // A cell's own text, without what is stacked into it below the md breakpoint.
        cells: [...tr.cells].map((c) => {
          const own = c.cloneNode(true);
          own.querySelectorAll('[data-stacked]').forEach((n) => n.remove());
          return own.textContent;
        }),
      })),
    );
    const violations = await axe(page, 'dashboard');
    await shot(page, 'dashboard');
    // The file name links to the upload's page.
    await table.locator('tbody tr').first().getByRole('link').first().click();
    await page.waitForURL(/\/uploads\/[^/]+$/, { timeout: STEP });
    await page.getByRole('heading', { level: 1 }).waitFor({ timeout: STEP });
    violations.push(...(await axe(page, 'upload-detail')));
    return { rows, opened: page.url().split('/').pop(), violations };
  },
};

await runScenario(scenarios);
