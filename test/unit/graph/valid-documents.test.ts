import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';

const dir = 'test/fixtures/valid';

interface Expectation {
  totalParams: number;
  /** The closed form the count comes from, for the reader. */
  formula: string;
  /** `[name, role, shape]` of each program output. */
  outputs: [string, string, (string | number)[]][];
}

const expectations = JSON.parse(readFileSync(`${dir}/expectations.json`, 'utf8')) as Record<
  string,
  Expectation
>;

describe('valid documents', () => {
  const files = readdirSync(dir).filter((f) => f !== 'expectations.json');

  it('every fixture has an expectation', () => {
    assert.deepEqual(files.sort(), Object.keys(expectations).sort());
  });

  for (const file of files) {
    const expected = expectations[file] as Expectation;
    it(`${file}: ${expected.formula} = ${expected.totalParams}`, () => {
      const parsed = parseDocument(readFileSync(`${dir}/${file}`, 'utf8'));
      assert.ok(parsed.ok, JSON.stringify(parsed.diagnostics));
      for (const mode of ['check', 'step', 'full'] as const) {
        const r = compile(parsed.doc, { mode });
        assert.deepEqual(r.diagnostics, [], mode);
        assert.equal(r.totalParams, expected.totalParams, mode);
        assert.deepEqual(
          r.program?.outputs.map((o) => [o.name, o.role, o.shape]),
          expected.outputs,
          mode,
        );
      }
    });
  }
});
