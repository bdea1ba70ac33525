import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import { applyPreset, presetNames } from '../../../engine/graph/presets.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { checkCompiled } from './helpers.ts';

// Structural checks of lowered programs, independent of any executor: every value is defined
// before it is used, names are unique, every weight is used, and in step mode the initial
// state is computable without the state inputs (what the trainer relies on).

function documents(): [string, GraphDocument][] {
  const out: [string, GraphDocument][] = [];
  const add = (label: string, text: string) => {
    const r = parseDocument(text);
    assert.ok(r.ok, label);
    out.push([label, r.doc]);
    for (const name of presetNames(r.doc)) {
      const applied = applyPreset(r.doc, name);
      if ('doc' in applied) out.push([`${label} [${name}]`, applied.doc]);
    }
  };
  for (const f of readdirSync('templates').filter((f) => f.endsWith('.json')))
    add(f, readFileSync(`templates/${f}`, 'utf8'));
  for (const f of readdirSync('test/fixtures/valid').filter((f) => f !== 'expectations.json'))
    add(f, readFileSync(`test/fixtures/valid/${f}`, 'utf8'));
  return out;
}

describe('lowered programs are well formed', () => {
  for (const [label, doc] of documents()) {
    it(label, () => {
      for (const mode of ['check', 'step', 'full'] as const) {
        const r = compile(doc, { mode });
        assert.ok(r.program, `${label} ${mode}: ${JSON.stringify(r.diagnostics)}`);
        checkCompiled(r, `${label} ${mode}`);
        if (mode === 'step') {
          const deep = JSON.stringify(doc).includes('"deepSupervision":true');
          assert.equal(r.program.supervision !== undefined, deep, `${label}: supervision`);
        }
      }
    });
  }
});
