import { test, expect } from '@playwright/test';
import * as http from 'http';
import { hydrated, signIn, watchConsole } from './helpers';

// What a first visit downloads, against the release build (`cargo leptos build --release
// --precompress`, hash-files on): compressed pages, precompressed assets under content-hashed
// names kept for a year, and the size budget of each route's hydrate code (wasm + JS, brotli).

/** A raw GET (Node's http: nothing is decompressed, so sizes are what travels). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

const BROWSER = { 'accept-encoding': 'gzip, deflate, br, zstd', accept: 'text/html' };
const HASHED = /^\/pkg\/devops-pat-portal\.[A-Za-z0-9_-]{22}\.(js|wasm|css)$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The assets a page names: stylesheet, module, wasm. */
function assetsOf(html: string): string[] {
  const found = [...html.matchAll(/<link[^>]+href="(\/pkg\/[^"]+)"/g)].map((m) => m[1]);
  return [...new Set(found)];
}

// Brotli bytes of the hydrate code (wasm + JS) a route loads. Issue 13's goals are 160 KB for
// the lightest routes and 200 KB for the heaviest; these budgets are what the build reaches
// today (README, "Performance"), so any growth fails here. The single-page build ended at
// 385 KB (after issue 14's items 1 to 4); the islands build (only the interactive parts
// hydrate, the server renders the rest) measured 233.4 KB on every route on 2026-12-05.
const BUDGET_KB: Record<string, number> = {
  '/': 234,
  '/about': 234,
  '/orgs': 234,
  '/tokens': 234,
  '/tokens/all': 234,
};

test('pages are compressed, assets precompressed, hashed and kept for a year', async ({ baseURL }) => {
  for (const route of Object.keys(BUDGET_KB)) {
    const page = await rawGet(baseURL + route, BROWSER);
    expect(page.status, route).toBe(200);
    expect(page.headers['content-encoding'], `${route} is compressed`).toBe('br');
    expect(page.headers['cache-control'], route).toBe('no-store');

    const plain = await rawGet(baseURL + route, { accept: 'text/html' });
    const assets = assetsOf(plain.body.toString('utf8'));
    expect(assets.filter((a) => a.endsWith('.wasm')), `${route} names its wasm`).toHaveLength(1);
    expect(assets.filter((a) => a.endsWith('.js')), `${route} names its module`).toHaveLength(1);
    expect(assets.filter((a) => a.endsWith('.css')), `${route} names its stylesheet`).toHaveLength(1);

    let hydrateBytes = 0;
    for (const asset of assets) {
      expect(asset, 'the name carries a content hash').toMatch(HASHED);
      const res = await rawGet(baseURL + asset, { 'accept-encoding': 'gzip, br' });
      expect(res.status, asset).toBe(200);
      expect(res.headers['content-encoding'], `${asset} is sent brotli-compressed`).toBe('br');
      expect(res.headers['cache-control'], asset).toBe(IMMUTABLE);
      expect(res.headers['vary'] ?? '', asset).toMatch(/accept-encoding/i);
      if (!asset.endsWith('.css')) hydrateBytes += res.body.length;
      const gz = await rawGet(baseURL + asset, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding'], `${asset} falls back to gzip`).toBe('gzip');
    }
    const kb = hydrateBytes / 1024;
    console.log(`${route}: hydrate code ${kb.toFixed(1)} KB brotli (budget ${BUDGET_KB[route]} KB)`);
    expect(kb, `${route}: hydrate code in KB, brotli`).toBeLessThanOrEqual(BUDGET_KB[route]);
  }
  // An unknown asset is a page like any other: not kept.
  const missing = await rawGet(baseURL + '/pkg/devops-pat-portal.AAAAAAAAAAAAAAAAAAAAAA.wasm', BROWSER);
  expect(missing.status).toBe(404);
  expect(missing.headers['cache-control']).toBe('no-store');
});

// Every page reaches every other without a full page load once hydrated (nav.js handles any
// link to a page of the app: here a link added to the page for each destination).
test('client-side navigation between every pair of pages', async ({ page }) => {
  test.skip(test.info().project.use.javaScriptEnabled === false, 'needs JavaScript');
  const problems = watchConsole(page);
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).click();
  await hydrated(page);
  const token = await page.getByRole('table').locator('tbody tr a').first().getAttribute('href');
  const pages: [string, RegExp][] = [
    ['/', /^Dashboard ·/],
    ['/tokens', /^Tokens ·/],
    ['/tokens/new', /^New token ·/],
    [token!, /^Token ·/],
    ['/orgs', /^Organizations ·/],
    ['/orgs/fabrikam-demo/projects', /^Projects ·/],
    ['/about', /^About ·/],
  ];
  await page.goto('/');
  await hydrated(page);
  await page.evaluate(() => ((window as any).__stillHere = true));
  for (const [from] of pages) {
    for (const [to, title] of pages) {
      if (from === to) continue;
      for (const target of [from, to]) {
        await page.evaluate((href) => {
          const a = document.createElement('a');
          a.href = href;
          a.id = 'e2e-nav';
          a.textContent = 'go';
          document.getElementById('e2e-nav')?.remove();
          document.body.appendChild(a);
        }, target);
        await page.locator('#e2e-nav').click();
        await expect(page).toHaveURL(new RegExp(target.replace(/[?]/g, '\\?') + '$'));
      }
      await expect(page).toHaveTitle(title);
      expect(await page.evaluate(() => (window as any).__stillHere), `${from} → ${to} without a page load`).toBe(true);
    }
  }
  expect(problems).toEqual([]);
});
