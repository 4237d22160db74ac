// Benchmark (not a test): what client-side navigation leaves behind in the browser. Signs in on
// the demo stack, then goes round the app's pages N times with nav.js (no full page load) and
// prints the WebAssembly memory and the JavaScript heap (after a forced garbage collection)
// before and after, and the growth per navigation. The server must run the demo stack.
//   node bench/nav-memory.mjs http://127.0.0.1:3200 [rounds]
import { chromium } from '@playwright/test';

const base = process.argv[2] ?? 'http://127.0.0.1:3200';
// nav.js loads the 200th page in full: stay below it.
const rounds = Math.min(Number(process.argv[3] ?? 25), 27);

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
await page.waitForSelector('body[data-hydrated="true"]');
await page.goto(base + '/tokens');
await page.waitForSelector('body[data-hydrated="true"]');
const token = await page.locator('table tbody tr a').first().getAttribute('href');
const pages = ['/', '/tokens', '/tokens/all', '/tokens/new', token, '/orgs', '/about'];

// The wasm-bindgen module is initialised once; asking again returns its exports (and memory).
async function measure() {
  return page.evaluate(async () => {
    const js = document.querySelector('link[rel="modulepreload"]').href;
    const wasm = await (await import(js)).default();
    window.gc();
    return { wasm: wasm.memory.buffer.byteLength, heap: performance.memory.usedJSHeapSize };
  });
}

async function go(path) {
  await page.evaluate((p) => window.__nav(p, false), path);
  await page.waitForFunction((p) => location.pathname + location.search === p && document.body.dataset.hydrated === 'true', path);
}

for (const p of pages) await go(p); // warm up: every island hydrated once
const before = await measure();
await page.evaluate(() => { window.__stillHere = true; });
for (let i = 0; i < rounds; i++) for (const p of pages) await go(p);
const after = await measure();
const navigations = rounds * pages.length;
if (!(await page.evaluate(() => window.__stillHere === true))) throw new Error('a page loaded in full');
const kb = (b) => (b / 1024).toFixed(1);
console.log(`client-side navigations: ${navigations} (${pages.length} pages, ${rounds} rounds)`);
console.log(`wasm memory: ${kb(before.wasm)} KB -> ${kb(after.wasm)} KB (${((after.wasm - before.wasm) / navigations / 1024).toFixed(2)} KB per navigation)`);
console.log(`JS heap after GC: ${kb(before.heap)} KB -> ${kb(after.heap)} KB (${((after.heap - before.heap) / navigations / 1024).toFixed(2)} KB per navigation)`);
await browser.close();
