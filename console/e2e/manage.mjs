// The console's management pages in Debian's Chromium against a running gateway: a contact
// added and edited, the groups and tags pages, the import templates and saved mappings page,
// and the campaign messages table at tablet and phone width; prints one JSON line.
// Usage: node e2e/manage.mjs <scenario>   (tests/e2e/test_console_manage.py runs each)
import { axe } from './a11y.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STEP, checkSizes, dialogShown, fieldError, input, out, runScenario, shot, sideways, signIn } from './browser.mjs';

async function openFromMenu(page, link, heading) {
  await signIn(page);
  await page.getByRole('heading', { name: 'Upload a list' }).waitFor({ timeout: STEP });
  await page.getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor({ timeout: STEP });
}

async function choose(page, scope, label, option) {
  await scope.getByRole('textbox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** Adds a value to a Mantine TagsInput or MultiSelect by typing it and pressing Enter. */
async function addTag(scope, label, value) {
  const box = scope.getByLabel(label, { exact: true });
  await box.fill(value);
  await box.press('Enter');
}

/** The texts the contact page shows: heading, details, phones and emails, accounts, groups,
 * tags and consents. */
async function contactPage(page) {
  await page.getByRole('table', { name: 'Consents and where they came from' }).waitFor({ timeout: STEP });
  const cells = (name) =>
    page.getByRole('table', { name }).locator('tr').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  return {
    id: new URL(page.url()).pathname.split('/').pop(),
    heading: await page.getByRole('heading', { level: 1 }).textContent(),
    details: await cells('Details'),
    contacts: await page.getByRole('region', { name: 'Phones and emails' }).textContent(),
    accounts: (await page.getByRole('table', { name: 'Accounts and balances' }).count()) ? await cells('Accounts and balances') : [],
    consents: await cells('Consents and where they came from'),
    groups: await page.getByTestId('groups').textContent(),
    tags: await page.getByTestId('tags').textContent(),
    text: await page.locator('main').textContent(),
  };
}

const scenarios = {
  async 'contact-form'(page) {
    await openFromMenu(page, 'Contacts', 'Contacts');
    await page.getByRole('link', { name: 'Add a contact' }).click();
    await page.getByRole('heading', { name: 'Add a contact', level: 1 }).waitFor({ timeout: STEP });
    const form = page.getByRole('form', { name: 'Add a contact' });
    await form.getByLabel('First name', { exact: true }).fill('Inés');
    await form.getByLabel('Last name', { exact: true }).fill(input.surname);
    await form.getByLabel('SSN', { exact: true }).fill('123-45-6789');
    await addTag(form, 'Phones', 'not a phone');
    await addTag(form, 'Emails', input.email);
    await form.getByRole('button', { name: 'Add an account' }).click();
    await form.getByLabel('Account 1 number').fill(input.account);
    await form.getByLabel('Account 1 balance').fill('250.75');
    await form.getByLabel('Account 1 currency').fill('EUR');
    await choose(page, form, 'Groups', input.group);
    await page.keyboard.press('Escape');
    await choose(page, form, 'SMS consent', 'Given');
    const violations = await checkSizes(page, 'contact-new', axe);
    // A wrong phone: refused by the API, its reason under the phones, nothing stored.
    await form.getByRole('button', { name: 'Add the contact' }).click();
    await form.getByRole('alert').waitFor({ timeout: STEP });
    const refused = {
      phones: await fieldError(form.getByLabel('Phones', { exact: true })),
      alert: await form.getByRole('alert').textContent(),
      url: new URL(page.url()).pathname,
    };
    violations.push(...(await checkSizes(page, 'contact-new-refused', axe)));
    // The wrong phone removed with the keyboard (Backspace in the empty box), the right one typed.
    await form.getByLabel('Phones', { exact: true }).focus();
    await page.keyboard.press('Backspace');
    await addTag(form, 'Phones', input.phone);
    await form.getByRole('button', { name: 'Add the contact' }).click();
    await page.waitForURL((url) => /^\/contacts\/[A-Za-z0-9_-]+$/.test(url.pathname) && !url.pathname.endsWith('/new'), { timeout: STEP });
    const created = await contactPage(page);

    // Edit it: a second email, a tag, a consent refused, the city; the SSN left blank (kept).
    await page.getByRole('link', { name: 'Edit the contact' }).click();
    const editForm = page.getByRole('form', { name: `Edit Inés ${input.surname}` });
    await editForm.waitFor({ timeout: STEP });
    const ssnBox = {
      value: await editForm.getByLabel('SSN', { exact: true }).inputValue(),
      hint: await editForm.getByText(/^Stored: /).first().textContent(),
    };
    // An unknown tag is refused next to the tags.
    await addTag(editForm, 'Emails', input.email2);
    await editForm.getByLabel('City', { exact: true }).fill('Sevilla');
    await choose(page, editForm, 'Email consent', 'Refused');
    await choose(page, editForm, 'Tags', input.tag);
    await page.keyboard.press('Escape');
    await editForm.getByLabel('Date of birth', { exact: true }).fill('31/31/1990');
    await editForm.getByRole('button', { name: 'Save the contact' }).click();
    await editForm.getByRole('alert').waitFor({ timeout: STEP });
    const editRefused = await fieldError(editForm.getByLabel('Date of birth', { exact: true }));
    violations.push(...(await checkSizes(page, 'contact-edit-refused', axe)));
    await editForm.getByLabel('Date of birth', { exact: true }).fill('1990-05-17');
    await editForm.getByRole('button', { name: 'Save the contact' }).press('Enter');
    await page.waitForURL((url) => !url.pathname.endsWith('/edit'), { timeout: STEP });
    const edited = await contactPage(page);
    violations.push(...(await checkSizes(page, 'contact-edited', axe)));
    return { refused, created, ssnBox, editRefused, edited, violations };
  },

  async labels(page) {
    await openFromMenu(page, 'Groups', 'Groups');
    const newGroup = page.getByRole('form', { name: 'New group' });
    await newGroup.getByLabel('Name', { exact: true }).fill(input.group);
    await newGroup.getByLabel('Description (optional)').fill('Made on the groups page');
    await newGroup.getByRole('button', { name: 'Create the group' }).click();
    await page.getByTestId('label-note').waitFor({ timeout: STEP });
    const created = await page.getByTestId('label-note').textContent();
    // The same name again: the API's refusal under the name.
    await newGroup.getByLabel('Name', { exact: true }).fill(input.group);
    await newGroup.getByRole('button', { name: 'Create the group' }).press('Enter');
    await page.waitForFunction(() => document.querySelector('form[aria-label="New group"] input[aria-invalid="true"]'), null, { timeout: STEP });
    const taken = await fieldError(newGroup.getByLabel('Name', { exact: true }));
    const violations = await checkSizes(page, 'groups', axe);
    // Describe the group just made: its name stays (uploads find a group by it).
    await page.getByRole('button', { name: `Edit ${input.group}` }).click();
    let dialog = await dialogShown(page);
    const renameHint = await dialog.getByText(/Uploads name a group/).textContent();
    await dialog.getByLabel('Description').fill('Described in the console');
    violations.push(...(await axe(page, 'group-edit')));
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    await page
      .locator('tr', { has: page.getByRole('link', { name: input.group, exact: true }) })
      .getByRole('cell', { name: 'Described in the console', exact: true })
      .waitFor({ timeout: STEP });
    // A group's name opens the contacts search of the group.
    const row = page.locator('tr', { has: page.getByRole('link', { name: input.fullGroup, exact: true }) });
    await row.getByRole('link', { name: input.fullGroup, exact: true }).click();
    await page.getByTestId('contacts-total').waitFor({ timeout: STEP });
    await page.waitForFunction(() => /of \d/.test(document.querySelector('[data-testid="contacts-total"]').textContent), null, { timeout: STEP });
    const groupSearch = {
      total: (await page.getByTestId('contacts-total').textContent()).trim(),
      chosen: await page.getByRole('textbox', { name: 'Group', exact: true }).inputValue(),
    };
    // Delete it: asked first, "Keep it" keeps it; then confirmed.
    await page.goBack();
    await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor({ timeout: STEP });
    const deleteButton = page.getByRole('button', { name: `Delete ${input.fullGroup}` });
    await deleteButton.click();
    dialog = await dialogShown(page);
    const question = await dialog.textContent();
    violations.push(...(await axe(page, 'group-delete')));
    await shot(page, 'group-delete');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    const keptRows = await page.locator('tr', { has: page.getByRole('link', { name: input.fullGroup, exact: true }) }).count();
    await deleteButton.click();
    dialog = await dialogShown(page);
    await dialog.getByRole('button', { name: 'Delete the group' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    await page.getByText(`Deleted the group "${input.fullGroup}"`).waitFor({ timeout: STEP });
    const deleted = await page.getByTestId('label-note').textContent();
    const leftRows = await page.locator('tr', { has: page.getByRole('link', { name: input.fullGroup, exact: true }) }).count();

    // Tags: define one, then delete it after asking.
    await page.getByRole('link', { name: 'Tags', exact: true }).click();
    await page.getByRole('heading', { name: 'Tags', level: 1 }).waitFor({ timeout: STEP });
    const newTag = page.getByRole('form', { name: 'New tag' });
    await newTag.getByLabel('Name', { exact: true }).fill('bad, tag');
    await newTag.getByRole('button', { name: 'Create the tag' }).click();
    await page.waitForFunction(() => document.querySelector('form[aria-label="New tag"] input[aria-invalid="true"]'), null, { timeout: STEP });
    const badTag = await fieldError(newTag.getByLabel('Name', { exact: true }));
    await newTag.getByLabel('Name', { exact: true }).fill(input.tag);
    await newTag.getByRole('button', { name: 'Create the tag' }).click();
    await page.getByText(`Created the tag "${input.tag}".`).waitFor({ timeout: STEP });
    violations.push(...(await checkSizes(page, 'tags', axe)));
    await page.getByRole('button', { name: `Delete ${input.usedTag}` }).click();
    dialog = await dialogShown(page);
    await dialog.getByRole('button', { name: 'Delete the tag' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    await page.getByText(`Deleted the tag "${input.usedTag}"`).waitFor({ timeout: STEP });
    const tagDeleted = await page.getByTestId('label-note').textContent();
    return { created, taken, renameHint, groupSearch, question, keptRows, deleted, leftRows, badTag, tagDeleted, violations };
  },

  async mappings(page) {
    await openFromMenu(page, 'Templates and mappings', 'Import templates and saved mappings');
    await page.getByRole('table', { name: 'Saved mappings' }).waitFor({ timeout: STEP });
    const violations = await checkSizes(page, 'mappings', axe);
    const templates = await page.locator('[data-template]').evaluateAll((els) => els.map((e) => e.getAttribute('data-template')));
    // A template's CSV, fetched with the key.
    const first = templates[0];
    const title = await page.locator(`[data-template="${first}"] h3`).textContent();
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: STEP }),
      page.getByRole('button', { name: `Download CSV, ${title}` }).click(),
    ]);
    const csvPath = join(out, 'downloads', `template-${download.suggestedFilename()}`);
    await download.saveAs(csvPath);
    // View a mapping's columns.
    await page.getByRole('button', { name: `View ${input.mapping}` }).click();
    let dialog = await dialogShown(page);
    const columns = await dialog
      .getByRole('table', { name: `Columns of ${input.mapping}` })
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
    violations.push(...(await axe(page, 'mapping-view')));
    await shot(page, 'mapping-view');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    // Rename it: to a name another mapping has (refused by its field), then to a new one.
    await page.getByRole('button', { name: `Rename ${input.mapping}` }).click();
    dialog = await dialogShown(page);
    await dialog.getByLabel('New name').fill(input.other);
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.waitForFunction(() => document.querySelector('[role="dialog"] input[aria-invalid="true"]'), null, { timeout: STEP });
    const taken = await fieldError(dialog.getByLabel('New name'));
    violations.push(...(await axe(page, 'mapping-rename-taken')));
    await dialog.getByLabel('New name').fill(input.renamed);
    await dialog.getByLabel('New name').press('Enter');
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    const renamed = await page.getByTestId('mapping-note').textContent();
    // Delete the other one: "Keep it" first, then confirmed.
    await page.getByRole('button', { name: `Delete ${input.other}` }).click();
    dialog = await dialogShown(page);
    const question = await dialog.textContent();
    violations.push(...(await axe(page, 'mapping-delete')));
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    await page.getByRole('button', { name: `Delete ${input.other}` }).click();
    dialog = await dialogShown(page);
    await dialog.getByRole('button', { name: 'Delete the mapping' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: STEP });
    await page.getByText(`Deleted the mapping "${input.other}".`).waitFor({ timeout: STEP });
    const names = await page.locator('table[aria-label="Saved mappings"] tbody tr td:first-child').allTextContents();
    return {
      templates, csvName: download.suggestedFilename(), csv: readFileSync(csvPath, 'utf8'), columns, taken, renamed, question,
      names, violations,
    };
  },

  async 'messages-narrow'(page) {
    // A campaign's page at 768 px (tablet) and 390 px (phone): its messages table fits.
    await signIn(page);
    await page.getByRole('heading', { name: 'Upload a list' }).waitFor({ timeout: STEP });
    await page.goto(`${new URL(page.url()).origin}/campaigns/${input.campaignId}`);
    await page.locator('table[aria-label="Messages of the campaign"] tbody tr').first().waitFor({ timeout: STEP });
    const violations = [];
    const seen = {};
    for (const [size, width, height] of [['tablet', 768, 1024], ['phone', 390, 844]]) {
      await page.setViewportSize({ width, height });
      seen[size] = await sideways(page, 'Messages of the campaign');
      seen[size].rows = await page.locator('table[aria-label="Messages of the campaign"] tbody tr').count();
      violations.push(...(await axe(page, `campaign-messages-${size}`)));
      await shot(page, `campaign-messages-${size}`);
    }
    return { ...seen, violations };
  },
};

await runScenario(scenarios);
