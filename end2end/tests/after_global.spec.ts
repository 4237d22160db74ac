import { test, expect } from '@playwright/test';
import { hydrated, shot, signIn, watchConsole } from './helpers';

// Issue 28, after global PATs: the scope catalogue as Microsoft publishes it, a way off each PAT,
// creation under an organization's policy, and least privilege that lapsed. The references are
// in docs/azure-devops-fidelity.md.

test('the picker shows the table as published, and a token says what replaces it', async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, { user: 'Megan Bowen' });
  // The dashboard counts the working tokens a documented replacement fits.
  await expect(page.getByTestId('replaceable')).toContainText('a documented replacement that needs no token');

  await page.goto('/tokens/new');
  await hydrated(page);
  const picker = page.getByTestId('scope-picker');
  // The lifecycle API's Entra scopes are not PAT scopes: not offered.
  await expect(picker.locator('#scope-vso-pats')).toHaveCount(0);
  await expect(picker.locator('#scope-vso-pats_manage')).toHaveCount(0);
  // "High privilege" and "No longer public", as the table marks them.
  await expect(picker.locator('label[for="scope-vso-code_write"]').getByTestId('flag-high')).toBeVisible();
  await expect(picker.locator('label[for="scope-vso-code"]').getByTestId('flag-high')).toHaveCount(0);
  await expect(picker.locator('label[for="scope-vso-hooks_write"]').getByTestId('flag-withdrawn')).toBeVisible();
  // Marketplace publishing: Entra sign-in first.
  await expect(page.locator('#scope-task-publish-extension-why')).toContainText('vsce publish --azure-credential');

  // A token for git on a laptop: Git Credential Manager with Entra sign-in, Microsoft's page linked.
  await page.goto('/tokens?filter=active');
  await hydrated(page);
  await page.getByRole('link', { name: 'Git push from laptop' }).first().click();
  const way = page.getByTestId('way-off');
  await expect(way.getByTestId('way-off-git')).toContainText('Git Credential Manager with Microsoft Entra sign-in');
  await expect(way.locator('pre code')).toHaveText('git config --global credential.azreposCredentialType oauth');
  await expect(way.getByRole('link', { name: "Microsoft's page on it" })).toHaveAttribute(
    'href',
    'https://learn.microsoft.com/azure/devops/repos/git/set-up-credential-managers',
  );
  await expect(page.getByTestId('token-scopes').getByTestId('flag-high')).toBeVisible();
  await shot(page, 'w1-way-off');
  expect(problems).toEqual([]);
});

test('an organization that restricts creation gets a packaging-only retry, and the sign-in shows what it holds', async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, { user: 'Alex Wilber' });
  // Litware's administrator granted user_impersonation (a classic set-up left over): every
  // sign-in carries it, and the account page says so.
  await page.goto('/orgs');
  await hydrated(page);
  const permissions = page.getByTestId('permissions');
  await expect(permissions).toContainText('user_impersonation');
  await expect(page.getByTestId('permissions-lapse')).toContainText('Least privilege holds per user, not per session');
  await shot(page, 'w3-permissions');

  await page.goto('/tokens/new?org=litware-demo');
  await hydrated(page);
  await page.getByLabel('Name').fill(`E2E feed ${Date.now().toString(36)}`);
  await page.locator('#scope-vso-code').check();
  await page.locator('#scope-vso-packaging_write').check();
  await page.getByTestId('create-token').click();
  await expect(page.getByTestId('error').first()).toContainText('restricts who may create personal access tokens');
  const retry = page.getByTestId('retry-packaging');
  await expect(retry).toHaveText('Create it with its packaging scopes only (vso.packaging_write)');
  await shot(page, 'w2-packaging-retry');
  await retry.click();
  await expect(page.getByTestId('secret-reveal')).toBeVisible();
  await page.getByTestId('secret-reveal').getByRole('link', { name: 'Open the new token' }).click();
  await expect(page.getByTestId('token-scopes')).toHaveText(/Packaging: Read & write/);
  await expect(page.getByTestId('way-off-artifacts')).toBeVisible();
  expect(problems.filter((p) => !p.includes('403'))).toEqual([]);
});
