import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import type { Diagnostic } from '../../../engine/graph/diagnostics.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';

const dir = 'test/fixtures/broken';

interface Expectation {
  /** Exactly these error codes, in order (warnings are ignored). */
  codes: string[];
  /** A distinctive fragment of the message of the first error. */
  message: string;
  node?: string;
  port?: string;
  /** Exactly these warning codes (default none: a broken node does not make others look unused). */
  warnings?: string[];
}

const expectations = JSON.parse(readFileSync(`${dir}/expectations.json`, 'utf8')) as Record<
  string,
  Expectation
>;

/** What the app does with a file: parse, then compile when it parses. */
function diagnose(text: string): Diagnostic[] {
  const parsed = parseDocument(text);
  if (!parsed.ok) return parsed.diagnostics;
  return compile(parsed.doc).diagnostics;
}

describe('broken documents', () => {
  const files = readdirSync(dir).filter((f) => f !== 'expectations.json');

  it('every fixture has an expectation and every expectation a fixture', () => {
    assert.deepEqual(files.sort(), Object.keys(expectations).sort());
    assert.ok(files.length >= 20, `only ${files.length} fixtures`);
    assert.ok(
      files.some((f) => !f.endsWith('.json')),
      'one non-JSON file',
    );
  });

  for (const file of files) {
    const expected = expectations[file];
    it(`${file}: ${expected?.codes.join(', ')}`, () => {
      assert.ok(expected);
      const text = readFileSync(`${dir}/${file}`, 'utf8');
      let diags: Diagnostic[] = [];
      assert.doesNotThrow(() => {
        diags = diagnose(text);
      });
      const errors = diags.filter((d) => d.severity === 'error');
      assert.deepEqual(
        errors.map((d) => d.code),
        expected.codes,
        JSON.stringify(errors, null, 2),
      );
      assert.deepEqual(
        diags.filter((d) => d.severity === 'warning').map((d) => d.code),
        expected.warnings ?? [],
      );
      const first = errors[0] as Diagnostic;
      assert.ok(
        first.message.includes(expected.message),
        `"${first.message}" lacks "${expected.message}"`,
      );
      if (expected.node) assert.equal(first.node, expected.node);
      if (expected.port) assert.equal(first.port, expected.port);
      // Messages are sentences: capitalized, ending with a period, naming a fix.
      assert.match(first.message, /^[A-Z"].*[.?]$/s);
      // In every check mode, not just the default one.
      for (const mode of ['full', 'step'] as const) {
        const parsed = parseDocument(text);
        if (!parsed.ok) continue;
        const r = compile(parsed.doc, { mode });
        assert.deepEqual(
          r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code),
          expected.codes,
          mode,
        );
        assert.equal(r.program, undefined);
      }
    });
  }
});
