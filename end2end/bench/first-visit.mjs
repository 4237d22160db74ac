// Benchmark (not a test): per route, the bytes a first and a repeat visit download and the time
// until the page is hydrated, in Debian's Chromium with the network throttled through CDP.
//   node end2end/bench/first-visit.mjs <base-url> [kbit/s] [rtt ms]
// The server must be the release build on the demo stack. Prints one row per route and visit.
import { chromium } from '@playwright/test';

const base = process.argv[2] ?? 'http://127.0.0.1:3200';
const kbps = Number(process.argv[3] ?? 2000);
const rtt = Number(process.argv[4] ?? 100);
const runs = Number(process.env.BENCH_RUNS ?? 3);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--no-first-run'],
});
const context = await browser.newContext();
// The moment the app marks the page hydrated, on the page's own clock (navigation start = 0).
await context.addInitScript(() => {
  new MutationObserver((_, obs) => {
    if (document.body?.dataset.hydrated === 'true') {
      window.__hydratedAt = performance.now();
      obs.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
});

// Sign in once through the demo identity provider, unthrottled.
const page = await context.newPage();
await page.goto(base + '/');
await page.waitForSelector('body[data-hydrated="true"]');
await page.getByRole('link', { name: 'Sign in' }).first().click();
await page.getByRole('button', { name: 'Adele Vance' }).click();
await page.getByTestId('user-name').waitFor();
await page.goto(base + '/tokens');
const token = await page.getByRole('table').locator('tbody tr a').first().getAttribute('href');

const cdp = await context.newCDPSession(page);
await cdp.send('Network.enable');
await cdp.send('Network.emulateNetworkConditions', {
  offline: false,
  latency: rtt,
  downloadThroughput: (kbps * 1000) / 8,
  uploadThroughput: (kbps * 1000) / 8,
});
const bytes = new Map();
const urls = new Map();
const started = new Map();
cdp.on('Network.requestWillBeSent', (e) => {
  urls.set(e.requestId, e.request.url);
  started.set(e.requestId, e.wallTime * 1000);
});
cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, e.encodedDataLength));

async function visit(path, first) {
  if (first) await cdp.send('Network.clearBrowserCache');
  bytes.clear();
  urls.clear();
  started.clear();
  await page.goto('about:blank');
  await page.goto(base + path);
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 60_000 });
  const ms = await page.evaluate(() => window.__hydratedAt);
  const hydratedAt = await page.evaluate(() => performance.timeOrigin + window.__hydratedAt);
  await page.waitForLoadState('networkidle');
  // Until hydrated: the visit itself. After it: the idle prefetch of the other routes' code.
  let total = 0;
  let assets = 0;
  let code = 0;
  let requests = 0;
  let idle = 0;
  for (const [id, n] of bytes) {
    const path = new URL(urls.get(id) ?? base).pathname;
    const isCode = /^\/pkg\/.*\.(js|wasm)$/.test(path);
    if ((started.get(id) ?? 0) > hydratedAt) {
      if (isCode) idle += n;
      continue;
    }
    total += n;
    if (path.startsWith('/pkg/')) assets += n;
    if (isCode) {
      code += n;
      requests++;
    }
  }
  return { ms, total, assets, code, requests, idle };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (n) => (n / 1024).toFixed(1);
console.log(`first and repeat visits at ${kbps} kbit/s, ${rtt} ms RTT (median of ${runs}), signed in`);
// KB on the wire: every response of the visit with its headers; KB assets: those under /pkg/;
// KB code: the wasm and JS among them (the hydrate code, issue 13's per-route figure).
// Counted until the page is hydrated; "KB idle" is the code fetched at idle afterwards.
console.log(
  'route'.padEnd(34) + 'visit'.padEnd(8) + 'KB on the wire'.padStart(16) + 'KB assets'.padStart(11) + 'KB code'.padStart(9) + 'code reqs'.padStart(11) + 'hydrated ms'.padStart(13) + 'KB idle'.padStart(9),
);
for (const path of ['/', '/tokens', token, '/tokens/new', '/tokens/all', '/orgs', '/about']) {
  for (const first of [true, false]) {
    const rows = [];
    for (let i = 0; i < runs; i++) {
      if (!first) await visit(path, false); // warm the cache the way a previous visit would
      rows.push(await visit(path, first));
    }
    const label = path.length > 32 ? path.slice(0, 31) + '…' : path;
    console.log(
      label.padEnd(34) +
        (first ? 'first' : 'repeat').padEnd(8) +
        kb(median(rows.map((r) => r.total))).padStart(16) +
        kb(median(rows.map((r) => r.assets))).padStart(11) +
        kb(median(rows.map((r) => r.code))).padStart(9) +
        String(median(rows.map((r) => r.requests))).padStart(11) +
        median(rows.map((r) => r.ms)).toFixed(0).padStart(13) +
        kb(median(rows.map((r) => r.idle))).padStart(9),
    );
  }
}
await browser.close();
