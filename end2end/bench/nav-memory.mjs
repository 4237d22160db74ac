// Benchmark (not a test): client-side navigation in the single-page app. Signs in on the demo
// stack, waits for the idle prefetch of every route's code, then goes round the app's pages
// (links handled by leptos_router, no page load) N times and prints:
//  - the WebAssembly memory and the JavaScript heap (after a forced garbage collection) before
//    and after, in total and per navigation;
//  - the bytes of code and the HTML documents fetched during the navigations (both should be 0);
//  - per navigation, the time from the last server-function answer's end to the page painted
//    (the frame after its title is set and no skeleton is left), median and 90th percentile.
//   node bench/nav-memory.mjs http://127.0.0.1:3200 [navigations]
import { chromium } from '@playwright/test';

const base = process.argv[2] ?? 'http://127.0.0.1:3200';
const wanted = Number(process.argv[3] ?? 500);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--js-flags=--expose-gc'],
});
const page = await browser.newPage();
await page.goto(base + '/');
await page.waitForSelector('body[data-hydrated="true"]');
await page.getByRole('link', { name: 'Sign in' }).first().click();
await page.getByRole('button', { name: 'Adele Vance' }).click();
await page.waitForSelector('[data-testid="user-name"]');
await page.goto(base + '/tokens');
await page.waitForSelector('body[data-hydrated="true"]');
const token = await page.locator('table tbody tr a').first().getAttribute('href');
await page.waitForLoadState('networkidle');
const pages = [
  ['/', 'Dashboard'],
  ['/tokens', 'Tokens'],
  ['/tokens/all', 'Every organization'],
  ['/tokens/new', 'New token'],
  [token, 'Token'],
  ['/orgs', 'Organizations'],
  ['/orgs/fabrikam-demo/projects', 'Projects'],
  ['/about', 'About'],
];

// The wasm-bindgen module is initialised once; asking again returns its exports (and memory).
async function measure() {
  return page.evaluate(async () => {
    const js = document.querySelector('link[rel="modulepreload"]').href;
    const wasm = await (await import(js)).default();
    window.gc();
    return { wasm: wasm.memory.buffer.byteLength, heap: performance.memory.usedJSHeapSize };
  });
}

// One navigation through the router: a link clicked, then the frame in which the page is shown.
// Returns the ms from the end of the last server-function answer it asked for to that frame.
async function go([href, title]) {
  return page.evaluate(
    ([href, title]) =>
      new Promise((resolve, reject) => {
        let a = document.getElementById('bench-nav');
        if (!a) {
          a = document.createElement('a');
          a.id = 'bench-nav';
          a.textContent = 'go';
          document.body.appendChild(a);
        }
        a.href = href;
        const start = performance.now();
        const deadline = start + 10_000;
        a.click();
        const check = () => {
          const shown =
            location.pathname + location.search === href &&
            document.title.startsWith(title + ' ·') &&
            !document.querySelector('main [aria-busy="true"]');
          if (shown) {
            // The next frame paints what is now in the document.
            requestAnimationFrame(() => {
              const painted = performance.now();
              const data = performance
                .getEntriesByType('resource')
                .filter((e) => e.startTime >= start && new URL(e.name).pathname.startsWith('/api/'));
              performance.clearResourceTimings();
              const end = Math.max(...data.map((e) => e.responseEnd));
              resolve(data.length ? painted - end : null);
            });
          } else if (performance.now() > deadline) reject(new Error(`${href} not shown`));
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }),
    [href, title],
  );
}

let code = 0;
let documents = 0;
page.on('requestfinished', async (req) => {
  if (req.resourceType() === 'document') documents++;
  if (/^\/pkg\//.test(new URL(req.url()).pathname)) code += (await req.sizes()).responseBodySize;
});
await page.evaluate(() => performance.setResourceTimingBufferSize(10_000));
for (const p of pages) await go(p); // warm up: every page shown once
const before = await measure();
await page.evaluate(() => { window.__stillHere = true; });
const times = [];
let n = 0;
while (n < wanted) {
  const ms = await go(pages[n % pages.length]);
  if (ms !== null) times.push(ms);
  n++;
}
const after = await measure();
if (!(await page.evaluate(() => window.__stillHere === true))) throw new Error('a page loaded in full');
const kb = (b) => (b / 1024).toFixed(1);
const mb = (b) => (b / 1024 / 1024).toFixed(2);
times.sort((x, y) => x - y);
const pct = (p) => times[Math.min(times.length - 1, Math.floor((times.length * p) / 100))].toFixed(1);
console.log(`client-side navigations: ${n} (${pages.length} pages), no reload; documents fetched: ${documents}; code fetched: ${kb(code)} KB`);
console.log(`wasm memory: ${kb(before.wasm)} KB -> ${kb(after.wasm)} KB (+${mb(after.wasm - before.wasm)} MB, ${((after.wasm - before.wasm) / n / 1024).toFixed(2)} KB per navigation)`);
console.log(`JS heap after GC: ${kb(before.heap)} KB -> ${kb(after.heap)} KB (+${mb(after.heap - before.heap)} MB, ${((after.heap - before.heap) / n / 1024).toFixed(2)} KB per navigation)`);
console.log(`memory growth in total (wasm + JS heap): +${mb(after.wasm - before.wasm + after.heap - before.heap)} MB after ${n} navigations`);
console.log(`data to painted: median ${pct(50)} ms, p90 ${pct(90)} ms (${times.length} navigations that read data)`);
await browser.close();
