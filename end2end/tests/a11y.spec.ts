import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { hydrated, signIn } from './helpers';

// axe-core on every page, signed out and signed in, light and dark: no serious or critical violation.
async function scan(page: Page, what: string) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

test('no serious or critical accessibility violation on any page', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await hydrated(page);
  await scan(page, 'signed-out home');
  await signIn(page, { onPicker: () => scan(page, 'demo sign-in page') });

  await page.goto('/tokens?filter=active');
  await hydrated(page);
  const first = page.getByRole('row').nth(1).getByRole('link');
  const detail = await first.getAttribute('href');
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => localStorage.setItem('pat-portal.theme', JSON.stringify(t)), theme);
    for (const url of ['/', '/tokens', '/tokens?filter=all', '/tokens/all', '/tokens/new', detail!, '/orgs', '/orgs/fabrikam-demo/projects', '/about', '/signin-problem?reason=cancelled']) {
      await page.goto(url);
      await hydrated(page);
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await scan(page, `${url} (${theme})`);
    }
  }
  await page.goto(detail!);
  await hydrated(page);
  await page.getByTestId('revoke-token').click();
  await scan(page, 'revoke confirmation');
});
