import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Comparison } from './compare.ts';
import { GOLDEN_FILE, measureTemplate, STEPS, type TemplateGolden } from './measure.ts';

/**
 * Issue #15: every template's first training losses and its fp32 ONNX outputs equal the values
 * recorded before the engine's IR was redesigned (test/golden/templates.json), to 1e-5
 * relative. A difference names the template, the value and by how much; when a template is
 * meant to change, re-record with `node --import tsx test/golden/record.ts` and say why.
 *
 * The tolerance holds rounding and catches bugs (measured when recorded): the same runs on the
 * pure-JS cpu backend, whose kernels round differently throughout, stay within 0.15 of it in
 * every value, and onnxruntime within 0.25 of tfjs; doubling LayerNorm's epsilon in its
 * lowering, which tfjs and the export would agree on, moves 50-odd values of each LM template
 * past it.
 */

const recorded = (
  JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as {
    templates: Record<string, TemplateGolden>;
  }
).templates;
const files = readdirSync('templates').filter((f) => f.endsWith('.json'));
const RECORD = 'record them with `node --import tsx test/golden/record.ts`';

/** Enough lines to see the pattern (one step, one output, everything) without a wall of text. */
const SHOWN = 30;

describe(`every template's ${STEPS} losses and fp32 ONNX outputs are as recorded`, () => {
  it('every template has golden values and every golden value a template', () => {
    assert.deepEqual(
      Object.keys(recorded).sort(),
      [...files].sort(),
      `templates/ changed: ${RECORD}`,
    );
  });

  for (const file of files) {
    it(file, { skip: recorded[file] ? false : `no golden values yet; ${RECORD}` }, async () => {
      const want = recorded[file]!;
      const got = await measureTemplate(file);
      const c = new Comparison();
      c.template(got, want);
      const edited =
        got.templateSha256 === want.templateSha256
          ? ''
          : ` (templates/${file} itself changed since they were recorded)`;
      const more = c.differences.length - SHOWN;
      assert.ok(
        c.differences.length === 0,
        `${file}: ${c.differences.length} ${c.differences.length === 1 ? 'value differs' : 'values differ'} from the recorded ones${edited}:\n  ` +
          c.differences.slice(0, SHOWN).join('\n  ') +
          (more > 0 ? `\n  … and ${more} more` : ''),
      );
    });
  }
});
