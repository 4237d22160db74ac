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

// Brotli bytes of the code (wasm + JS) the browser fetches for a first visit to a route, signed
// in, with an empty cache, until the page is hydrated: the main module, the chunk loader and, on
// a lazy route, the chunks of its code (app/src/route_code.rs). Every one of them is named by
// the page's <head> (preload or modulepreload), so none waits on another. What the idle prefetch
// fetches afterwards (the other routes' code) is not counted. Issue 26's goals: 220 KB on light
// routes, 270 KB on the heaviest, at most 10 requests; the budgets are what the build reaches
// (README, "Performance"), so any growth fails here. History: the single-page build ended at
// 385 KB without lazy routes; the islands build measured 82.2 KB (light) to 197.2 KB.
// Measured 2026-12-07: 251.7 KB light, 305.1 /tokens/new, 298.4 /tokens/all, 317.3 a token's
// page, in 3, 10, 8 and 9 requests: above issue 26's size goals (README says so and why). Issue
// 29's consent drafts (keyed by page and user, 15 minutes) added 0.8 to 2.1 KB: 252.5, 306.5,
// 300.3 and 319.4 KB. Issue 29's third round (a consent started by a form POST; a bulk change as a
// task whose progress the page asks for every second) made them 252.8, 307.0, 304.4 and 319.8 KB.
// Issue 28 (the table's flags on every token list, this sign-in's permissions on /orgs, the
// packaging-only retry and the tenant's maximum on the form, a way off each token on its page)
// made them 254.5, 310.8, 306.1 and 325.7 KB.
const LIGHT_KB = 255;
const BUDGET_KB: [string, number][] = [
  ['/', LIGHT_KB],
  ['/about', LIGHT_KB],
  ['/orgs', LIGHT_KB],
  ['/orgs/fabrikam-demo/projects', LIGHT_KB],
  ['/tokens', LIGHT_KB],
  ['/tokens/new', 312],
  ['/tokens/all', 307],
  ['TOKEN', 326],
];
const MAX_CODE_REQUESTS = 10;

