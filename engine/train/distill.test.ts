import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { IGNORE } from '../data/types.ts';
import type { StepMetrics, TrainEvent } from '../contract/events.ts';
import { distillationTerm } from './distill.ts';
import { train } from './trainer.ts';
import { COPY4, TINY_CONFIG, tinyTemplate } from '../../test/support/tiny-copy.ts';

/** softmax(x / T) in double precision, written out. */
function soft(x: number[], t: number): number[] {
  const e = x.map((v) => Math.exp(v / t));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

test('the distillation term is T²·KL(teacher_T ‖ student_T) averaged over scored positions, as by hand', () => {
  const student = [
    [1, 2, 0],
    [5, -1, 0],
    [3, 1, 2],
  ];
  const teacher = [
    [2, 0, 1],
    [0, 0, 9],
    [1, 1, 1],
  ];
  const targets = new Int32Array([0, IGNORE, 2]);
  const T = 2;
  // By hand: rows 0 and 2 are scored, row 1 is not.
  let sum = 0;
  for (const i of [0, 2]) {
    const p = soft(teacher[i]!, T);
    const q = soft(student[i]!, T);
    sum += p.reduce((a, pv, v) => a + pv * Math.log(pv / q[v]!), 0);
  }
  const expected = (T * T * sum) / 2;
  const got = tf.tidy(() =>
    distillationTerm(tf.tensor2d(student), tf.tensor2d(teacher), targets, T).dataSync(),
  )[0]!;
  assert.ok(Math.abs(got - expected) < 1e-5, `got ${got}, by hand ${expected}`);
  // Shapes [B, T, V] are rows too, and a teacher that agrees costs nothing.
  const same = tf.tidy(() => {
    const s = tf.tensor3d([student], [1, 3, 3]);
    return distillationTerm(s, s, targets, 4).dataSync()[0]!;
  });
  assert.ok(Math.abs(same) < 1e-6);
});

type Doc = { dims: Record<string, number> };

/** Tiny GPT (two blocks of D 16) for the copy task: sequences of 9, vocab 14. */
function tinyGpt(dims: Record<string, number> = {}): Doc {
  return tinyTemplate<Doc>('tiny-gpt', dims);
}

const config = TINY_CONFIG;
const copy = COPY4;

async function teacherRun(doc: Doc, steps: number): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'trm-teacher-'));
  const r = await train({ document: doc, data: copy, config: { ...config, steps }, outDir: out });
  r.model.dispose();
  assert.equal(r.status, 'completed', r.error);
  return out;
}

async function student(distill: unknown, steps: number) {
  const events: TrainEvent[] = [];
  const r = await train({
    document: tinyGpt({ D: 8 }),
    data: copy,
    config: { ...config, seed: 3, steps, ...(distill ? { distill } : {}) } as never,
    onEvent: (e) => events.push(e),
  });
  r.model.dispose();
  const steps_ = events.flatMap((e) => (e.type === 'step' ? [e.metrics] : []));
  const started = events.find((e) => e.type === 'started');
  return { r, steps: steps_, started };
}

test('a run with a teacher trains: the teacher term is reported and falls, α = 1 is the labels alone', async () => {
  const teacher = await teacherRun(tinyGpt(), 40);
  const kd = await student({ teacher, alpha: 0.5, temperature: 2 }, 20);
  assert.equal(kd.r.status, 'completed', kd.r.error);
  assert.match(
    kd.started?.type === 'started' ? (kd.started.notice ?? '') : '',
    /Distilling from .*step 40.*0\.5·CE \+ 0\.5·T²·KL at T = 2/,
  );
  const terms = kd.steps.map((m: StepMetrics) => m.distillLoss!);
  assert.ok(terms.every((x) => Number.isFinite(x) && x >= 0));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(terms.slice(-5)) < 0.7 * mean(terms.slice(0, 5)), `teacher term ${terms}`);
  // α = 0 is the teacher's term alone; α = 1 the labels alone, as if there were no teacher.
  const soft = await student({ teacher, alpha: 0, temperature: 2 }, 2);
  for (const m of soft.steps) assert.ok(Math.abs(m.loss - m.distillLoss!) < 1e-6);

  const alone = await student(undefined, 6);
  const ce = await student({ teacher, alpha: 1, temperature: 2 }, 6);
  assert.deepEqual(
    ce.steps.map((m) => m.loss.toFixed(5)),
    alone.steps.map((m) => m.loss.toFixed(5)),
  );
});

test('a teacher with another vocabulary size is refused in a sentence naming both', async () => {
  const teacher = await teacherRun(tinyGpt({ V: 16 }), 1);
  await assert.rejects(
    student({ teacher, alpha: 0.5, temperature: 2 }, 1),
    /teacher .* predicts 16 classes and the student 14; give both graphs the same vocabulary size V/,
  );
});

test('the PyTorch export refuses a distillation config in a sentence (its trainer does not apply it)', async () => {
  const { writePytorchPackage } = await import('../pytorch/package.ts');
  const { documentFrom } = await import('../runtime/trainable-program.ts');
  const dir = mkdtempSync(join(tmpdir(), 'trm-torch-'));
  await assert.rejects(
    writePytorchPackage(join(dir, 'pkg'), {
      doc: documentFrom(tinyGpt()),
      data: copy,
      config: { distill: { teacher: 'runs/gpt' } },
    }),
    /The PyTorch engine does not distil from a teacher run \(runs\/gpt\) yet; .* remove the distill setting\./,
  );
});
