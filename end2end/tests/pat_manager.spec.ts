import { test, expect } from '@playwright/test';
import { hydrated, shot, signIn, watchConsole } from './helpers';

// The token lifecycle through the UI, hydrated: on a desktop viewport (project "hydrated") and
// on a phone-sized one (project "phone").
const unique = () => `E2E ${test.info().project.name} ${Date.now().toString(36)}`;

test('create a token, read its secret once, find it, extend, rotate and revoke it', async ({ page, context }) => {
  const problems = watchConsole(page);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page);
  await shot(page, 'a1-dashboard');

  // Create.
  await page.goto('/tokens/new');
  await hydrated(page);
  const name = unique();
  await page.getByLabel('Name').fill(name);
  await page.locator('#scope-vso-code').check();
  await page.locator('#scope-vso-build_execute').check();
  await page.locator('label[for="token-expiry-90"]').click();
  await shot(page, 'a2-new-token');
  await page.getByTestId('create-token').click();

  const reveal = page.getByTestId('secret-reveal');
  await expect(reveal).toBeVisible();
  await expect(reveal).toContainText('will not be shown again');
  const secret = (await page.getByTestId('new-secret').textContent())!.trim();
  // New PATs: 84 characters with the fixed signature AZDO at offset 76.
  expect(secret).toMatch(/^[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}$/);
  await page.getByTestId('copy-secret').click();
  await expect(reveal).toContainText('Copied to the clipboard.');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await expect(page.getByRole('status').filter({ hasText: 'created' })).toBeVisible();
  await shot(page, 'a3-secret-once');
  await page.getByTestId('secret-done').click();

  // Find it in the list: the secret is nowhere.
  await expect(page).toHaveURL(/\/tokens/);
  await page.getByLabel('Search tokens by name').fill(name);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=E2E/);
  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(secret);

  // Extend it.
  await row.getByRole('link', { name }).click();
  await expect(page.getByTestId('token-name')).toHaveText(name);
  await hydrated(page);
  const before = await page.getByTestId('token-valid-to').textContent();
  await page.getByTestId('extend-7').click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await expect(page.getByTestId('token-valid-to')).not.toHaveText(before!);
  expect(await page.content()).not.toContain(secret);
  await shot(page, 'a4-token-detail');

  // Rotate it: a new secret, once; the old token is revoked. The rotation's own expiry picker
  // (7 days) is independent of the edit form's.
  await page.locator('label[for="rotate-expiry-7"]').click();
  await expect(page.locator('#rotate-expiry-7')).toBeChecked();
  await expect(page.locator('#edit-expiry-date-choice')).toBeChecked();
  await page.getByTestId('rotate-token').click();
  await expect(page.getByTestId('secret-reveal')).toBeVisible();
  const rotated = (await page.getByTestId('new-secret').textContent())!.trim();
  expect(rotated).toMatch(/^[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}$/);
  expect(rotated).not.toBe(secret);
  await expect(page.getByTestId('token-status')).toHaveText('Revoked');
  await shot(page, 'a5-rotated');

  // Revoke the new one, with confirmation.
  await page.getByRole('link', { name: 'Open the new token' }).click();
  await page.getByTestId('secret-done').click();
  await expect(page.getByTestId('secret-reveal')).toHaveCount(0);
  await expect(page.getByTestId('token-status')).toHaveText('Expires soon');
  await page.getByTestId('revoke-token').click();
  await expect(page.getByTestId('confirm-revoke')).toBeVisible();
  await shot(page, 'a6-confirm-revoke');
  await page.getByTestId('confirm-revoke-yes').click();
  await expect(page).toHaveURL(/filter=revoked/);
  await expect(page.getByRole('status').filter({ hasText: 'Token revoked' })).toBeVisible();
  await page.getByLabel('Search tokens by name').fill(name);
  await page.getByRole('button', { name: 'Search' }).click();
  const revokedRows = page.getByRole('row').filter({ hasText: name });
  await expect(revokedRows).toHaveCount(2);
  expect(await page.content()).not.toContain(rotated);
  expect(problems).toEqual([]);
});

test('change a token\'s scopes: the picker is fetched when asked for, and again after a failed fetch', async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page);
  await page.goto('/tokens/new');
  await hydrated(page);
  await page.getByLabel('Name').fill(unique());
  await page.locator('#scope-vso-code').check();
  await page.getByTestId('create-token').click();
  await expect(page.getByTestId('secret-reveal')).toBeVisible();
  const href = await page.getByRole('link', { name: 'Open the new token' }).getAttribute('href');

  // A full load of the token's page: the picker's code is not in this document yet. The edit
  // form says the scopes stay as they are, and offers to change them.
  await page.goto(href!);
  await hydrated(page);
  await expect(page.getByTestId('token-detail').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('scopes-closed')).toContainText('1 scope, listed above');
  await expect(page.getByTestId('scope-picker')).toHaveCount(0);
  expect(problems).toEqual([]);

  // Its code cannot be fetched (the connection dropped): an error with "Try again" in the form,
  // and what was typed stays.
  await page.getByLabel('Name').fill('Renamed while offline');
  await page.route('**/pkg/**', (r) => r.abort());
  await page.getByTestId('change-scopes').click();
  const edit = page.locator('section.card').filter({ has: page.getByTestId('save-token') });
  await expect(edit.getByTestId('error')).toContainText('Check your connection and try again');
  await page.unroute('**/pkg/**');
  const failed = problems.length;

  // Connected again: "Try again" fetches it; the token's scopes are checked.
  await edit.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('scope-picker')).toBeVisible();
  await expect(page.locator('#scope-vso-code')).toBeChecked();
  await page.locator('#scope-vso-build_execute').check();
  await page.getByTestId('save-token').click();
  await expect(page.getByTestId('token-detail').locator('li')).toHaveCount(2);
  await expect(page.getByTestId('token-name')).toHaveText('Renamed while offline');
  await expect(page.getByTestId('scopes-closed')).toContainText('2 scopes, listed above');
  await shot(page, 'a7-rescoped');
  expect(problems.slice(failed)).toEqual([]);
});

