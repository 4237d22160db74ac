import { test, expect, Page } from '@playwright/test';
import { hydrated, shot, signIn, watchConsole } from './helpers';

// Seen on a laptop: the header fits one line from 1024 px up, dates in tables never wrap, and
// each expiry reads as a date and a relative time.

async function headerRows(page: Page): Promise<number> {
  const tops = await page.locator('header.topbar > *').evaluateAll((els) =>
    els
      .map((e) => e.getBoundingClientRect())
      .filter((r) => r.width > 0 && r.height > 0)
      .map((r) => Math.round(r.top + r.height / 2)),
  );
  // Items whose vertical centres are within 12 px of each other share a row.
  const rows: number[] = [];
  for (const t of tops) if (!rows.some((r) => Math.abs(r - t) <= 12)) rows.push(t);
  return rows.length;
}

test('header on one line, dates whole, expiry in words', async ({ page }) => {
  test.skip(test.info().project.name !== 'hydrated', 'a desktop layout check');
  const problems = watchConsole(page);
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page);
  for (const width of [1024, 1280, 1440]) {
    await page.setViewportSize({ width, height: 900 });
    expect(await headerRows(page), `header rows at ${width} px`).toBe(1);
  }
  // The organization picker keeps its accessible name when its label is not shown.
  await expect(page.getByLabel('Organization')).toBeVisible();

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).click();
  await hydrated(page);
  const dates = page.locator('.pats td.date time');
  expect(await dates.count()).toBeGreaterThan(3);
  const heights = await dates.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
  const lineHeight = await dates.first().evaluate((e) => parseFloat(getComputedStyle(e).lineHeight));
  for (const h of heights) expect(h, 'a date on one line').toBeLessThanOrEqual(lineHeight + 1);
  const words = await page.locator('.pats td.date .rel').allTextContents();
  expect(words.length).toBe(await dates.count());
  for (const w of words) expect(w).toMatch(/^(in \d+ (minute|hour|day|week|month|year)s?|\d+ (minute|hour|day|week|month|year)s? ago|now)$/);
  await shot(page, 'g1-tokens-1280');

  await page.getByRole('table').locator('tbody tr a').first().click();
  await hydrated(page);
  await expect(page.getByTestId('token-valid-to')).toHaveText(/^\d{4}-\d{2}-\d{2}(in \d+|\d+ .* ago|now)/);
  expect(problems).toEqual([]);
});
