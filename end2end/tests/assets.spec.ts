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
// cargo-leptos' hash-files: `name.<MD5 in unpadded base64url>.ext` (the module, its wasm, the
// stylesheet, and in the split build the chunk loader and the chunks).
const HASHED = /^\/pkg\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}\.(js|wasm|css)$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The assets a page names: stylesheet, module, wasm (and chunks it preloads). */
function assetsOf(html: string): string[] {
  const found = [...html.matchAll(/<link[^>]+href="(\/pkg\/[^"]+)"/g)].map((m) => m[1]);
  return [...new Set(found)];
}

test('pages are compressed, assets precompressed, hashed and kept for a year', async ({ baseURL }) => {
  for (const route of ['/', '/about', '/orgs', '/tokens', '/tokens/all', '/tokens/new']) {
    const page = await rawGet(baseURL + route, BROWSER);
    expect(page.status, route).toBe(200);
    expect(page.headers['content-encoding'], `${route} is compressed`).toBe('br');
    expect(page.headers['cache-control'], route).toBe('no-store');

    const plain = await rawGet(baseURL + route, { accept: 'text/html' });
    const assets = assetsOf(plain.body.toString('utf8'));
    const main = (ext: string) => assets.filter((a) => a.startsWith('/pkg/devops-pat-portal.') && a.endsWith(ext));
    expect(main('.wasm'), `${route} names its wasm`).toHaveLength(1);
    expect(main('.js'), `${route} names its module`).toHaveLength(1);
    expect(main('.css'), `${route} names its stylesheet`).toHaveLength(1);
    for (const asset of assets) await expectCachedAndCompressed(baseURL!, asset);
  }
  // An unknown asset is a page like any other: not kept.
  const missing = await rawGet(baseURL + '/pkg/devops-pat-portal.AAAAAAAAAAAAAAAAAAAAAA.wasm', BROWSER);
  expect(missing.status).toBe(404);
  expect(missing.headers['cache-control']).toBe('no-store');
});

async function expectCachedAndCompressed(baseURL: string, asset: string) {
  expect(asset, 'the name carries a content hash').toMatch(HASHED);
  const res = await rawGet(baseURL + asset, { 'accept-encoding': 'gzip, br' });
  expect(res.status, asset).toBe(200);
  expect(res.headers['content-encoding'], `${asset} is sent brotli-compressed`).toBe('br');
  expect(res.headers['cache-control'], asset).toBe(IMMUTABLE);
  expect(res.headers['vary'] ?? '', asset).toMatch(/accept-encoding/i);
  const gz = await rawGet(baseURL + asset, { 'accept-encoding': 'gzip' });
  expect(gz.headers['content-encoding'], `${asset} falls back to gzip`).toBe('gzip');
}

// Brotli bytes of the hydrate code (wasm + JS) the browser fetches for a route, signed in, with
// an empty cache, until the page is hydrated and the network idle: the main module and, on the
// pages that show one of the three heavy islands, the chunks of its code (the split build, see
// app/src/boot.rs). Issue 13's goals are 160 KB for the light routes and 200 KB for the
// heaviest; these budgets are what the build reaches today, 2026-12-05 (README, "Performance"),
// so any growth fails here. A token's page fetches the scope picker's chunks only when its edit
// form is asked to change scopes (pat_manager.spec.ts), not here. History: the single-page build
// ended at 385 KB; the islands build without split measured 233.4 KB on every route; the token
// page 210.8 KB before its picker was fetched on demand.
const LIGHT_KB = 83;
const BUDGET_KB: [string, number][] = [
  ['/', LIGHT_KB],
  ['/about', LIGHT_KB],
  ['/orgs', LIGHT_KB],
  ['/orgs/fabrikam-demo/projects', LIGHT_KB],
  ['/tokens', LIGHT_KB],
  ['/tokens/new', 185],
  ['/tokens/all', 186],
  ['TOKEN', 199],
];

test('each route fetches only its own hydrate code, within its budget', async ({ browser, baseURL }) => {
  test.skip(test.info().project.use.javaScriptEnabled === false, 'needs JavaScript');
  test.setTimeout(120_000);
  const first = await browser.newContext({ baseURL });
  const signing = await first.newPage();
  await signIn(signing);
  await signing.goto('/tokens');
  const token = await signing.getByRole('table').locator('tbody tr a').first().getAttribute('href');
  const storageState = await first.storageState();
  await first.close();

  const report: string[] = [];
  for (const [name, budget] of BUDGET_KB) {
    const route = name === 'TOKEN' ? token! : name;
    // A context of its own: an empty cache, the signed-in session.
    const context = await browser.newContext({ baseURL, storageState });
    const page = await context.newPage();
    const problems = watchConsole(page);
    const fetched: Promise<{ path: string; bytes: number; encoding?: string; cache?: string }>[] = [];
    page.on('requestfinished', (req) => {
      const path = new URL(req.url()).pathname;
      if (!/^\/pkg\/.*\.(js|wasm)$/.test(path)) return;
      fetched.push(
        (async () => {
          const res = await req.response();
          const headers = (await res?.allHeaders()) ?? {};
          const bytes = (await req.sizes()).responseBodySize;
          return { path, bytes, encoding: headers['content-encoding'], cache: headers['cache-control'] };
        })(),
      );
    });
    await page.goto(route);
    await hydrated(page);
    await page.waitForLoadState('networkidle');
    const files = await Promise.all(fetched);
    for (const f of files) {
      expect(f.path, 'the name carries a content hash').toMatch(HASHED);
      expect(f.encoding, `${f.path} is sent brotli-compressed`).toBe('br');
      expect(f.cache, f.path).toBe(IMMUTABLE);
    }
    expect(files.filter((f) => f.path.endsWith('.wasm')).length, `${route} fetches wasm`).toBeGreaterThan(0);
    const kb = files.reduce((n, f) => n + f.bytes, 0) / 1024;
    report.push(`${route}: hydrate code ${kb.toFixed(1)} KB brotli in ${files.length} files (budget ${budget} KB)`);
    expect(kb, `${route}: hydrate code in KB, brotli`).toBeLessThanOrEqual(budget);
    expect(problems, route).toEqual([]);
    await context.close();
  }
  console.log(report.join('\n'));
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
