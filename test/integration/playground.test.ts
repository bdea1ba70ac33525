import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { ExportReport, ServerEvent } from '../../engine/contract/api.ts';
import { uniqueSudokuSolution } from '../../engine/service/playground-solve.ts';
import type { DataSpec } from '../../engine/data/spec.ts';
import { configFromDocument } from '../../engine/train/document-config.ts';
import { train } from '../../engine/train/trainer.ts';
import { template, testService } from '../support/service-harness.ts';
import { main } from '../../engine/cli/main.ts';
import { capture } from '../support/capture.ts';

/**
 * The playground through the service (what both hosts call): streaming generation with its
 * events in order, cancel, bounds, sources that are not what the call needs, and step-by-step
 * solving on a checkpoint and on its ONNX step export.
 */

const { workspace, service, call, ok } = testService('playground');
const events: ServerEvent[] = [];
service.onEvent((e) => events.push(e));

async function refused(method: string, params: unknown, code: string | RegExp, text: RegExp) {
  const r = await call(method, params);
  assert.equal(r.ok, false, `${method} was accepted: ${JSON.stringify(r)}`);
  if (r.ok) return;
  assert.match(r.error.code, typeof code === 'string' ? new RegExp(`^${code}$`) : code);
  assert.match(r.error.message, text);
}

/** A finished run folder as the service writes one, trained here in-process (fast). */
async function fakeRun(runId: string, document: Record<string, unknown>, data: DataSpec) {
  const dir = join(workspace, 'runs', runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'graph.json'), JSON.stringify(document));
  const config = {
    ...configFromDocument(document as never),
    backend: 'cpu' as const,
    batch: 8,
    lr: 3e-3,
    warmup: 1,
    evalEvery: 0,
    evalExamples: 8,
    checkpointEvery: 3,
    steps: 3,
  };
  const r = await train({ document, data, config, outDir: join(dir, 'checkpoints') });
  r.model.dispose();
  writeFileSync(
    join(dir, 'run.json'),
    JSON.stringify({
      runId,
      name: document.name,
      status: 'completed',
      startedAt: new Date().toISOString(),
      step: 3,
      steps: 3,
      backend: 'cpu',
      data: JSON.stringify(data),
      params: null,
      lastCheckpoint: join(dir, 'checkpoints', 'step-000003'),
      message: null,
      dir,
    }),
  );
}

const lm = { runId: 'lm-run' };
const trm = { runId: 'trm-run' };

/** Events of one generation, resolved at its `infer.done`. */
function finished(generationId: string): Promise<ServerEvent[]> {
  return new Promise((resolve) => {
    const poll = () => {
      const mine = events.filter(
        (e) =>
          (e.type === 'infer.token' || e.type === 'infer.done') && e.generationId === generationId,
      );
      if (mine.at(-1)?.type === 'infer.done') resolve(mine);
      else setTimeout(poll, 5);
    };
    poll();
  });
}

before(async () => {
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'cats.txt'), 'the cat sat on the mat. '.repeat(200));
  await fakeRun('lm-run', template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 }), {
    type: 'text',
    path: join(workspace, 'cats.txt'),
    length: 9,
  });
  await fakeRun('trm-run', template('trm-sudoku', { D: 16, H: 2, n: 1, T_rec: 2, N_sup: 3 }), {
    type: 'sudoku',
    size: 4,
    pool: 20,
    validationSize: 8,
  });
});

