import { test, expect, Page } from '@playwright/test';
import { hydrated, shot, signIn, watchConsole } from './helpers';

// Issue 14, item 3: scopes chosen by task ("Clone and push code", "Run pipelines"), the search
// over the whole catalogue, and the new token carrying exactly the scopes the tasks chose.

/** The scopes checked in the catalogue, sorted (hidden ones included). */
function checkedScopes(page: Page): Promise<string[]> {
  return page
    .locator('.scope-areas input[type="checkbox"]:checked')
    .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value).sort());
}

test('choose scopes by task, search the catalogue, create the token with exactly those scopes', async ({ page }) => {
  test.skip(test.info().project.name !== 'hydrated', 'a hydrated journey');
  const problems = watchConsole(page);
  await signIn(page, { from: '/tokens/new' });
  await page.goto('/tokens/new');
  await hydrated(page);
  const name = `E2E scope tasks ${Date.now().toString(36)}`;
  await page.getByLabel('Name').fill(name);

  // Two tasks: each adds the one scope it needs and shows as pressed.
  const clonePush = page.getByTestId('scope-task-clone-push');
  const runPipelines = page.getByTestId('scope-task-run-pipelines');
  await expect(clonePush).toHaveText('Clone and push code');
  await expect(clonePush).toHaveAttribute('aria-pressed', 'false');
  await clonePush.click();
  await runPipelines.click();
  await expect(clonePush).toHaveAttribute('aria-pressed', 'true');
  await expect(runPipelines).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('scope-task-clone-read')).toHaveAttribute('aria-pressed', 'false');
  await expect.poll(() => checkedScopes(page)).toEqual(['vso.build_execute', 'vso.code_write']);

  // A second click takes back what the task added, and only that; a third chooses it again.
  await runPipelines.click();
  await expect(runPipelines).toHaveAttribute('aria-pressed', 'false');
  await expect.poll(() => checkedScopes(page)).toEqual(['vso.code_write']);
  await runPipelines.click();
  await expect(runPipelines).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('#scope-vso-build_execute')).toBeChecked();
  await expect(page.locator('#scope-vso-code_write')).toBeChecked();
  await expect.poll(() => checkedScopes(page)).toEqual(['vso.build_execute', 'vso.code_write']);

  // The search filters the tree live; what it hides stays selected.
  const areas = page.locator('.scope-areas .scope-area');
  const total = await areas.count();
  const search = page.getByTestId('scope-search');
  await expect(search).toHaveAttribute('type', 'search');
  await expect(page.getByLabel('Search scopes')).toBeVisible();
  await search.fill('packag');
  await expect(page.locator('.scope-areas .scope-area:visible legend')).toHaveText(['Packaging']);
  await expect(page.locator('.scope-areas .scope-area:visible input[type="checkbox"]')).toHaveCount(3);
  await expect(page.getByTestId('scope-no-match')).toHaveCount(0);
  await expect(page.locator('#scope-vso-code_write')).toBeHidden();
  await expect(page.locator('#scope-vso-code_write')).toBeChecked();
  await shot(page, 'j1-scope-tasks');

  await search.fill('no such scope');
  await expect(page.getByTestId('scope-no-match')).toContainText('No scope matches');
  await expect(page.locator('.scope-areas .scope-area:visible')).toHaveCount(0);
  // Enter in the search box does not submit the form around it.
  await search.press('Enter');
  await expect(page.getByTestId('secret-reveal')).toHaveCount(0);
  await search.fill('');
  await expect(page.locator('.scope-areas .scope-area:visible')).toHaveCount(total);
  await expect(page.getByTestId('scope-no-match')).toHaveCount(0);
  await expect.poll(() => checkedScopes(page)).toEqual(['vso.build_execute', 'vso.code_write']);

  // Create it: its page lists exactly those scopes.
  await page.getByTestId('create-token').click();
  const reveal = page.getByTestId('secret-reveal');
  await expect(reveal).toBeVisible();
  await reveal.getByRole('link', { name: 'Open the new token' }).click();
  await expect(page.getByTestId('token-name')).toHaveText(name);
  const listed = page.getByTestId('token-detail').locator('dt:has-text("Scopes") + dd li');
  await expect
    .poll(async () => (await listed.allTextContents()).map((s) => s.trim()).sort())
    .toEqual(['Build: Read & execute High privilege', 'Code: Read & write High privilege']);
  expect(problems).toEqual([]);
});
