/**
 * The seq2seq-reverse template with its own defaults: `trm train` (no flags but the run
 * folder), then `trm eval` reaches ≥ 95% exact match on the 1,000 held-out rows — the
 * teacher-forced exact match, which is greedy decoding's (a row right at every scored position
 * decodes to exactly its target).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { capture } from '../support/capture.ts';

const TEMPLATE = 'templates/seq2seq-reverse.json';

describe('seq2seq-reverse: trained with its template defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-seq2seq-'));
  let seconds = 0;

  before(async () => {
    const t = capture();
    const started = performance.now();
    assert.equal(await main(['train', TEMPLATE, '--out', dir], t.out), 0, t.errors.join('\n'));
    seconds = (performance.now() - started) / 1000;
  });

  it('reaches ≥ 95% held-out exact match (trm eval)', async () => {
    const doc = JSON.parse(readFileSync(TEMPLATE, 'utf8')) as {
      meta: { training: { evalExamples: number } };
    };
    const e = capture();
    assert.equal(await main(['eval', dir, '--json'], e.out), 0, e.errors.join('\n'));
    const report = JSON.parse(e.lines.join('\n')) as { exactMatch: number; examples: number };
    assert.equal(report.examples, doc.meta.training.evalExamples);
    assert.ok(
      report.exactMatch >= 0.95,
      `held-out exact match ${report.exactMatch} after ${seconds.toFixed(0)} s`,
    );
  });
});