describe('playground service', () => {
  it('lists runs with checkpoints and describes a language model and a puzzle model', async () => {
    const sources = await ok<{ runs: { runId: string }[] }>('infer.sources', {});
    assert.deepEqual(sources.runs.map((r) => r.runId).sort(), ['lm-run', 'trm-run']);
    const a = await ok<{ kind: string; task: string; puzzle: unknown }>('infer.describe', {
      source: lm,
    });
    assert.equal(a.kind, 'lm');
    assert.equal(a.task, 'text');
    assert.equal(a.puzzle, null);
    const b = await ok<{ kind: string; puzzle: Record<string, unknown> }>('infer.describe', {
      source: trm,
    });
    assert.equal(b.kind, 'puzzle');
    assert.deepEqual(b.puzzle, {
      cells: 16,
      width: 4,
      symbols: ['', '.', '1', '2', '3', '4'],
      blank: 1,
      editable: [1, 2, 3, 4, 5],
      supervisionSteps: 3,
    });
  });

  it('streams tokens in order, then one done event whose text they add up to', async () => {
    const { generationId, promptTokens } = await ok<{ generationId: string; promptTokens: number }>(
      'infer.generate',
      { source: lm, prompt: 'the cat', settings: { strategy: 'greedy', maxTokens: 12 } },
    );
    assert.equal(promptTokens, 7);
    const mine = await finished(generationId);
    const tokens = mine.filter((e) => e.type === 'infer.token');
    const done = mine.at(-1) as Extract<ServerEvent, { type: 'infer.done' }>;
    assert.equal(done.reason, 'length');
    assert.equal(done.tokens, 12);
    assert.equal(tokens.length, 12, 'one event per token (char tokenizer)');
    assert.deepEqual(
      tokens.map((e) => e.tokens),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    assert.equal(tokens.map((e) => e.text).join(''), done.text);
    assert.equal(done.text.length, 12);
    assert.ok(done.tokensPerSecond > 0);
    // Greedy is deterministic: the same prompt gives the same text.
    const again = await ok<{ generationId: string }>('infer.generate', {
      source: lm,
      prompt: 'the cat',
      settings: { strategy: 'greedy', maxTokens: 12 },
    });
    const second = (await finished(again.generationId)).at(-1) as typeof done;
    assert.equal(second.text, done.text);
  });

  it('generates from an ONNX export of the language model, as from its checkpoint', async () => {
    const exported = await ok<ExportReport>('export.run', {
      runId: lm.runId,
      precision: 'fp32',
      mode: 'full',
    });
    const onnx = { onnxPath: exported.path };
    const info = await ok<{ kind: string; runtime: string }>('infer.describe', { source: onnx });
    assert.deepEqual([info.kind, info.runtime], ['lm', 'onnx']);
    const texts: string[] = [];
    for (const source of [lm, onnx]) {
      const g = await ok<{ generationId: string }>('infer.generate', {
        source,
        prompt: 'the mat',
        settings: { strategy: 'greedy', maxTokens: 10 },
      });
      const done = (await finished(g.generationId)).at(-1) as Extract<
        ServerEvent,
        { type: 'infer.done' }
      >;
      assert.equal(done.reason, 'length', done.message ?? '');
      texts.push(done.text);
    }
    assert.equal(texts[1], texts[0], 'fp32 ONNX decodes greedily to the same text');
  });

  it('samples and beam-searches with their settings', async () => {
    for (const settings of [
      { strategy: 'sample', temperature: 0.8, topK: 5, topP: 0.9, seed: 3, maxTokens: 6 },
      { strategy: 'beam', beamWidth: 3, maxTokens: 6 },
    ]) {
      const g = await ok<{ generationId: string }>('infer.generate', {
        source: lm,
        prompt: 'the',
        settings,
      });
      const done = (await finished(g.generationId)).at(-1) as Extract<
        ServerEvent,
        { type: 'infer.done' }
      >;
      assert.equal(done.reason, 'length', `${settings.strategy}: ${done.message}`);
      assert.equal(done.tokens, 6);
    }
  });

  it('cancels a generation, and keeps answering other calls while generating', async () => {
    const g = await ok<{ generationId: string }>('infer.generate', {
      source: lm,
      prompt: 'the',
      settings: { strategy: 'greedy', maxTokens: 2048 },
    });
    // The event loop is not held: a timer fires while tokens are still coming.
    const doneWhenTimerFired = await new Promise((r) =>
      setTimeout(
        () => r(events.some((e) => e.type === 'infer.done' && e.generationId === g.generationId)),
        0,
      ),
    );
    assert.equal(doneWhenTimerFired, false);
    while (!events.some((e) => e.type === 'infer.token' && e.generationId === g.generationId))
      await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(await ok('infer.cancel', { generationId: g.generationId }), {
      cancelled: true,
    });
    const done = (await finished(g.generationId)).at(-1) as Extract<
      ServerEvent,
      { type: 'infer.done' }
    >;
    assert.equal(done.reason, 'cancelled');
    assert.ok(done.tokens < 2048, `${done.tokens} tokens`);
    assert.deepEqual(await ok('infer.cancel', { generationId: g.generationId }), {
      cancelled: false,
    });
  });

  it('admits exactly 4 of 20 concurrent generations (the slot is taken before any await)', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('infer.generate', {
          source: lm,
          prompt: 'the cat',
          settings: { strategy: 'greedy', maxTokens: 2048 },
        }),
      ),
    );
    const accepted = replies.filter((r) => r.ok);
    assert.equal(accepted.length, 4);
    for (const r of replies.filter((x) => !x.ok)) {
      assert.equal(!r.ok && r.error.code, 'busy');
      assert.match(!r.ok ? r.error.message : '', /4 generations are already running; stop one/);
    }
    const ids = accepted.map((r) => (r.ok ? (r.result as { generationId: string }) : null)!);
    for (const { generationId } of ids) await ok('infer.cancel', { generationId });
    for (const { generationId } of ids) await finished(generationId);
    // The slots are free again.
    const again = await ok<{ generationId: string }>('infer.generate', {
      source: lm,
      prompt: 'the cat',
      settings: { strategy: 'greedy', maxTokens: 2 },
    });
    await finished(again.generationId);
  });

  it('gives the slot back when a generation is refused after taking it', async () => {
    for (let i = 0; i < 6; i++) {
      await refused(
        'infer.generate',
        { source: trm, prompt: 'x', settings: { strategy: 'greedy', maxTokens: 2 } },
        'not-a-language-model',
        /does not generate text/,
      );
    }
  });

  it('refuses settings out of bounds before anything runs', async () => {
    const gen = (settings: Record<string, unknown>) => ({ source: lm, prompt: 'the', settings });
    await refused(
      'infer.generate',
      gen({ strategy: 'sample', temperature: 1e-301 }),
      'bad-params',
      /settings\.temperature/,
    );
    await refused(
      'infer.generate',
      gen({ strategy: 'greedy', maxTokens: 5000 }),
      'bad-params',
      /maxTokens/,
    );
    await refused('infer.generate', gen({ strategy: 'sample', topK: -1 }), 'bad-params', /topK/);
    await refused(
      'infer.generate',
      gen({ strategy: 'beam', beamWidth: 1 }),
      'bad-params',
      /beamWidth/,
    );
    await refused('infer.generate', gen({ strategy: 'nucleus' }), 'bad-params', /strategy/);
    await refused(
      'infer.generate',
      { ...gen({ strategy: 'greedy' }), prompt: 'the ∑' },
      'bad-prompt',
      /never saw in training: "∑"/,
    );
  });

  it('names the problem with a source that cannot do what was asked', async () => {
    await refused(
      'infer.describe',
      { source: { runId: 'no-such-run' } },
      'no-checkpoint',
      /Run no-such-run has no checkpoint/,
    );
    await refused(
      'infer.describe',
      { source: { onnxPath: '../outside.onnx' } },
      'bad-source',
      /not an ONNX export in the workspace/,
    );
    await refused(
      'infer.describe',
      { source: { onnxPath: 'missing.onnx' } },
      'bad-source',
      /does not exist/,
    );
    await refused(
      'infer.generate',
      { source: trm, prompt: 'hello', settings: { strategy: 'greedy' } },
      'not-a-language-model',
      /solves puzzles \(sudoku\); it does not generate text/,
    );
    await refused(
      'infer.solve',
      { source: lm, puzzle: [1, 1, 1, 1] },
      'not-a-puzzle-model',
      /language model; it does not solve puzzles/,
    );
    await refused('infer.puzzle', { source: lm }, 'not-a-puzzle-model', /it has no puzzles/);
    await refused(
      'infer.solve',
      { source: trm, puzzle: Array.from({ length: 81 }, () => 1) },
      'bad-puzzle',
      /81 cells but .* solves 16-cell puzzles/,
    );
    await refused(
      'infer.solve',
      { source: trm, puzzle: Array.from({ length: 16 }, (_, i) => (i === 3 ? 9 : 1)) },
      'bad-puzzle',
      /Cell 4 of the puzzle holds token 9/,
    );
  });

  it('solves a generated puzzle step by step on the checkpoint and on its ONNX step export', async () => {
    const { puzzle, solution } = await ok<{ puzzle: number[]; solution: number[] }>(
      'infer.puzzle',
      { source: trm, seed: 5 },
    );
    assert.equal(puzzle.length, 16);
    assert.ok(puzzle.includes(1), 'the puzzle has blanks');
    // Its answer is the one solution a search finds.
    assert.deepEqual(uniqueSudokuSolution(puzzle), solution);
    type Solved = {
      answer: number[];
      steps: { answer: number[]; halt: number; confidence: number }[];
      stepsUsed: number;
      supervisionSteps: number;
      halted: boolean;
      solution: number[];
      wrong: number[];
    };
    const a = await ok<Solved>('infer.solve', { source: trm, puzzle, earlyHalt: false });
    assert.equal(a.stepsUsed, 3);
    assert.equal(a.supervisionSteps, 3);
    assert.equal(a.halted, false);
    assert.equal(a.steps.length, 3);
    assert.deepEqual(a.answer, a.steps[2]!.answer);
    for (const s of a.steps)
      assert.ok(s.confidence > 1 / 6 && s.confidence <= 1, `${s.confidence}`);
    // No solution given: the Sudoku's unique one is worked out, and wrong cells marked against it.
    assert.deepEqual(a.solution, solution);
    assert.deepEqual(
      a.wrong,
      a.answer.flatMap((t, i) => (t === solution[i] ? [] : [i])),
    );
    // With early halting, it stops at the first step whose halt logit is positive.
    const b = await ok<Solved>('infer.solve', { source: trm, puzzle });
    const firstHalt = a.steps.findIndex((s) => s.halt > 0);
    assert.equal(b.stepsUsed, firstHalt < 0 ? 3 : firstHalt + 1);
    assert.equal(b.halted, firstHalt >= 0);

    const exported = await ok<ExportReport>('export.run', {
      runId: trm.runId,
      precision: 'fp32',
      mode: 'step',
    });
    const sources = await ok<{ onnx: { path: string }[] }>('infer.sources', {});
    assert.ok(sources.onnx.some((o) => o.path === exported.path));
    const onnx = { onnxPath: exported.path };
    const info = await ok<{ kind: string; runtime: string }>('infer.describe', { source: onnx });
    assert.deepEqual([info.kind, info.runtime], ['puzzle', 'onnx']);
    const c = await ok<Solved>('infer.solve', { source: onnx, puzzle, solution, earlyHalt: false });
    assert.deepEqual(
      c.steps.map((s) => s.answer),
      a.steps.map((s) => s.answer),
    );
  });
});

