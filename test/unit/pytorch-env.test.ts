import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  findTorchPython,
  pythonCandidates,
  torchMissing,
} from '../../engine/pytorch/python-env.ts';

// How the PyTorch engine finds its interpreter (trm doctor, the Train panel's engine choice),
// and the one sentence a user without it reads.

const dir = mkdtempSync(path.join(tmpdir(), 'trm-pyenv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in interpreter: prints what the probe prints when torch does not import. */
function fakePython(name: string, json: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho '${json}'\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('finding python with torch', () => {
  it('tries $TRM_PYTHON first, then python3, python and Debian’s /usr/bin/python3', () => {
    assert.deepEqual(pythonCandidates({ TRM_PYTHON: '/opt/py/bin/python' }), [
      '/opt/py/bin/python',
      'python3',
      'python',
      '/usr/bin/python3',
    ]);
    assert.deepEqual(pythonCandidates({}), ['python3', 'python', '/usr/bin/python3']);
  });

  it('no interpreter at all: says so, names what it tried and the install command', async () => {
    const probe = await findTorchPython({}, [path.join(dir, 'missing-python')]);
    assert.equal(probe.ok, false);
    if (probe.ok) return;
    const sentence = torchMissing(probe);
    assert.match(sentence, /no python interpreter was found/);
    assert.match(sentence, /missing-python/);
    assert.match(sentence, /pip install torch/);
    assert.match(sentence, /TRM_PYTHON/);
  });

  it('a python without torch: names it, its version and the import error', async () => {
    const py = fakePython(
      'py-no-torch',
      '{"python": "/x/python", "pythonVersion": "3.12.1", "error": "No module named torch", "safetensors": false}',
    );
    const probe = await findTorchPython({}, [py]);
    assert.equal(probe.ok, false);
    if (probe.ok) return;
    assert.match(
      probe.reason,
      /py-no-torch \(Python 3\.12\.1\) cannot import torch: No module named torch/,
    );
  });

  it('a python with torch: its version and devices, after skipping one without', async () => {
    const without = fakePython('py-a', '{"pythonVersion": "3.11.0", "error": "nope"}');
    const withTorch = fakePython(
      'py-b',
      '{"pythonVersion": "3.11.2", "torch": "2.4.1", "devices": ["cpu", "cuda:NVIDIA H200"], "safetensors": true}',
    );
    const probe = await findTorchPython({}, [without, withTorch]);
    assert.ok(probe.ok);
    if (!probe.ok) return;
    assert.equal(probe.python, withTorch);
    assert.equal(probe.torch, '2.4.1');
    assert.deepEqual(probe.devices, ['cpu', 'cuda:NVIDIA H200']);
    assert.equal(probe.safetensors, true);
  });
});
