import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ESLint, type Linter } from 'eslint';

/**
 * The layers in eslint.config.js, checked both ways: each probe is a one-line module dropped
 * (as text) into a layer's folder that imports across the layers — however it spells the
 * specifier, statically, as a re-export or with `import()` — and must fail lint on that line;
 * each allowed module must lint clean, so a rule that refused everything fails too.
 */
interface Probe {
  why: string;
  file: string;
  code: string;
  /** The specifier is misspelled (extensionless or `.js`) and is reported as such too. */
  misspelled?: boolean;
}

const violations: Probe[] = [
  {
    why: 'an extensionless specifier from engine/graph into the runtime',
    file: 'engine/graph/probe.ts',
    code: "import { runProgram } from '../runtime/executor';\nexport { runProgram };\n",
    misspelled: true,
  },
  {
    why: 'a .js specifier from engine/graph into the runtime',
    file: 'engine/graph/probe.ts',
    code: "import { runProgram } from '../runtime/executor.js';\nexport { runProgram };\n",
    misspelled: true,
  },
  {
    why: 'a dynamic import() of the service from engine/graph',
    file: 'engine/graph/probe.ts',
    code: "export const load = () => import('../service/service.ts');\n",
  },
  {
    why: 'a re-export of engine/infer from engine/graph',
    file: 'engine/graph/probe.ts',
    code: "export * from '../infer/generate.ts';\n",
  },
  {
    why: 'node:path in engine/graph',
    file: 'engine/graph/probe.ts',
    code: "import { join } from 'node:path';\nexport { join };\n",
  },
  {
    why: 'the trainer config in engine/contract',
    file: 'engine/contract/probe.ts',
    code: "import { TrainConfig } from '../train/config.ts';\nexport { TrainConfig };\n",
  },
  {
    why: 'node:fs in engine/onnx',
    file: 'engine/onnx/probe.ts',
    code: "import { writeFileSync } from 'node:fs';\nexport { writeFileSync };\n",
  },
  {
    why: 'tfjs in engine/onnx',
    file: 'engine/onnx/probe.ts',
    code: "import * as tf from '@tensorflow/tfjs-core';\nexport { tf };\n",
  },
  {
    why: 'an extensionless specifier from engine/onnx into onnx-runtime',
    file: 'engine/onnx/probe.ts',
    code: "import { runOnnx } from '../onnx-runtime/verify';\nexport { runOnnx };\n",
    misspelled: true,
  },
  {
    why: 'electron/ in the runtime',
    file: 'engine/runtime/probe.ts',
    code: "import '../../electron/main.ts';\n",
  },
  {
    why: 'a dynamic import() of electron/ with a .js specifier in the service',
    file: 'engine/service/probe.ts',
    code: "export const load = () => import('../../electron/preload.js');\n",
    misspelled: true,
  },
  {
    why: 'renderer/ in engine/data',
    file: 'engine/data/probe.ts',
    code: "import { formatBytes } from '../../renderer/src/format.ts';\nexport { formatBytes };\n",
  },
  {
    why: 'React in the trainer',
    file: 'engine/train/probe.ts',
    code: "import { useState } from 'react';\nexport { useState };\n",
  },
  {
    why: 'the service from engine/infer (Node-only code reaching up)',
    file: 'engine/infer/probe.ts',
    code: "import { createService } from '../service/service.ts';\nexport { createService };\n",
  },
  {
    why: 'the trainer from the web host (around the service)',
    file: 'engine/host/probe.ts',
    code: "import { train } from '../train/trainer.ts';\nexport { train };\n",
  },
  {
    why: 'the runtime in the renderer',
    file: 'renderer/src/probe.ts',
    code: "import { runProgram } from '../../engine/runtime/executor.ts';\nexport { runProgram };\n",
  },
  {
    why: 'a Node built-in in the renderer',
    file: 'renderer/src/probe.ts',
    code: "import { readFileSync } from 'node:fs';\nexport { readFileSync };\n",
  },
  {
    why: 'Electron in the renderer',
    file: 'renderer/src/probe.ts',
    code: "import { ipcRenderer } from 'electron';\nexport { ipcRenderer };\n",
  },
];

