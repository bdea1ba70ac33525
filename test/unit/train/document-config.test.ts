import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { parseTrainConfig } from '../../../engine/train/config.ts';
import { configFromDocument } from '../../../engine/train/document-config.ts';

function withTraining(training: unknown): GraphDocument {
  const r = parseDocument(readFileSync('templates/tiny-gpt.json', 'utf8'));
  assert.ok(r.ok);
  return { ...r.doc, meta: { ...r.doc.meta, training } } as GraphDocument;
}

test("every field of meta.training reaches the config, and only the document's own", () => {
  const c = configFromDocument(
    withTraining({
      loss: 'stablemax',
      schedule: 'constant',
      clipNorm: 0,
      haltExplore: 0.1,
      optimizer: 'adam-atan2',
      steps: 700,
    }),
  );
  assert.deepEqual(c, {
    loss: 'stablemax',
    schedule: 'constant',
    clipNorm: 0,
    haltExplore: 0.1,
    optimizer: 'adam-atan2',
    steps: 700,
  });
  const full = parseTrainConfig(c);
  assert.equal(full.loss, 'stablemax');
  assert.equal(full.batch, 32, 'a field the document did not write keeps its default');
});

test('unknown and invalid fields are refused with a sentence naming them', () => {
  assert.throws(
    () => configFromDocument(withTraining({ lr: 1e-3, lrr: 2 })),
    /meta\.training has a field the trainer does not know: "lrr" \(known: batch, steps, lr/,
  );
  assert.throws(
    () => configFromDocument(withTraining({ schedule: 'cosine-restarts' })),
    /meta\.training\.schedule is invalid/,
  );
  assert.throws(
    () => configFromDocument(withTraining({ backend: 'wasm' })),
    /does not know: "backend"/,
  );
  assert.throws(() => configFromDocument(withTraining([1, 2])), /must be an object/);
});

test('the layout documents wrote before (optimizer object, task-named losses, halting flag) still loads', () => {
  const c = configFromDocument(
    withTraining({
      loss: 'cell-ce',
      halting: true,
      ema: 0.999,
      optimizer: { betas: [0.9, 0.95], weightDecay: 1.0 },
    }),
  );
  assert.deepEqual(c, { loss: 'ce', ema: 0.999, betas: [0.9, 0.95], weightDecay: 1.0 });
  assert.throws(
    () => configFromDocument(withTraining({ optimizer: { betas: [0.9, 0.95], momentum: 0.9 } })),
    /optimizer has fields the trainer does not know \(momentum\)/,
  );
});

test("every template's training settings parse, and the TRM templates carry the paper's recipe shape", () => {
  for (const file of readdirSync('templates').filter((f) => f.endsWith('.json'))) {
    const r = parseDocument(readFileSync(`templates/${file}`, 'utf8'));
    assert.ok(r.ok, file);
    const config = parseTrainConfig(configFromDocument(r.doc));
    if (!file.startsWith('trm')) continue;
    assert.equal(config.loss, 'stablemax', file);
    assert.equal(config.schedule, 'constant', file);
    assert.equal(config.clipNorm, 0, file);
    assert.deepEqual(config.betas, [0.9, 0.95], file);
    assert.equal(config.ema, 0.999, file);
    assert.equal(config.emaWarmup, true, file);
    assert.equal(config.haltExplore, 0.1, file);
  }
});
