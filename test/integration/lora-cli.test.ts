import { capture } from '../support/capture.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { loraFlag } from '../../engine/cli/commands/train.ts';
import { decodeAdapterFile } from '../../engine/onnx-runtime/lora-adapters.ts';

const small = ['--backend', 'cpu', '--batch', '4', '--config', '{"evalExamples":8,"evalEvery":0}'];

test('--lora reads key=value lists (commas inside {q,v} stay in the pattern) and JSON', () => {
  assert.deepEqual(loraFlag('targets=*/attn/w{q,v},block1/ffn/w1,rank=4,alpha=8'), {
    targets: ['*/attn/w{q,v}', 'block1/ffn/w1'],
    rank: 4,
    alpha: 8,
  });
  assert.deepEqual(loraFlag('{"targets":["block1"],"rank":2}'), { targets: ['block1'], rank: 2 });
  assert.throws(() => loraFlag('targets=a,rank=eight'), /"rank=eight" is not part of that/);
});

test('trm train --lora trains adapters only; trm export merges them or writes them alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-lora-cli-'));
  const a = capture();
  const lora = ['--lora', 'targets=*/attn/w{q,v},rank=4,alpha=8'];
  const train = ['train', 'templates/tiny-gpt.json', '--data', 'copy:length=4', '--steps', '3'];
  assert.equal(
    await main([...train, '--out', dir, ...lora, ...small], a.out),
    0,
    a.errors.join('\n'),
  );
  // 4 adapted [128, 128] weights: A [128, 4] + B [4, 128] each.
  assert.ok(
    a.lines.some((l) => /^Trainable: 4,096 parameters; frozen: [\d,]+\.$/.test(l)),
    a.lines.join('\n'),
  );

  const b = capture();
  const file = join(dir, 'adapters.safetensors');
  assert.equal(await main(['export', dir, '--lora-only', file], b.out), 0, b.errors.join('\n'));
  assert.match(
    b.lines.at(-1)!,
    /^wrote .*adapters\.safetensors: 4 LoRA adapters \(rank 4, alpha 8\)/,
  );
  const back = decodeAdapterFile(new Uint8Array(readFileSync(file)));
  assert.equal(back.adapters.size, 8);
  assert.deepEqual(back.lora.targets, ['*/attn/w{q,v}']);

  const c = capture();
  const onnx = join(dir, 'merged.onnx');
  const code = await main(['export', dir, '--out', onnx, '--no-task', '--backend', 'cpu'], c.out);
  assert.equal(code, 0, [...c.lines, ...c.errors].join('\n'));
  assert.ok(c.lines.includes('LoRA: 4 adapters (rank 4, alpha 8) merged into the base weights.'));
  assert.ok(
    c.lines.some((l) => l.startsWith('verdict: PASS')),
    c.lines.join('\n'),
  );

  const d = capture();
  const bad = ['--lora', 'targets=*/mlp/wq', '--steps', '1'];
  assert.equal(await main([...train, ...bad, ...small], d.out), 1);
  assert.match(
    d.errors.join('\n'),
    /The LoRA target "\*\/mlp\/wq" matches no matrix weight of this graph\. .*this graph has: block1\/attn\/wq, /,
  );
});
