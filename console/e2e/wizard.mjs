// Steps of the upload wizard that several browser scripts take.
import { STEP, signIn } from './browser.mjs';

/** Signs in, picks `file` in the wizard's source step, reads it, and returns the column
 * mapping table once it shows. */
export async function readFileInWizard(page, file) {
  await signIn(page);
  await page.getByRole('heading', { name: 'Upload a list' }).waitFor({ timeout: STEP });
  await page.locator('input[type=file]').setInputFiles(file);
  await page.getByTestId('chosen-file').waitFor({ timeout: STEP });
  await page.getByRole('button', { name: 'Read the file' }).click();
  const table = page.getByRole('table', { name: 'Column mapping' });
  await table.waitFor({ timeout: STEP });
  return table;
}
