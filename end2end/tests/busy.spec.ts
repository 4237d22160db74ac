import { test, expect } from '@playwright/test';
import { hydrated, shot, signIn, watchConsole } from './helpers';

// Reading a busy Azure DevOps (issue 27, items 4 to 6), as a person sees it. Against the fifth
// server of playwright.config.ts, whose stand-in is set up by the demo settings DEMO_THROTTLE
// (contoso-demo near its rate limit, adatum-demo-02 blocked), DEMO_EXTRA_ORGS (21 more
// organizations: past the inventory's 20) and DEMO_EXTRA_TOKENS (1,000 more tokens in
// fabrikam-demo: past the lists' 10 pages of 100). docs/azure-devops-fidelity.md has the rows.
const busy = process.env.E2E_BUSY_URL ?? `http://127.0.0.1:${Number(process.env.E2E_PORT ?? '3100') + 4}`;

test('a busy Azure DevOps: slowed, throttled, capped and partial lists say so', async ({ page }) => {
  const problems = watchConsole(page);
  await signIn(page, { from: `${busy}/`, user: 'Megan Bowen', manage: false });

  // The dashboard counts what it read, and says it read the first 1,000 tokens only.
  await expect(page.getByTestId('list-notice')).toContainText(
    'The counts cover the first 1000 tokens of fabrikam-demo only: it has more.',
  );

  // A search past 10 pages says what it searched.
  await page.goto(`${busy}/tokens?q=ci`);
  await hydrated(page);
  await expect(page.getByTestId('list-notice')).toContainText('Only the first 1000 tokens of fabrikam-demo were searched');

  // The inventory: slowed (said once, above the table), a throttled organization named with its
  // wait, the organizations past the cap named, the long list said to be partial.
  await page.goto(`${busy}/tokens/all`);
  await hydrated(page);
  await expect(page.getByTestId('list-notice')).toContainText(
    'Azure DevOps asked the portal to slow down (resource ATCPU): it reads one thing at a time for now',
  );
  const failures = page.getByTestId('org-failure');
  await expect(failures.filter({ hasText: 'adatum-demo-02' })).toContainText(/[Tt]ry again in \d+ seconds/);
  for (const org of ['adatum-demo-19', 'adatum-demo-20', 'adatum-demo-21', 'northwind-demo']) {
    await expect(failures.filter({ hasText: org })).toContainText('reads at most 20 organizations at a time');
  }
  await expect(failures.filter({ hasText: 'fabrikam-demo' })).toContainText('tokens past its first 1000');
  const orgs = await page.getByTestId('row-org').allTextContents();
  expect(orgs).toContain('contoso-demo');
  await expect(page.getByTestId('inventory-total')).toContainText('across 24 organizations');
  await shot(page, 'b1-busy-inventory');

  // An organization past the cap opens alone.
  await failures.filter({ hasText: 'adatum-demo-21' }).getByRole('link', { name: 'Open adatum-demo-21 alone' }).click();
  await expect(page).toHaveURL(/\/tokens\?org=adatum-demo-21/);
  await hydrated(page);
  await expect(page.getByTestId('table-org')).toHaveText('adatum-demo-21');
  await expect(page.getByTestId('pat-table')).toBeVisible();
  expect(problems).toEqual([]);
});