const allowed: Probe[] = [
  {
    why: 'engine/graph: itself, the contract and zod',
    file: 'engine/graph/probe.ts',
    code: [
      "import { z } from 'zod';",
      "import { compile } from './compile.ts';",
      "import type { Analysis } from '../contract/api.ts';",
      'export type { Analysis };',
      'export { z, compile };',
      '',
    ].join('\n'),
  },
  {
    why: 'engine/onnx: onnx-proto and engine/graph',
    file: 'engine/onnx/probe.ts',
    code: [
      "import { onnx } from 'onnx-proto';",
      "import type { IrProgram } from '../graph/ir.ts';",
      'export type { IrProgram };',
      'export { onnx };',
      '',
    ].join('\n'),
  },
  {
    why: 'engine/train: tfjs, node:fs, the runtime and a dynamic import of the emitter',
    file: 'engine/train/probe.ts',
    code: [
      "import * as tf from '@tensorflow/tfjs-core';",
      "import { readFileSync } from 'node:fs';",
      "import { runProgram } from '../runtime/executor.ts';",
      "export const emitter = () => import('../onnx/emit.ts');",
      'export { tf, readFileSync, runProgram };',
      '',
    ].join('\n'),
  },
  {
    why: 'engine/host: the service and the contract',
    file: 'engine/host/probe.ts',
    code: [
      "import { createService } from '../service/service.ts';",
      "import type { Reply } from '../contract/api.ts';",
      'export type { Reply };',
      'export { createService };',
      '',
    ].join('\n'),
  },
  {
    why: 'renderer/: React, the edit reducer and the contract',
    file: 'renderer/src/probe.ts',
    code: [
      "import { useState } from 'react';",
      "import { applyEdit } from '../../engine/graph/edits/apply-edit.ts';",
      "import type { RunSummary } from '../../engine/contract/api.ts';",
      'export type { RunSummary };',
      'export { useState, applyEdit };',
      '',
    ].join('\n'),
  },
  {
    why: 'electron/: Electron, the service and the IPC contract',
    file: 'electron/probe.ts',
    code: [
      "import { app } from 'electron';",
      "import { createService } from '../engine/service/service.ts';",
      "import { IPC_CALL } from '../engine/contract/ipc.ts';",
      'export { app, createService, IPC_CALL };',
      '',
    ].join('\n'),
  },
];

describe('layers (eslint.config.js)', () => {
  let eslint: ESLint;
  const lint = async (p: Probe): Promise<Linter.LintMessage[]> => {
    const [result] = await eslint.lintText(p.code, { filePath: p.file });
    return result!.messages;
  };
  before(() => {
    eslint = new ESLint({ cwd: process.cwd() });
  });

  it('has the 18 violation probes', () => assert.equal(violations.length, 18));

  for (const p of violations) {
    it(`refuses ${p.why}`, async () => {
      const messages = await lint(p);
      const layer = messages.filter((m) => m.ruleId === 'boundaries/dependencies');
      assert.equal(layer.length, 1, `${p.file}: ${JSON.stringify(messages, null, 1)}`);
      assert.equal(layer[0]!.line, 1);
      assert.equal(layer[0]!.severity, 2);
      const spelling = messages.some((m) => m.ruleId === 'layers/ts-specifier');
      assert.equal(spelling, p.misspelled === true, JSON.stringify(messages, null, 1));
    });
  }

  for (const p of allowed) {
    it(`allows ${p.why}`, async () => {
      assert.deepEqual(await lint(p), []);
    });
  }

  it('refuses a computed import(), which no layer rule could check', async () => {
    const messages = await lint({
      why: 'a computed import()',
      file: 'engine/graph/probe.ts',
      code: "const where = '../runtime/executor.ts';\nexport const load = () => import(where);\n",
    });
    assert.deepEqual(
      messages.map((m) => m.ruleId),
      ['layers/literal-import'],
    );
  });

  it('lets tests import across the layers, but still under the file name', async () => {
    const messages = await lint({
      why: 'a test reaching into the renderer and the runtime',
      file: 'test/unit/probe.test.ts',
      code: [
        "import { reducer } from '../../renderer/src/state/reducer.ts';",
        "import { runProgram } from '../../engine/runtime/executor.js';",
        'export { reducer, runProgram };',
        '',
      ].join('\n'),
    });
    assert.deepEqual(
      messages.map((m) => [m.ruleId, m.line]),
      [['layers/ts-specifier', 2]],
    );
  });

  it('refuses a file outside every layer, so a new folder gets one', async () => {
    const messages = await lint({
      why: 'a new engine folder',
      file: 'engine/elsewhere/probe.ts',
      code: 'export const answer = 42;\n',
    });
    assert.deepEqual(
      messages.map((m) => m.ruleId),
      ['boundaries/no-unknown-files'],
    );
  });
});
