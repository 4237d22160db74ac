import { test, expect } from '@playwright/test';
import { hydrated, shot, signIn, watchConsole } from './helpers';

// The app's own rate limits, as a person meets them: a second server (started by
// playwright.config.ts on the next port) allows a burst of 2 token creations (then one every
// 30 s) and of 3 sign-in starts (then one every 20 s). The steps below take a few seconds.
const limited = process.env.E2E_LIMITED_URL ?? `http://127.0.0.1:${Number(process.env.E2E_PORT ?? '3100') + 1}`;

test('creating too many tokens, then starting too many sign-ins, says when to try again', async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, { from: `${limited}/` });

  for (let i = 1; i <= 3; i++) {
    await page.goto(`${limited}/tokens/new`);
    await hydrated(page);
    await page.getByLabel('Name').fill(`Limited ${i} ${Date.now().toString(36)}`);
    await page.locator('#scope-vso-code').check();
    await page.locator('label[for="token-expiry-7"]').click();
    await page.getByTestId('create-token').click();
    if (i <= 2) await expect(page.getByTestId('secret-reveal')).toBeVisible();
  }
  // The third is refused, and the page says when to retry; nothing was created.
  await expect(page.getByRole('alert').filter({ hasText: /Too many requests: try again in \d+ seconds\./ }).first())
    .toBeVisible();
  await expect(page.getByTestId('secret-reveal')).toHaveCount(0);
  await expect(page.getByLabel('Name')).toHaveValue(/^Limited 3 /);
  await shot(page, 'rate-limited-create');
  // The refused request is the only console complaint (the browser logs a 429 it fetched).
  expect(problems.filter((p) => !p.includes('429'))).toEqual([]);

  // Sign-in starts: the fourth within a minute gets a page that says when to try again.
  let last = null;
  for (let i = 0; i < 4; i++) {
    last = await page.goto(`${limited}/auth/sign-in?return_to=/`);
    if (last?.status() === 429) break;
  }
  expect(last?.status()).toBe(429);
  expect(Number(last?.headers()['retry-after'])).toBeGreaterThan(0);
  await expect(page.getByRole('heading', { name: 'Too many sign-in attempts' })).toBeVisible();
  await expect(page.getByTestId('rate-limited')).toHaveText(/Try again in \d+ seconds\./);
  await shot(page, 'rate-limited-sign-in');
});
