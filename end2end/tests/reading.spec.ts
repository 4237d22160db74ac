import { test, expect } from '@playwright/test';
import { hydrated, shot, signIn, watchConsole } from './helpers';

// Reading Azure DevOps right (issue 27): a permission the app lacks is told apart from a missing
// membership and offers to grant it. Against a server whose demo identity provider leaves
// vso.pats out of its tokens (DEMO_WITHHOLD_SCOPES, the fourth server of playwright.config.ts),
// as a registration without that permission would. docs/azure-devops-fidelity.md has the row.
const withheld =
  process.env.E2E_WITHHELD_URL ?? `http://127.0.0.1:${Number(process.env.E2E_PORT ?? '3100') + 3}`;
// The sixth server: DEVOPS_SCOPES=classic against an Azure DevOps that refuses it for PATs.
const classic = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? '3100') + 5}`;

test('a token without vso.pats offers to grant the permission, not to ask an admin', async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, { from: `${withheld}/`, user: 'Megan Bowen', manage: false });
  await page.goto(`${withheld}/tokens`);
  await hydrated(page);
  const error = page.getByTestId('error').first();
  await expect(error).toContainText(
    'This app has not been granted the permission to read your personal access tokens (vso.pats) in Azure DevOps.',
  );
  await expect(error).not.toContainText('not a member');
  await expect(error).not.toContainText('Ask an organization administrator to add you');
  const grant = error.getByRole('link', { name: 'Grant the permission' });
  await expect(grant).toHaveAttribute('href', '/auth/sign-in?return_to=/tokens');
  await shot(page, 'r1-permission-missing');
  // The profile still reads: only the PAT permission is missing.
  await page.goto(`${withheld}/`);
  await hydrated(page);
  await expect(page.getByTestId('user-name')).toHaveText('Megan Bowen');
  // Its profile has only the fields of the spec's schema, read with the released version (the
  // previews are retired there): named plainly, not an error.
  await page.goto(`${withheld}/orgs`);
  await hydrated(page);
  await expect(page.getByTestId('profile')).toContainText('Your Azure DevOps profile');
  expect(problems).toEqual([]);
});

test('a classic permission Azure DevOps refuses names the setting that fixes it', async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, { from: `${classic}/`, user: 'Lee Gu', manage: false });
  await page.goto(`${classic}/tokens`);
  await hydrated(page);
  const error = page.getByTestId('error').first();
  await expect(error).toContainText("it no longer accepts this app's classic permission (user_impersonation)");
  await expect(error).toContainText('DEVOPS_SCOPES=classic');
  await expect(error).not.toContainText('not a member');
  await expect(error.getByRole('link', { name: 'Sign in again' })).toHaveCount(0);
  await shot(page, 'r2-classic-refused');
  expect(problems).toEqual([]);
});