describe('playground service: an encoder–decoder', () => {
  const s2s = { runId: 's2s-run' };
  before(async () => {
    await fakeRun('s2s-run', template('seq2seq-reverse'), { type: 'seq2seq', task: 'reverse' });
  });

  /** The text of one generation from the run, as the playground writes it. */
  async function decoded(prompt: string, settings: Record<string, unknown>) {
    const { generationId, promptTokens } = await ok<{ generationId: string; promptTokens: number }>(
      'infer.generate',
      { source: s2s, prompt, settings },
    );
    assert.equal(promptTokens, prompt.length, 'one token per source digit');
    const mine = await finished(generationId);
    const done = mine.at(-1) as Extract<ServerEvent, { type: 'infer.done' }>;
    assert.equal(done.reason, 'length', done.message ?? '');
    const streamed = mine.filter((e) => e.type === 'infer.token').map((e) => e.text);
    assert.equal(streamed.join(''), done.text);
    return done.text;
  }

  it('is described as seq2seq and decodes a source as trm generate does (greedy and beams)', async () => {
    const info = await ok<{ kind: string; seq2seq: unknown; puzzle: unknown }>('infer.describe', {
      source: s2s,
    });
    assert.equal(info.kind, 'seq2seq');
    assert.deepEqual(info.seq2seq, { sourceLength: 8 });
    assert.equal(info.puzzle, null);
    const checkpoint = join(workspace, 'runs', 's2s-run', 'checkpoints');
    for (const [strategy, flags] of [
      ['greedy', []],
      ['beam', ['--beams', '3']],
    ] as const) {
      const text = await decoded('31415', { strategy, beamWidth: 3 });
      assert.match(text, /^\d{0,9}$/, `${strategy}: digits only, up to the end token`);
      const g = capture();
      const args = ['generate', checkpoint, '--prompt', '31415', ...flags];
      assert.equal(await main(args, g.out), 0, g.errors.join('\n'));
      assert.equal(text, g.lines.at(-1) ?? '', strategy);
    }
  });

  it('refuses a source that is not digits or too long with the engine’s sentence', async () => {
    await refused(
      'infer.generate',
      { source: s2s, prompt: '12a4', settings: { strategy: 'greedy' } },
      'bad-prompt',
      /only digits 0–9; remove "a"/,
    );
    await refused(
      'infer.generate',
      { source: s2s, prompt: '123456789', settings: { strategy: 'greedy' } },
      'bad-prompt',
      /9 digits but the model reads at most 8; shorten it/,
    );
    await refused('infer.puzzle', { source: s2s }, 'not-a-puzzle-model', /encoder–decoder/);
  });

  it('exports the run as an encoder and a decoder (export.run), and refuses other models', async () => {
    const r = await ok<ExportReport>('export.run', {
      runId: s2s.runId,
      precision: 'fp32',
      mode: 'encoder-decoder',
    });
    assert.equal(r.mode, 'encoder-decoder');
    assert.equal(r.ok, true, r.failures.join(' '));
    assert.match(r.path, /Seq2seq-reverse-encoder-decoder[\\/]onnx[\\/]encoder\.onnx$/);
    assert.equal(r.top1Agreement, 1);
    // The dialog's note reports the decoder with a KV cache, checked the same way.
    assert.match(
      r.note ?? '',
      /With the KV cache \(decoder_model \+ decoder_with_past_model\): 100\.0% of them decode the same, \d+ of \d+ decoder calls from the cache\./,
    );
    assert.equal(r.task?.metric, 'exact-match');
    assert.deepEqual(
      r.signature.outputs.map((o) => o.name),
      ['encoder_hidden_states'],
    );
    await refused(
      'export.run',
      { runId: lm.runId, precision: 'fp32', mode: 'encoder-decoder' },
      'export-failed',
      /no cross-attention reading the source ids/,
    );
    await refused(
      'export.run',
      { document: template('seq2seq-reverse'), precision: 'fp32', mode: 'encoder-decoder' },
      'needs-run',
      /pick a run as the weights/,
    );
  });
});