/** Marks, on the page's own clock, the moment the app says it is hydrated. */
const MARK_HYDRATED = () => {
  new MutationObserver((_, obs) => {
    if (document.body?.dataset.hydrated === 'true') {
      (window as any).__hydratedAt = performance.now();
      obs.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
};

/** The paths the page's <head> asks the browser to fetch early. */
function headPreloads(html: string): Set<string> {
  const head = html.slice(0, html.indexOf('</head>'));
  const links = [...head.matchAll(/<link[^>]*>/g)].map((m) => m[0]);
  return new Set(
    links
      .filter((l) => /rel="(modulepreload|preload)"/.test(l))
      .map((l) => /href="([^"]+)"/.exec(l)?.[1] ?? '')
      .map((h) => new URL(h, 'http://x').pathname),
  );
}

test('a first visit fetches only its route\'s code, all of it named by the head, within its budget', async ({ browser, baseURL }) => {
  test.skip(test.info().project.use.javaScriptEnabled === false, 'needs JavaScript');
  test.setTimeout(180_000);
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
    await context.addInitScript(MARK_HYDRATED);
    const page = await context.newPage();
    const problems = watchConsole(page);
    const fetched: Promise<{ path: string; bytes: number; start: number; encoding?: string; cache?: string }>[] = [];
    page.on('requestfinished', (req) => {
      const path = new URL(req.url()).pathname;
      if (!/^\/pkg\/.*\.(js|wasm)$/.test(path)) return;
      fetched.push(
        (async () => {
          const res = await req.response();
          const headers = (await res?.allHeaders()) ?? {};
          const bytes = (await req.sizes()).responseBodySize;
          return { path, bytes, start: req.timing().startTime, encoding: headers['content-encoding'], cache: headers['cache-control'] };
        })(),
      );
    });
    await page.goto(route);
    await hydrated(page);
    const hydratedAt = await page.evaluate(() => performance.timeOrigin + (window as any).__hydratedAt);
    await page.waitForLoadState('networkidle');
    const all = await Promise.all(fetched);
    // The page's HTML as the server renders it for this session (the navigation's own body is not
    // always kept by the browser).
    const html = await (await context.request.get(route)).text();
    const files = all.filter((f) => f.start <= hydratedAt);
    const later = all.filter((f) => f.start > hydratedAt);
    for (const f of all) {
      expect(f.path, 'the name carries a content hash').toMatch(HASHED);
      expect(f.encoding, `${f.path} is sent brotli-compressed`).toBe('br');
      expect(f.cache, f.path).toBe(IMMUTABLE);
    }
    const named = headPreloads(html);
    for (const f of files) expect(named.has(f.path), `${route}: ${f.path} is named by the head (${[...named].join(' ')}; ${f.start - hydratedAt} ms before hydrated)`).toBe(true);
    expect(files.length, `${route}: requests for code`).toBeLessThanOrEqual(MAX_CODE_REQUESTS);
    expect(files.filter((f) => f.path.endsWith('.wasm')).length, `${route} fetches wasm`).toBeGreaterThan(0);
    const kb = files.reduce((n, f) => n + f.bytes, 0) / 1024;
    const idle = later.reduce((n, f) => n + f.bytes, 0) / 1024;
    report.push(`${route}: code ${kb.toFixed(1)} KB brotli in ${files.length} requests (budget ${budget} KB); then ${idle.toFixed(1)} KB in ${later.length} at idle`);
    expect(kb, `${route}: code in KB, brotli`).toBeLessThanOrEqual(budget);
    expect(problems, route).toEqual([]);
    await context.close();
  }
  console.log(report.join('\n'));
});

// The single-page app: once a page has hydrated and the other routes' code has been fetched at
// idle, going from any page to any other (links handled by leptos_router; here a link added to
// the page for each destination) keeps the document, fetches no HTML and no code, and renders the
// next page in WebAssembly from its server functions' answers (pages with no data ask nothing).
test('client-side navigation between every ordered pair of pages: no HTML, no code, data from server functions', async ({ page }) => {
  test.skip(test.info().project.use.javaScriptEnabled === false, 'needs JavaScript');
  test.setTimeout(180_000);
  const problems = watchConsole(page);
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tokens' }).click();
  await hydrated(page);
  const token = await page.getByRole('table').locator('tbody tr a').first().getAttribute('href');
  // [address, title, reads data]
  const pages: [string, RegExp, boolean][] = [
    ['/', /^Dashboard ·/, true],
    ['/tokens', /^Tokens ·/, true],
    ['/tokens/all', /^Every organization ·/, true],
    ['/tokens/new', /^New token ·/, false],
    [token!, /^Token ·/, true],
    ['/orgs', /^Organizations ·/, true],
    ['/orgs/fabrikam-demo/projects', /^Projects ·/, true],
    ['/about', /^About ·/, false],
  ];
  await page.goto('/');
  await hydrated(page);
  await page.waitForLoadState('networkidle'); // the idle prefetch of the other routes' code
  await page.evaluate(() => ((window as any).__stillHere = true));
  const requests: { path: string; type: string }[] = [];
  page.on('request', (req) => requests.push({ path: new URL(req.url()).pathname, type: req.resourceType() }));
  const go = async (href: string, title: RegExp) => {
    await page.evaluate((href) => {
      const a = document.createElement('a');
      a.href = href;
      a.id = 'e2e-nav';
      a.textContent = 'go';
      document.getElementById('e2e-nav')?.remove();
      document.body.appendChild(a);
    }, href);
    requests.length = 0;
    await page.locator('#e2e-nav').click();
    await expect(page).toHaveURL(new RegExp(href.replace(/[?]/g, '\\?') + '$'));
    await expect(page).toHaveTitle(title);
    await expect(page.locator('main [aria-busy="true"]')).toHaveCount(0);
  };
  for (const [from, fromTitle] of pages) {
    for (const [to, title, reads] of pages) {
      if (from === to) continue;
      await go(from, fromTitle);
      await go(to, title);
      const pair = `${from} → ${to}`;
      expect(requests.filter((r) => r.type === 'document'), `${pair}: no page HTML`).toEqual([]);
      expect(requests.filter((r) => r.path.startsWith('/pkg/')), `${pair}: no code`).toEqual([]);
      const calls = requests.filter((r) => r.path.startsWith('/api/'));
      if (reads) expect(calls.length, `${pair}: rendered from server-function answers`).toBeGreaterThan(0);
      else expect(calls, `${pair}: a page with no data asks nothing`).toEqual([]);
      expect(await page.evaluate(() => (window as any).__stillHere), `${pair}: the same document`).toBe(true);
    }
  }
  expect(problems).toEqual([]);
});
