import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closest, formatDiagnostic, plainDetail } from '../../../engine/graph/diagnostics.ts';

describe('diagnostics wording', () => {
  it('rewrites zod messages into plain fragments', () => {
    const cases: [string, string][] = [
      ['Invalid input: expected int, received number', 'it must be a whole number'],
      ['Invalid input: expected number, received string', 'it must be a number, not text'],
      ['Invalid input: expected array, received object', 'it must be a list, not an object'],
      ['Invalid input: expected boolean, received null', 'it must be true or false, not null'],
      ['Invalid option: expected one of "a"|"b"', 'it must be one of "a", "b"'],
      ['Too small: expected number to be >0', 'it must be greater than 0'],
      ['Too small: expected number to be >=1', 'it must be at least 1'],
      ['Too big: expected number to be <=0.99', 'it must be at most 0.99'],
      ['Too small: expected int to be >=-9007199254740991', 'it is out of range'],
      ['Too small: expected array to have >=1 items', 'it needs at least 1 item'],
      ['Too small: expected string to have >=1 characters', 'it must not be empty'],
      ['use letters, digits and _.', 'use letters, digits and _'],
    ];
    for (const [zod, plain] of cases) assert.equal(plainDetail(zod), plain, zod);
  });

  it('suggests the nearest name for typos and case/separator variants only', () => {
    const kinds = ['layer-norm', 'rms-norm', 'attention', 'ffn', 'linear'];
    assert.equal(closest('LayerNorm', kinds), 'layer-norm');
    assert.equal(closest('atention', kinds), 'attention');
    assert.equal(closest('lnear', kinds), 'linear');
    assert.equal(closest('transformer', kinds), undefined);
    assert.equal(closest('mlp', kinds), undefined);
  });

  it('formats where a diagnostic happened before its sentence', () => {
    assert.equal(
      formatDiagnostic({
        severity: 'error',
        code: 'x',
        message: 'Broken.',
        graph: 'components.block',
        node: 'attn',
        port: 'x',
      }),
      'error [components.block, node attn, port x]: Broken.',
    );
    assert.equal(
      formatDiagnostic({ severity: 'warning', code: 'x', message: 'Hm.' }),
      'warning: Hm.',
    );
  });
});
