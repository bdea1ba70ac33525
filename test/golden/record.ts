/**
 * Records every template's golden values (test/golden/measure.ts) into templates.json:
 *
 *   node --import tsx test/golden/record.ts
 *
 * Run it only on purpose — the file is the reference a change to the engine is checked
 * against, so re-recording accepts whatever the engine computes now.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { Comparison } from './compare.ts';
import { BACKEND, GOLDEN_FILE, measureTemplate, STEPS, type TemplateGolden } from './measure.ts';

const templates: Record<string, TemplateGolden> = {};
for (const file of readdirSync('templates').filter((f) => f.endsWith('.json'))) {
  const started = performance.now();
  const golden = await measureTemplate(file);
  templates[file] = golden;
  // How far onnxruntime and tfjs (other kernels, other rounding) are apart by the test's own
  // measure: a margin below 1 says the tolerance holds more than rounding noise.
  const apart = new Comparison();
  for (const [mode, e] of Object.entries(golden.exports)) apart.outputs(mode, e.onnx, e.tfjs);
  console.log(
    `${file}: ${((performance.now() - started) / 1000).toFixed(1)} s, onnxruntime vs tfjs at ${apart.worst.toFixed(3)} of the tolerance`,
  );
}

const golden = {
  about: `Golden values of every template (issue #15): ${STEPS} training losses and the fp32 ONNX export's outputs, recorded by test/golden/record.ts with the ${BACKEND} backend and checked by test/golden/templates.test.ts to 1e-5 relative.`,
  templates,
};
const text = await format(JSON.stringify(golden), {
  ...(await resolveConfig(GOLDEN_FILE)),
  filepath: GOLDEN_FILE,
});
writeFileSync(GOLDEN_FILE, text);
console.log(`Wrote ${GOLDEN_FILE} (${text.length.toLocaleString('en-US')} bytes).`);
