import { test, expect } from '@playwright/test';
import { hydrated, shot, signIn, watchConsole } from './helpers';

// Azure DevOps as it really behaves: global PATs on both sides of 2026-12-01 (two servers whose
// demo clocks are set before and after), expired tokens re-issued, organizations that refuse
// the user. docs/azure-devops-fidelity.md lists the references.
const after = process.env.E2E_AFTER_URL ?? `http://127.0.0.1:${Number(process.env.E2E_PORT ?? '3100') + 2}`;

test('a global token carries its retirement date and is replaced by an organization token', async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, { user: 'Megan Bowen' });
  await page.goto('/tokens?filter=active');
  await hydrated(page);
  const badge = page.getByTestId('global-badge').first();
  await expect(badge).toHaveText('Global: stops working on 1 Dec 2026');
  const row = page.getByRole('row').filter({ has: page.getByTestId('global-badge') }).first();
  const name = (await row.getByRole('link').first().textContent())!.trim();
  await row.getByRole('link', { name }).click();
  // The router renders the token's page in the browser: wait for it, not for the list to go.
  await expect(page.getByTestId('token-name')).toHaveText(name);
  await expect(page.getByTestId('global-badge')).toBeVisible();
  await expect(page.getByTestId('replace-global')).toBeVisible();
  await shot(page, 'f1-global-token');
  await page.getByTestId('replace-global-token').click();
  const reveal = page.getByTestId('secret-reveal');
  await expect(reveal).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Rotated' })).toBeVisible();
  // The new token is valid in this organization only.
  await reveal.getByRole('link', { name: 'Open the new token' }).click();
  await expect(page.getByTestId('token-name')).toHaveText(name);
  await expect(page.getByTestId('global-badge')).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('an expired token is re-issued, not extended', async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, { user: 'Megan Bowen' });
  await page.goto('/tokens?filter=expired');
  await hydrated(page);
  const row = page.getByRole('row').filter({ hasText: 'Expired' }).first();
  const name = (await row.getByRole('link').first().textContent())!.trim();
  await row.getByRole('link', { name }).click();
  await hydrated(page);
  await expect(page.getByTestId('token-status')).toHaveText('Expired');
  await expect(page.getByTestId('reissue')).toBeVisible();
  await expect(page.getByTestId('extend-7')).toHaveCount(0);
  await expect(page.getByTestId('save-token')).toHaveCount(0);
  await shot(page, 'f2-expired-token');
  await page.getByTestId('reissue-token').click();
  await expect(page.getByTestId('secret-reveal')).toContainText(name);
  await expect(page.getByRole('status').filter({ hasText: 'Re-issued' })).toBeVisible();
  expect(problems).toEqual([]);
});

test('an organization that refuses the user says so, with no sign-in loop', async ({ page }) => {
  await signIn(page, { user: 'Megan Bowen' });
  await page.goto('/tokens?org=tailspin-demo');
  await hydrated(page);
  const error = page.getByTestId('error').first();
  await expect(error).toContainText('You have no access to tailspin-demo');
  await expect(error.getByRole('link', { name: 'Sign in again' })).toHaveCount(0);
  await expect(error.getByTestId('choose-org')).toBeVisible();
  await shot(page, 'f3-no-access');
  // An organization of another tenant is named by its tenant, read from an anonymous HEAD as Git
  // Credential Manager reads it (issue 27, item 7).
  await page.goto('/tokens?org=woodgrove-demo');
  await hydrated(page);
  await expect(page.getByTestId('error').first()).toContainText(
    'connected to the Microsoft Entra tenant 9c4f1d2e-5b6a-4c3d-8e7f-0a1b2c3d4e5f',
  );
});

test('after 1 December 2026 global tokens no longer work and none can be created', async ({ page }) => {
  await signIn(page, { from: `${after}/`, user: 'Megan Bowen' });
  await page.goto(`${after}/tokens?filter=active`);
  await hydrated(page);
  await expect(page.getByTestId('global-badge').first()).toHaveText('Global: no longer works');
  await page.goto(`${after}/tokens/new`);
  await hydrated(page);
  await page.getByLabel('Name').fill(`E2E global ${Date.now().toString(36)}`);
  await page.locator('#scope-vso-code').check();
  await page.locator('label[for="orgs-all"]').click();
  await page.getByTestId('create-token').click();
  await expect(page.locator('#all_orgs-error')).toContainText('1 December 2026');
  await shot(page, 'f4-global-refused');
});

test('an agent-pool token keeps its scopes through a rename, and a shortened expiry is explained', async ({ page }) => {
  const problems = watchConsole(page);
  // Litware's tenant policy allows 90 days: asking for about 200, Azure DevOps grants less and
  // the page says so; the next new token's form says the tenant's maximum before anything is asked.
  await signIn(page, { user: 'Alex Wilber' });
  await page.goto('/tokens/new?org=litware-labs-demo');
  await hydrated(page);
  const name = `E2E agent ${Date.now().toString(36)}`;
  await page.getByLabel('Name').fill(name);
  await page.locator('#scope-vso-agentpools_manage').check();
  const far = new Date(Date.UTC(2026, 10, 20) + 200 * 86400_000).toISOString().slice(0, 10);
  await page.locator('label[for="token-expiry-date-choice"]').click();
  await page.locator('#token-expiry-date').fill(far);
  await page.getByTestId('create-token').click();
  await expect(page.getByTestId('expiry-cut')).toContainText(`you asked for ${far}`);
  await shot(page, 'f5-expiry-cut');
  await page.getByTestId('secret-reveal').getByRole('link', { name: 'Open the new token' }).click();
  await hydrated(page);
  await expect(page.getByTestId('token-detail')).toContainText('Agent Pools: Read & manage');
  const validTo = await page.getByTestId('token-valid-to').textContent();
  // Rename only: the expiry and the scopes stay.
  await page.getByLabel('Name').fill(`${name} renamed`);
  await page.getByTestId('save-token').click();
  await expect(page.getByTestId('token-name')).toHaveText(`${name} renamed`);
  await expect(page.getByTestId('token-valid-to')).toHaveText(validTo!);
  await expect(page.getByTestId('token-detail')).toContainText('Agent Pools: Read & manage');
  await page.goto('/tokens/new?org=litware-labs-demo');
  await hydrated(page);
  await expect(page.getByTestId('tenant-max-lifetime')).toContainText('at most 90 days');
  await shot(page, 'f6-tenant-maximum');
  expect(problems).toEqual([]);
});
