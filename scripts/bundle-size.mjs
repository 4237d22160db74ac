// Prints the hydrate bundle's size (wasm and js): raw, gzip -9 and brotli -q 11.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const dir = process.argv[2] ?? 'target/site/pkg';
const kb = (n) => (n / 1024).toFixed(1).padStart(8) + ' KB';
console.log(`hydrate bundle in ${dir}`);
console.log('file'.padEnd(32) + 'raw'.padStart(11) + 'gzip'.padStart(11) + 'brotli'.padStart(11));
for (const f of readdirSync(dir).filter((f) => /\.(wasm|js)$/.test(f)).sort()) {
  const buf = readFileSync(join(dir, f));
  const gz = gzipSync(buf, { level: 9 }).length;
  const br = brotliCompressSync(buf, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: statSync(join(dir, f)).size },
  }).length;
  console.log(f.padEnd(32) + kb(buf.length) + kb(gz) + kb(br));
}

// Per lazy route (the split manifest): the code a first visit to it needs, as the precompressed
// .br files the server sends: the main module, its JS, the chunk loader and the route's chunks.
const manifestFile = readdirSync(dir).find((f) => /^__wasm_split_manifest\..*json$/.test(f));
if (manifestFile) {
  const manifest = JSON.parse(readFileSync(join(dir, manifestFile), 'utf8'));
  const br = (f) => statSync(join(dir, f + '.br')).size;
  const main = readdirSync(dir).filter((f) => /^(devops-pat-portal\..*\.(wasm|js)|__wasm_split\..*\.js)$/.test(f));
  const base = main.reduce((n, f) => n + br(f), 0);
  console.log(`\nper split point: main module, JS and chunk loader (${kb(base).trim()}) + its chunks, brotli as served`);
  for (const [key, chunks] of Object.entries(manifest).sort()) {
    const total = base + chunks.reduce((n, c) => n + br(c + '.wasm'), 0);
    console.log(key.padEnd(32) + kb(total) + `${main.length + chunks.length}`.padStart(6) + ' files');
  }
}
