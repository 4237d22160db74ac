import { test, expect, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

// Shared by the spec files: screenshots per project, console watching, the hydration marker, signing in.
const shots = path.join(__dirname, '..', 'screenshots');
fs.mkdirSync(shots, { recursive: true });

export async function shot(page: Page, name: string) {
  const project = test.info().project.name;
  await page.screenshot({ path: path.join(shots, `${project}-${name}.png`), fullPage: true });
}

/** Console errors and failed requests make a test fail: a broken hydration shows up here. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

/** What a page said (console errors, page errors, failed requests), kept to explain a hydration that never came. */
const said = new WeakMap<Page, string[]>();
function listen(page: Page) {
  if (said.has(page)) return;
  const log: string[] = [];
  said.set(page, log);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => log.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => log.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) log.push(`navigated: ${f.url()}`);
  });
  page.on('response', async (r) => {
    if (!r.request().isNavigationRequest()) return;
    const h = await r.allHeaders().catch(() => ({} as Record<string, string>));
    const csp = h['content-security-policy'] ?? '(none)';
    const nonce = /'nonce-[^']+'/.test(csp) ? 'with a nonce' : `WITHOUT a nonce: ${csp}`;
    log.push(`document ${r.status()} ${r.url()} (CSP ${nonce}; request id ${h['x-request-id'] ?? '-'})`);
  });
}

/** Waits for hydration (a no-op in the project that runs with JavaScript off); when it never
 * comes, the failure says what the page logged meanwhile. */
export async function hydrated(page: Page) {
  if (test.info().project.use.javaScriptEnabled === false) return;
  listen(page);
  try {
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  } catch (e) {
    const log = (said.get(page) ?? []).slice(-30).join('\n  ');
    throw new Error(`${(e as Error).message}\nThe page at ${page.url()} logged:\n  ${log}`);
  }
}

/**
 * Signs in on the demo stack as a demo user, starting from `from` (a path, or a URL on another
 * server): the "Sign in" link, the demo provider's account picker, back signed in. With
 * `onPicker`, runs it on the provider's page first (checks, screenshots). The sign-in asks for
 * reading only (least privilege); unless `manage` is false, the permission to change tokens is
 * then granted too, as the first change would ask for it. Works with and without JavaScript.
 */
export async function signIn(
  page: Page,
  {
    from = '/',
    user = 'Adele Vance',
    onPicker,
    manage = true,
  }: { from?: string; user?: string; onPicker?: () => Promise<void>; manage?: boolean } = {},
) {
  listen(page);
  await page.goto(from);
  await hydrated(page);
  await page.getByRole('link', { name: 'Sign in' }).first().click();
  if (onPicker) await onPicker();
  await page.getByRole('button', { name: user }).click();
  // A permission asked at sign-in that nobody granted yet (the classic user_impersonation in
  // Contoso) shows the provider's consent page first.
  const accept = page.getByRole('button', { name: 'Accept' });
  await expect(page.getByTestId('user-name').or(accept)).toBeVisible();
  if (await accept.isVisible()) await accept.click();
  await expect(page.getByTestId('user-name')).toHaveText(user);
  await hydrated(page);
  if (manage) await allowChanges(page, user);
}

/**
 * The incremental consent for changing tokens, started directly (the app starts it on the first
 * change): the demo provider's picker, its consent page, Accept; back on the same page. A user
 * who consented before (the demo provider remembers it, as Entra does) comes straight back.
 */
export async function allowChanges(page: Page, user: string) {
  const here = new URL(page.url());
  // A form POST from the portal's own page, as the app starts it (a link cannot: issue 29, item 3).
  const navigated = page.waitForEvent('load');
  await page.evaluate((back) => {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = '/auth/consent';
    const field = document.createElement('input');
    field.type = 'hidden';
    field.name = 'return_to';
    field.value = back;
    form.append(field);
    document.body.append(form);
    form.submit();
  }, here.pathname + here.search);
  await navigated;
  if (page.url().includes('/oauth2/v2.0/authorize')) {
    await page.getByRole('button', { name: user }).click();
    await expect(page.getByRole('heading', { name: 'Permissions requested' })).toBeVisible();
    await page.getByRole('button', { name: 'Accept' }).click();
  }
  await expect(page).toHaveURL(here.toString());
  await hydrated(page);
}
