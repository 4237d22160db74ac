import { test, expect } from '@playwright/test';
import { hydrated, shot, signIn, watchConsole } from './helpers';

test('sign in on the demo stack, see the dashboard and the PAT table, navigate, sign out', async ({ page }) => {
  const problems = watchConsole(page);
  const js = test.info().project.use.javaScriptEnabled !== false;

  await page.goto('/');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Azure DevOps tokens');
  await shot(page, '1-signed-out');

  await signIn(page, {
    onPicker: async () => {
      await expect(page.getByRole('heading', { name: 'Pick an account' })).toBeVisible();
      await expect(page.getByText('Demo identity provider')).toBeVisible();
      await shot(page, '2-demo-sign-in');
    },
  });
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByText('demo', { exact: true })).toBeVisible();
  await expect(page.getByTestId('counts')).toBeVisible();
  await expect(page.getByTestId('timeline')).toBeVisible();
  await shot(page, '3-dashboard');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).click();
  await expect(page).toHaveURL(/\/tokens/);
  await hydrated(page);
  const table = page.getByRole('table');
  await expect(table).toBeVisible();
  await expect(table.getByRole('columnheader', { name: 'Valid to' })).toBeVisible();
  expect(await table.locator('tbody tr').count()).toBeGreaterThan(3);
  await expect(table.getByText('Expires soon').first()).toBeVisible();
  await shot(page, '4-pat-table');

  // Filters are links: client-side with JavaScript, full loads without.
  await page.getByRole('navigation', { name: 'Filter tokens' }).getByRole('link', { name: 'Revoked' }).click();
  await expect(page).toHaveURL(/filter=revoked/);
  await expect(table.getByText('Revoked').first()).toBeVisible();

  // No token of any kind in the page.
  expect(await page.content()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);

  if (js) {
    // A full page load would drop this marker: its survival proves client-side navigation.
    await page.evaluate(() => ((window as any).__stillHere = true));
    await page.getByRole('link', { name: 'About' }).click();
    await expect(page.getByRole('heading', { name: 'About this portal' })).toBeVisible();
    expect(await page.evaluate(() => (window as any).__stillHere)).toBe(true);
    await expect(page.getByTestId('demo-notice')).toBeVisible();
    await page.getByRole('link', { name: 'Tokens', exact: true }).click();
    await expect(page.getByRole('table')).toBeVisible();
    expect(await page.evaluate(() => (window as any).__stillHere)).toBe(true);
  } else {
    await page.getByRole('link', { name: 'About' }).click();
    await expect(page.getByRole('heading', { name: 'About this portal' })).toBeVisible();
    await page.getByRole('link', { name: 'Dashboard' }).click();
  }

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();
  await expect(page.getByTestId('user-name')).toHaveCount(0);
  await hydrated(page);
  await shot(page, '5-signed-out-again');

  // The API agrees: the session is gone.
  const res = await page.request.get('/api/pats?filter=active');
  expect(res.status()).toBe(401);
  expect((await res.json()).kind).toBe('not_signed_in');

  expect(problems).toEqual([]);
});

test('a cancelled sign-in says so and offers to start again', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('link', { name: 'Sign in' }).first().click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('problem')).toContainText('You cancelled the sign-in');
  await expect(page.getByRole('link', { name: 'Sign in again' })).toBeVisible();
});
