import { test, expect } from '@playwright/test';
import * as fs from 'fs';
import { hydrated, shot, signIn, watchConsole } from './helpers';

// Reminders: the lead time chosen on the dashboard (remembered in this browser) sets the
// dashboard's "expiring within" window and the calendar file, which downloads with one event
// per working token.

test('choose a lead time, see the dashboard follow it, download the calendar', async ({ page }) => {
  test.skip(test.info().project.name !== 'hydrated', 'a hydrated journey');
  const problems = watchConsole(page);
  await signIn(page);
  const reminders = page.getByTestId('reminders');
  await expect(reminders.getByLabel('Remind me')).toHaveValue('7');
  await expect(page.getByTestId('expiring').getByRole('heading')).toHaveText('Expiring within 7 days');

  await page.evaluate(() => ((window as any).__stillHere = true));
  await reminders.getByLabel('Remind me').selectOption('30');
  await expect(page).toHaveURL(/lead=30/);
  await expect(page.getByTestId('expiring').getByRole('heading')).toHaveText('Expiring within 30 days');
  expect(await page.evaluate(() => (window as any).__stillHere), 'applied without a page load').toBe(true);
  await shot(page, 'h1-reminders');

  // Remembered: a fresh visit to the dashboard comes back with the same window.
  await page.goto('/');
  await hydrated(page);
  await expect(page).toHaveURL(/lead=30/);
  await expect(page.getByTestId('expiring').getByRole('heading')).toHaveText('Expiring within 30 days');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('reminders-ics').click()]);
  expect(download.suggestedFilename()).toMatch(/^pat-reminders-.+\.ics$/);
  const ics = fs.readFileSync((await download.path())!, 'utf8');
  expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
  const events = ics.split('BEGIN:VEVENT').length - 1;
  const counts = page.getByTestId('counts');
  const active = Number(await counts.locator('a').nth(0).locator('.count-n').textContent());
  const soon = Number(await counts.locator('a').nth(1).locator('.count-n').textContent());
  expect(events, 'one event per working token').toBe(active + soon);
  expect(problems).toEqual([]);
});
