/**
 * Records every template's golden values (test/golden/measure.ts) into templates.json:
 *
 *   node --import tsx test/golden/record.ts
 *
 * or only the named ones, keeping every other template's recorded values as they are (a new
 * template is added without re-recording, and so silently accepting, the others):
 *
 *   node --import tsx test/golden/record.ts lstm-lm.json lstm-sudoku.json
 *
 * Run it only on purpose — the file is the reference a change to the engine is checked
 * against, so re-recording accepts whatever the engine computes now.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { Comparison } from './compare.ts';
import { BACKEND, GOLDEN_FILE, measureTemplate, STEPS, type TemplateGolden } from './measure.ts';

const all = readdirSync('templates').filter((f) => f.endsWith('.json'));
const named = process.argv.slice(2);
const unknown = named.filter((f) => !all.includes(f));
if (unknown.length > 0) {
  console.error(`Not in templates/: ${unknown.join(', ')} (name files such as tiny-gpt.json).`);
  process.exit(1);
}
const recorded: Record<string, TemplateGolden> =
  named.length > 0
    ? (
        JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as {
          templates: Record<string, TemplateGolden>;
        }
      ).templates
    : {};
const templates: Record<string, TemplateGolden> = {};
for (const file of all) {
  const kept = recorded[file];
  if (named.length > 0 && !named.includes(file)) {
    if (kept) templates[file] = kept;
    continue;
  }
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
