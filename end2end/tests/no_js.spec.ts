import { test, expect } from '@playwright/test';
import { signIn } from './helpers';

// With JavaScript off (project "no-javascript"): every read is server-rendered; the pages that
// change tokens say that they need JavaScript and keep their buttons disabled.
test('reads work without JavaScript; mutations say they need it', async ({ page }) => {
  await signIn(page);
  await expect(page.getByTestId('counts')).toBeVisible();
  await expect(page.getByTestId('expiring').getByRole('listitem').first()).toBeVisible();

  await page.goto('/tokens');
  await expect(page.getByRole('table')).toBeVisible();
  // Search is a plain GET form.
  await page.getByLabel('Search tokens by name').fill('Backup');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=Backup/);
  await expect(page.getByRole('row').filter({ hasText: 'Backup script' }).first()).toBeVisible();
  // Sorting and paging are links.
  await page.goto('/tokens?filter=all');
  await page.getByRole('link', { name: 'Next page' }).click();
  await expect(page).toHaveURL(/after=/);
  await expect(page.getByRole('table')).toBeVisible();
  // The organization switcher is a GET form with a button.
  await page.getByLabel('Organization').selectOption('contoso-demo');
  await page.getByRole('button', { name: 'Switch' }).click();
  await expect(page).toHaveURL(/org=contoso-demo/);
  await expect(page.getByTestId('table-org')).toHaveText('contoso-demo');

  // Every organization at once: server-rendered too, the failing organization on its own rows;
  // the bulk buttons stay disabled, the exports are plain links.
  await page.goto('/tokens/all?filter=all');
  await expect(page.getByTestId('inventory-table')).toBeVisible();
  await expect(page.getByTestId('org-failure')).toContainText('northwind-demo');
  await expect(page.getByTestId('bulk-revoke')).toBeDisabled();
  await expect(page.getByTestId('export-csv')).toHaveAttribute('href', /inventory\.csv\?filter=all/);
  await page.getByRole('link', { name: 'Next page' }).click();
  await expect(page).toHaveURL(/after=/);
  await expect(page.getByTestId('inventory-row').first()).toBeVisible();

  await page.goto('/tokens/new');
  await expect(page.getByTestId('needs-js')).toBeVisible();
  await expect(page.getByTestId('create-token')).toBeDisabled();

  await page.goto('/tokens?filter=active');
  await page.getByRole('row').nth(1).getByRole('link').click();
  await expect(page.getByTestId('token-detail')).toBeVisible();
  await expect(page.getByTestId('needs-js')).toBeVisible();
  await expect(page.getByTestId('revoke-token')).toBeDisabled();

  await page.goto('/orgs');
  await expect(page.getByTestId('org-list')).toContainText('contoso-demo');
  await page.goto('/orgs/fabrikam-demo/projects');
  await expect(page.getByTestId('project-list').getByRole('listitem').first()).toBeVisible();
});

test('the reminder lead time applies with the form', async ({ page }) => {
  await signIn(page);
  await page.getByTestId('reminders').getByLabel('Remind me').selectOption('14');
  await page.getByTestId('reminders').getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/lead=14/);
  await expect(page.getByTestId('expiring').getByRole('heading')).toHaveText('Expiring within 14 days');
  await expect(page.getByTestId('reminders-ics')).toHaveAttribute('href', /reminders\.ics\?lead=14/);
});
