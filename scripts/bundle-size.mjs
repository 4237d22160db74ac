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
