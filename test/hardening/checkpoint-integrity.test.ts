import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { loadModel } from '../../engine/infer/load.ts';
import { readCheckpointWeights } from '../../engine/onnx-runtime/checkpoint.ts';
import { disposeCheckpoint, readCheckpoint } from '../../engine/train/checkpoint.ts';
import type { TrainEvent } from '../../engine/contract/events.ts';
import { train } from '../../engine/train/trainer.ts';
import { template } from '../support/service-harness.ts';

// Issue #20 item 10: every blob of a checkpoint has its sha-256 recorded in checkpoint.json;
// 200 flipped bytes in weights.bin are refused by every loader (resume, eval, export, the
// playground's and insight's loadModel) with a sentence naming the file and the step and the
// previous intact checkpoint; resuming a run folder falls back to that one and says so;
// checkpoints written before hashes existed still load.

const doc = template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 });
const data = { type: 'copy' as const, length: 4 };
const config = {
  backend: 'cpu' as const,
  batch: 8,
  warmup: 1,
  evalEvery: 0,
  evalExamples: 8,
  checkpointEvery: 2,
  keepCheckpoints: 3,
};
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const step = (n: number) => `step-${String(n).padStart(6, '0')}`;

/** Flip 200 bytes of `file` (spread over it), as a bad disk or a stray write would. */
function damage(file: string): void {
  const bytes = readFileSync(file);
  for (let i = 0; i < 200; i++) bytes[(i * 7919) % bytes.length]! ^= 0x5a;
  writeFileSync(file, bytes);
}

describe('checkpoint integrity', () => {
  const root = mkdtempSync(join(tmpdir(), 'trm-integrity-'));
  const run = join(root, 'run');
  let copies = 0;
  /** A fresh copy of the trained run folder, so each case damages its own. */
  const copy = () => {
    const to = join(root, `copy-${++copies}`);
    cpSync(run, to, { recursive: true });
    return to;
  };
  before(async () => {
    const r = await train({ document: doc, data, config: { ...config, steps: 6 }, outDir: run });
    r.model.dispose();
  });

  it('records the sha-256 of every blob in the manifest', () => {
    const meta = JSON.parse(readFileSync(join(run, step(6), 'checkpoint.json'), 'utf8')) as {
      blobs: Record<string, { file: string; sha256: string }>;
    };
    assert.deepEqual(Object.keys(meta.blobs).sort(), ['optimizer', 'weights']);
    for (const blob of Object.values(meta.blobs)) {
      assert.equal(blob.sha256, sha256(readFileSync(join(run, step(6), blob.file))));
    }
  });

  it('refuses flipped bytes in weights.bin in every loader, naming the file, the step and the way on', async () => {
    const dir = copy();
    damage(join(dir, step(6), 'weights.bin'));
    const sentence =
      `${join(dir, step(6), 'weights.bin')} does not match its recorded hash (the file is damaged), ` +
      `so the checkpoint of step 6 cannot be used; resume from ${step(4)} with ` +
      `\`trm train --resume ${join(dir, step(4))}\`, or pick that checkpoint for export, eval or the playground.`;
    const refused = (p: Promise<unknown>) => assert.rejects(p, { message: sentence });
    await refused(readCheckpoint(dir)); // trm eval
    await refused(readCheckpointWeights(dir)); // ONNX export (CLI and service)
    await refused(loadModel(dir)); // playground, insight, trm generate / solve
    await refused(train({ resume: join(dir, step(6)), outDir: dir })); // an explicit step folder
  });

  it('refuses a damaged optimizer blob too', async () => {
    const dir = copy();
    damage(join(dir, step(4), 'optimizer.bin'));
    await assert.rejects(readCheckpoint(join(dir, step(4))), {
      message: new RegExp(
        `optimizer\\.bin does not match its recorded hash .* step 4 cannot be used; resume from ${step(2)} `,
      ),
    });
  });

  it('resuming a run folder whose newest checkpoint is damaged falls back to the newest intact one and says so', async () => {
    const dir = copy();
    damage(join(dir, step(6), 'weights.bin'));
    const events: TrainEvent[] = [];
    const r = await train({
      resume: dir,
      outDir: dir,
      config: { steps: 8 },
      onEvent: (e) => events.push(e),
    });
    r.model.dispose();
    const started = events.find((e) => e.type === 'started');
    assert.ok(started?.type === 'started');
    assert.equal(started.startStep, 4);
    assert.equal(started.resumedFrom, join(dir, step(4)));
    assert.match(
      started.notice ?? '',
      new RegExp(
        `^The newest checkpoint in .* could not be used: .*weights\\.bin does not match its recorded hash \\(the file is damaged\\), so the checkpoint of step 6 cannot be used\\. Resuming from the newest intact one, ${step(4)}, instead\\.`,
      ),
    );
    assert.equal(r.status, 'completed');
    // The resumed run wrote step 6 again, whole.
    const again = await readCheckpoint(join(dir, step(6)));
    disposeCheckpoint(again);
  });

  it('still loads a checkpoint written before hashes were recorded', async () => {
    const dir = copy();
    const file = join(dir, step(6), 'checkpoint.json');
    const meta = JSON.parse(readFileSync(file, 'utf8')) as {
      blobs: Record<string, { sha256?: string }>;
    };
    for (const blob of Object.values(meta.blobs)) delete blob.sha256;
    writeFileSync(file, JSON.stringify(meta));
    const c = await readCheckpoint(dir);
    assert.equal(c.meta.step, 6);
    disposeCheckpoint(c);
    assert.ok((await readCheckpointWeights(dir)).values.size > 0);
    const model = await loadModel(dir);
    model.dispose();
    const r = await train({ resume: dir, outDir: dir, config: { steps: 7 } });
    r.model.dispose();
    assert.equal(r.step, 7);
  });

  it('also checkpoints by wall time when the step interval is off', async () => {
    const out = join(root, 'timed');
    const r = await train({
      document: doc,
      data,
      config: {
        ...config,
        steps: 3,
        checkpointEvery: 0,
        checkpointSeconds: 1e-9,
        keepCheckpoints: 5,
      },
      outDir: out,
    });
    r.model.dispose();
    assert.deepEqual(
      readdirSync(out).filter((n) => n.startsWith('step-')),
      [step(1), step(2), step(3)],
    );
    assert.ok(existsSync(join(out, 'latest.json')));
  });
});
