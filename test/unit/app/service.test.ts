import assert from 'node:assert/strict';
import { readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compile } from '../../../engine/graph/compile.ts';
import type { Analysis } from '../../../engine/contract/api.ts';
import { errorOf, template, testService } from '../../support/service-harness.ts';

const { root, workspace, service, call, ok } = testService('service');
const trm = template('trm-sudoku');

// Hand-computed figures follow the template's sizes.
const {
  V,
  L,
  D,
  n,
  T_rec: tRec,
  N_sup: nSup,
} = trm.dims as Record<'V' | 'L' | 'D' | 'n' | 'T_rec' | 'N_sup', number>;

describe('engine service', () => {
  it('lists templates with their compiled parameter counts', async () => {
    const cards = (await ok('templates.list', {})) as {
      id: string;
      params: number;
      task: string;
    }[];
    const card = cards.find((c) => c.id === 'trm-sudoku');
    assert.ok(card);
    assert.equal(card.params, compile(trm).totalParams);
    assert.equal(card.task, 'sudoku-4x4');
    // The recurrent baselines sit beside the models they are compared with, on the same tasks.
    const task = (id: string) => cards.find((c) => c.id === id)?.task;
    assert.equal(task('lstm-sudoku'), task('trm-mlp-sudoku'));
    assert.equal(task('lstm-lm'), task('tiny-gpt'));
    assert.equal(task('lstm-lm'), 'causal-lm');
    assert.match(errorOf(await call('templates.get', { id: '../package' })).message, /no template/);
  });

  it('validates documents: per-node shapes and params, per-edge shapes, totals', async () => {
    const a = (await ok('document.validate', { doc: trm })) as Analysis;
    assert.equal(a.ok, true);
    assert.deepEqual(a.diagnostics, []);
    assert.equal(a.totals.params, compile(trm).totalParams);
    assert.equal(a.graphs.main?.nodes.embed?.shapes.out, `B×${L}×${D}`);
    assert.equal(a.graphs.main?.nodes.embed?.params, V * D);
    assert.equal(a.graphs.main?.edges.find((e) => e.from.node === 'puzzle')?.shape, `B×${L}`);
    // Shared weights are counted once: the recursion holds everything but the embedding.
    assert.equal(a.graphs.main?.nodes.supervise?.params, a.totals.params - V * D);
    // Inside a component: attention 4·D².
    assert.equal(a.graphs.layer?.nodes.attn?.params, 4 * D * D);
    // The layers run over the puzzle-prefix position and the cells.
    assert.equal(a.graphs.layer?.nodes.attn?.shapes.out, `B×${L + 1}×${D}`);
    // Component ports take any tensor; the wire's inferred dtype colours it.
    assert.deepEqual(
      a.graphs.main?.nodes.supervise?.inputs.map((p) => p.type),
      ['any', 'any', 'any'],
    );
    assert.equal(a.graphs.main?.edges.find((e) => e.from.node === 'puzzle')?.dtype, 'int32');
  });

  it('budgets memory per token: activations and KV cache count every step', async () => {
    const a = (await ok('document.validate', { doc: trm })) as Analysis;
    // Per supervision step (×N_sup), T_rec deep steps each run latent_step n times and net
    // once more: (n + 1)·T_rec·N_sup nets of 2 layers, each caching K and V of width D.
    const layers = 2 * (n + 1) * tRec * nSup;
    assert.equal(a.totals.kvBytesPerToken, layers * 2 * D * 4);
    assert.equal(a.totals.context, L);
    const g = (await ok('document.validate', { doc: template('tiny-gpt') })) as Analysis;
    assert.equal(g.totals.kvBytesPerToken, 2 * 2 * 128 * 4);
    assert.equal(g.totals.context, 64);
    assert.equal(g.totals.bytes.fp16, 2 * g.totals.params);
  });

  it('puts each diagnostic on its node, errors first', async () => {
    const doc = structuredClone(trm);
    const attn = doc.components.layer?.nodes.find((n) => n.id === 'attn');
    assert.ok(attn);
    attn.params.heads = 5;
    const a = (await ok('document.validate', { doc })) as {
      ok: boolean;
      graphs: Record<string, { nodes: Record<string, { diagnostics: { message: string }[] }> }>;
    };
    assert.equal(a.ok, false);
    assert.match(a.graphs.layer?.nodes.attn?.diagnostics[0]?.message ?? '', /divisible/);
    const broken = (await ok('document.validate', { doc: { version: 1 } })) as {
      ok: boolean;
      diagnostics: unknown[];
    };
    assert.equal(broken.ok, false);
    assert.ok(broken.diagnostics.length > 0);
  });

  it('refuses malformed requests and parameters with sentences', async () => {
    assert.equal(
      errorOf(await service.dispatch({ id: 1, method: 'fs.readFile', params: {} })).code,
      'bad-request',
    );
    assert.equal(errorOf(await service.dispatch('nonsense')).code, 'bad-request');
    const e = errorOf(await call('document.save', { path: 'a.json', doc: { version: 2 } }));
    assert.equal(e.code, 'bad-params');
    assert.match(e.message, /Parameters of document.save are invalid/);
  });

  it('saves atomically into the workspace and opens what it saved', async () => {
    const saved = (await ok('document.saveAs', { path: 'model.trm.json', doc: trm })) as {
      path: string;
    };
    assert.equal(saved.path, join(workspace, 'model.trm.json'));
    assert.deepEqual(readdirSync(workspace), ['model.trm.json'], 'no temp file left behind');
    const opened = (await ok('document.open', { path: 'model.trm.json' })) as { doc: unknown };
    assert.deepEqual(opened.doc, trm);
    const list = (await ok('document.list', {})) as { files: { name: string }[]; recent: string[] };
    assert.deepEqual(
      list.files.map((f) => f.name),
      ['model.trm.json'],
    );
    assert.equal(list.recent[0], saved.path);
  });

  it('refuses paths outside the allowed folders, links included', async () => {
    writeFileSync(join(root, 'secret.json'), '{}');
    for (const path of ['../secret.json', join(root, 'secret.json'), '/etc/passwd.json']) {
      assert.equal(errorOf(await call('document.open', { path })).code, 'outside-workspace', path);
      assert.equal(
        errorOf(await call('document.save', { path, doc: trm })).code,
        'outside-workspace',
        path,
      );
    }
    symlinkSync(root, join(workspace, 'escape'));
    assert.equal(
      errorOf(await call('document.save', { path: 'escape/x.json', doc: trm })).code,
      'outside-workspace',
    );
    assert.equal(errorOf(await call('document.open', { path: 'notes.txt' })).code, 'bad-path');
    // Templates may be read, never written.
    assert.ok(
      (await call('document.open', { path: join(process.cwd(), 'templates/tiny-gpt.json') })).ok,
    );
    assert.equal(
      errorOf(
        await call('document.save', { path: join(process.cwd(), 'templates/x.json'), doc: trm }),
      ).code,
      'outside-workspace',
    );
  });

  it('names the problem when a file is not a graph document', async () => {
    writeFileSync(join(workspace, 'broken.json'), '{"version": 1, "name": ');
    const e = errorOf(await call('document.open', { path: 'broken.json' }));
    assert.equal(e.code, 'bad-document');
    assert.match(e.message, /broken\.json cannot be opened\. The file is not valid JSON/);
  });

  it('keeps unsaved work in a recovery file until it is discarded', async () => {
    assert.equal(await ok('document.recover', {}), null);
    const draft = { ...trm, name: 'draft' };
    await ok('document.autosave', { doc: draft, path: null });
    const r = (await ok('document.recover', {})) as { doc: { name: string }; path: null };
    assert.equal(r.doc.name, 'draft');
    await ok('document.discardRecovery', {});
    assert.equal(await ok('document.recover', {}), null);
  });
});