test('a field error shows next to its field', async ({ page }) => {
  await signIn(page, { from: '/tokens/new', user: 'Alex Wilber' });
  await page.goto('/tokens/new?org=litware-labs-demo');
  await hydrated(page);
  await page.getByTestId('create-token').click();
  await expect(page.locator('#name-error')).toContainText('Give the token a name');
  await page.getByLabel('Name').fill(unique());
  await page.getByTestId('create-token').click();
  await expect(page.locator('#scopes-error')).toContainText('at least one scope');
  // Litware's tenant policy forbids full access: Azure DevOps says so, shown on the scopes.
  await page.locator('#scope-full').check();
  await page.getByTestId('create-token').click();
  await expect(page.locator('#scopes-error')).toContainText('full-access');
  await shot(page, 'b1-field-error');
});

test('filter, sort, and the choice kept for the next visit', async ({ page }) => {
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).click();
  await hydrated(page);
  await page.getByRole('navigation', { name: 'Filter tokens' }).getByRole('link', { name: 'Expired' }).click();
  await expect(page).toHaveURL(/filter=expired/);
  const statuses = page.locator('tbody .status:not(.status-global)');
  await expect(statuses.first()).toHaveText('Expired');
  for (const s of await statuses.allTextContents()) expect(s).toBe('Expired');

  await page.getByTestId('sort-valid_to').click();
  await expect(page).toHaveURL(/sort=valid_to/);
  await page.getByTestId('sort-valid_to').click();
  await expect(page).toHaveURL(/desc=true/);
  // The URL changes first; the table follows when the new page of tokens has arrived.
  const dates = () => page.locator('tbody time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')!));
  await expect
    .poll(async () => {
      const d = await dates();
      return d.length > 1 && JSON.stringify([...d].sort().reverse()) === JSON.stringify(d);
    })
    .toBe(true);
  await shot(page, 'c1-sorted');

  // Next visit without settings in the URL: the saved filter and sort come back.
  await page.goto('/tokens');
  await hydrated(page);
  await expect(page).toHaveURL(/filter=expired.*sort=valid_to.*desc=true/);
});

test('switch organization, see organizations and projects', async ({ page }) => {
  await signIn(page);
  await page.goto('/tokens');
  await hydrated(page);
  await page.getByLabel('Organization').selectOption('contoso-demo');
  await expect(page).toHaveURL(/org=contoso-demo/);
  await expect(page.getByTestId('table-org')).toHaveText('contoso-demo');
  // Kept for the next visit.
  await page.goto('/tokens');
  await hydrated(page);
  await expect(page).toHaveURL(/org=contoso-demo/);
  await expect(page.getByTestId('table-org')).toHaveText('contoso-demo');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organizations' }).click();
  await expect(page.getByTestId('org-list')).toContainText('fabrikam-demo');
  await expect(page.getByTestId('profile')).toContainText('Adele Vance');
  await shot(page, 'd1-organizations');
  await page.getByTestId('org-list').getByRole('listitem').filter({ hasText: 'fabrikam-demo' }).getByRole('link', { name: 'Projects' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Projects in fabrikam-demo');
  await expect(page.getByTestId('project-list').getByRole('listitem').first()).toBeVisible();
  await shot(page, 'd2-projects');

  // An organization whose tenant's Conditional Access refuses the app: no access, said plainly.
  await page.goto('/tokens?org=northwind-demo');
  await expect(page.getByTestId('error')).toContainText('You have no access to northwind-demo');
  await expect(page.getByTestId('error')).toContainText('Conditional Access');
  await page.getByLabel('Organization').selectOption('fabrikam-demo');
  await expect(page).toHaveURL(/org=fabrikam-demo/);
});

test('dark mode follows the toggle and is remembered', async ({ page }) => {
  await page.goto('/');
  await hydrated(page);
  const toggle = page.getByTestId('theme-toggle');
  const dark = (await toggle.getAttribute('aria-pressed')) === 'true';
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', dark ? 'light' : 'dark');
  await page.reload();
  await hydrated(page);
  await expect(page.locator('html')).toHaveAttribute('data-theme', dark ? 'light' : 'dark');
  if (!dark) await shot(page, 'e1-dark');
  // Keyboard: the toggle is reachable with Tab and shows a focus ring.
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).not.toBe('none');
});
