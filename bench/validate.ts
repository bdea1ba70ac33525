/**
 * `node --import tsx bench/validate.ts [--sizes=1000,4000,200000]`: how long `document.validate`
 * (parse + compile check + analysis) takes on documents with many components, per shape
 * (test/support/many-components.ts). Validation must grow linearly: 4× the components should
 * take about 4× the time, never 16×. Past MAX_COMPONENTS (4,096) a document is refused before any
 * of that, so the last size shows how fast the refusal is. Never part of `npm test`.
 */
import { performance } from 'node:perf_hooks';
import { analyzeUnknown } from '../engine/graph/analyze.ts';
import { manyComponents, type ManyShape } from '../test/support/many-components.ts';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const sizes = arg('sizes', '1000,4000,200000').split(',').map(Number);
const shapes: ManyShape[] = ['empty', 'chain', 'unknown', 'nested'];

console.log('shape    components      MB   validate ms');
for (const shape of shapes) {
  for (const n of sizes) {
    // The schema allows 20,000 nodes per graph: longer chains are refused before validation.
    if ((shape === 'chain' || shape === 'unknown') && n > 19_000) continue;
    const text = JSON.stringify(manyComponents(n, shape));
    const start = performance.now();
    analyzeUnknown(text);
    const ms = performance.now() - start;
    const mb = (text.length / 1e6).toFixed(1);
    console.log(
      `${shape.padEnd(8)} ${String(n).padStart(10)} ${mb.padStart(7)} ${ms.toFixed(0).padStart(13)}`,
    );
  }
}
