/**
 * `trm export RUN --mode encoder-decoder`: a briefly trained seq2seq-reverse run is written as
 * onnx/encoder.onnx + onnx/decoder.onnx with its config and a verification of greedy decoding
 * on held-out sources against the tfjs model (PASS); the files read back decode a source to
 * what `trm generate` prints, and `trm generate` on the folder decodes through them; the
 * folder's own decode.mjs, run in Node with onnxruntime-node alone, prints the same targets
 * through the cached decoder and through the full one. A model without cross-attention, a GRAPH
 * without a run and a single .onnx file are refused with a sentence.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { SamplingConfig } from '../../engine/contract/sampling.ts';
import { seq2seqLayout } from '../../engine/data/seq2seq-tasks.ts';
import { compile } from '../../engine/graph/compile.ts';
import { splitEncoderDecoder } from '../../engine/graph/ir/encoder-decoder.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import { decodeTarget, encodeSource, translate } from '../../engine/infer/seq2seq.ts';
import {
  loadPairFolder,
  onnxPairNextLogits,
} from '../../engine/onnx-runtime/encoder-decoder-session.ts';
import type { EncoderDecoderReport } from '../../engine/onnx-runtime/export-encoder-decoder.ts';
import { onnxSignature } from '../../engine/onnx-runtime/export-model.ts';
import { createSession } from '../../engine/onnx-runtime/verify.ts';
import { pairFolder, snippets } from '../../renderer/src/components/export-snippets.ts';
import { capture } from '../support/capture.ts';

const TEMPLATE = 'templates/seq2seq-reverse.json';

async function trm(args: string[]) {
  const c = capture();
  const code = await main(args, c.out);
  return { code, lines: c.lines, errors: c.errors, all: [...c.lines, ...c.errors].join('\n') };
}

describe('trm export --mode encoder-decoder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-encdec-'));
  const run = join(dir, 's2s');
  const out = join(dir, 'pair');
  after(() => rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    // 160 steps: nearly solved (about 99.9% exact held-out), so decoded sources can be checked
    // against their reverse as well as across runtimes.
    const t = await trm(['train', TEMPLATE, '--out', run, '--steps', '160']);
    assert.equal(t.code, 0, t.all);
  });

  it('writes the encoder and decoder, and passes greedy decoding of held-out sources', async () => {
    const e = await trm([
      'export',
      run,
      '--mode',
      'encoder-decoder',
      '--out',
      out,
      '--task-examples',
      '24',
    ]);
    assert.equal(e.code, 0, e.all);
    assert.match(
      e.all,
      /exported .*\(onnx\/encoder\.onnx, onnx\/decoder\.onnx, onnx\/encoder-decoder\.verify\.json, onnx\/decoder_model\.onnx, onnx\/decoder_with_past_model\.onnx, config\.json, generation_config\.json, README\.md, decode\.mjs; opset 17, fp32, encoder-decoder/,
    );
    assert.match(
      e.all,
      /greedy decoding of 24 held-out sources: the pair agrees with tfjs on 100\.00%/,
    );
    assert.match(e.all, /verdict: PASS \(fp32, judged by greedy decoding of held-out sources\)/);
    const report = JSON.parse(
      readFileSync(join(out, 'onnx/encoder-decoder.verify.json'), 'utf8'),
    ) as EncoderDecoderReport;
    assert.equal(report.ok, true);
    assert.equal(report.sources, 24);
    assert.equal(report.agreement, 1);
    assert.equal(report.exactMatch.onnx, report.exactMatch.tfjs);
    assert.deepEqual(report.mismatches, []);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(config.is_encoder_decoder, true);
    assert.deepEqual(
      [config.vocab_size, config.decoder_start_token_id, config.eos_token_id, config.pad_token_id],
      [13, 1, 2, 0],
    );
    assert.deepEqual(config.trm.layout, { source: 8, length: 17 });
    assert.deepEqual(config.trm.decoder.inputs, ['tokens', 'encoder_hidden_states']);
    // The cached decoder reproduces the tfjs decoding too, its later steps one token each.
    assert.match(e.all, /decoder with past \(KV cache; .*\): agrees with tfjs on 100\.00%/);
    assert.ok(!('skipped' in report.withPast), JSON.stringify(report.withPast));
    const past = report.withPast as Exclude<typeof report.withPast, { skipped: string }>;
    assert.equal(past.agreement, 1);
    assert.equal(past.exactMatch, report.exactMatch.tfjs);
    assert.equal(past.calls.init, 24, 'one first step per source');
    assert.ok(past.calls.step >= 24 * 3, `later steps through the cache: ${past.calls.step}`);
    assert.equal(config.use_cache, true);
    const cached = config.trm.decoder_with_past;
    assert.deepEqual([cached.layout, cached.start, cached.pad_id], ['optimum-split', 8, 0]);
    assert.deepEqual(cached.init.inputs, [
      'input_ids',
      'encoder_attention_mask',
      'encoder_hidden_states',
    ]);
    const step = await createSession(readFileSync(join(out, cached.step.file)));
    assert.deepEqual(
      [...step.inputNames].sort(),
      [
        'encoder_attention_mask',
        'input_ids',
        ...[0, 1].flatMap((i) =>
          ['decoder', 'encoder'].flatMap((k) =>
            ['key', 'value'].map((p) => `past_key_values.${i}.${k}.${p}`),
          ),
        ),
      ].sort(),
    );
    assert.deepEqual(
      [...step.outputNames].sort(),
      [
        'logits',
        ...[0, 1].flatMap((i) => ['key', 'value'].map((p) => `present.${i}.decoder.${p}`)),
      ].sort(),
    );
    await step.release();
  });

  it('the files it wrote decode a source to what trm generate prints', async () => {
    const parsed = parseDocument(readFileSync(TEMPLATE, 'utf8'));
    assert.ok(parsed.ok);
    const pair = splitEncoderDecoder(compile(parsed.doc, { mode: 'full' }).program!);
    const encoder = await createSession(readFileSync(join(out, 'onnx/encoder.onnx')));
    const decoder = await createSession(readFileSync(join(out, 'onnx/decoder.onnx')));
    const layout = seq2seqLayout(8);
    const next = onnxPairNextLogits(encoder, decoder, pair, layout.length);
    for (const source of ['31415', '2718', '12345678']) {
      const g = await trm(['generate', run, '--prompt', source]);
      assert.equal(g.code, 0, g.all);
      const ids = encodeSource(source, layout);
      const got = decodeTarget(await translate(next, layout, ids, SamplingConfig.parse({})));
      assert.equal(got, g.lines.at(-1), source);
      // trm generate on the model folder decodes through the pair, greedy and with beams.
      for (const beams of [[], ['--beams', '3']]) {
        const f = await trm(['generate', out, '--prompt', source, ...beams]);
        const r = await trm(['generate', run, '--prompt', source, ...beams]);
        assert.equal(f.code, 0, f.all);
        assert.equal(f.lines.at(-1), r.lines.at(-1), `${source} ${beams.join(' ')}`);
      }
    }
    const folder = await loadPairFolder(out);
    assert.equal(folder?.withPast, true, 'trm generate FOLDER decodes with the cached decoder');
    await folder?.dispose();
    // Without the cached files the folder decodes through the full decoder, to the same text.
    const bare = join(dir, 'bare');
    cpSync(out, bare, { recursive: true });
    rmSync(join(bare, 'onnx/decoder_with_past_model.onnx'));
    const fallback = await loadPairFolder(bare);
    assert.equal(fallback?.withPast, false);
    await fallback?.dispose();
    for (const beams of [[], ['--beams', '3']]) {
      const f = await trm(['generate', bare, '--prompt', '2718', ...beams]);
      const r = await trm(['generate', run, '--prompt', '2718', ...beams]);
      assert.equal(f.code, 0, f.all);
      assert.equal(f.lines.at(-1), r.lines.at(-1), `without past ${beams.join(' ')}`);
    }
    // A damaged cached file is named with the fix, not left to onnxruntime's words.
    const damaged = join(dir, 'damaged');
    cpSync(out, damaged, { recursive: true });
    writeFileSync(join(damaged, 'onnx/decoder_with_past_model.onnx'), 'not an onnx model');
    const d = await trm(['generate', damaged, '--prompt', '2718']);
    assert.equal(d.code, 1, d.all);
    assert.match(
      d.all,
      /damaged\/onnx\/decoder_with_past_model\.onnx cannot be loaded \(.+\); it is damaged or not the file config\.json names\. Export the folder again with trm export --mode encoder-decoder\./,
    );
    const bad = await trm(['generate', out, '--prompt', '12a4']);
    assert.equal(bad.code, 1);
    assert.match(bad.all, /The source may hold only digits 0–9; remove "a"\./);
    await encoder.release();
    await decoder.release();
  });

  it("the folder's decode.mjs decodes with onnxruntime-node alone, as trm generate does", async () => {
    // Sources of 4–8 digits the run most likely never saw, and their reverses.
    const sources = ['31415926', '2718', '90210', '1234567', '80808'];
    const reversed = sources.map((s) => [...s].reverse().join(''));
    const generated: string[] = [];
    for (const source of sources) {
      const g = await trm(['generate', out, '--prompt', source]);
      assert.equal(g.code, 0, g.all);
      generated.push(g.lines.at(-1)!);
    }
    assert.deepEqual(generated, reversed);
    // The folder as a deployer has it once `npm i onnxruntime-node` ran there (linked here).
    symlinkSync(resolve('node_modules'), join(out, 'node_modules'));
    const decode = (folder: string, ...args: string[]) =>
      spawnSync(process.execPath, [join(folder, 'decode.mjs'), ...args], { encoding: 'utf8' });
    const printed = (folder: string) => {
      const r = decode(folder, ...sources);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split('\n');
    };
    assert.deepEqual(printed(out), generated);
    // Each path alone: the cached files without decoder.onnx, decoder.onnx without them.
    const cachedOnly = join(dir, 'cached-only');
    cpSync(out, cachedOnly, { recursive: true });
    rmSync(join(cachedOnly, 'onnx/decoder.onnx'));
    assert.deepEqual(printed(cachedOnly), generated);
    // trm generate on such a folder too: the full decoder is opened only when it is used.
    const g = await trm(['generate', cachedOnly, '--prompt', sources[0]!]);
    assert.equal(g.code, 0, g.all);
    assert.equal(g.lines.at(-1), reversed[0]);
    const fullOnly = join(dir, 'full-only');
    cpSync(out, fullOnly, { recursive: true });
    rmSync(join(fullOnly, 'onnx/decoder_model.onnx'));
    rmSync(join(fullOnly, 'onnx/decoder_with_past_model.onnx'));
    assert.deepEqual(printed(fullOnly), generated);
    // A character the vocabulary lacks is named, and nothing is printed for it.
    const bad = decode(out, '12a4');
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /"12a4": the model does not read a\./);
    // The README names every file it writes and the command that decodes.
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    for (const f of readdirSync(join(out, 'onnx'))) assert.ok(readme.includes(`\`onnx/${f}\``), f);
    assert.match(readme, /npm i onnxruntime-node\nnode decode\.mjs 31415926\n/);
    // The script is the engine's, copied as is: the one tested here.
    assert.equal(
      readFileSync(join(out, 'decode.mjs'), 'utf8'),
      readFileSync('engine/onnx-runtime/deploy/decode.mjs', 'utf8'),
    );
  });

  it("the Export dialog's snippets decode with the folder's decode.mjs, as written", () => {
    const encoder = join(out, 'onnx/encoder.onnx');
    const code = snippets(encoder, onnxSignature(readFileSync(encoder)), 'encoder-decoder');
    assert.equal(pairFolder(encoder), out);
    assert.equal(pairFolder('C:\\exports\\pair\\onnx\\encoder_fp16.onnx'), 'C:\\exports\\pair');
    assert.match(code.node, /\nnpm i onnxruntime-node\nnode decode\.mjs 31415926$/);
    assert.doesNotMatch(code.node, /InferenceSession|encoder_hidden_states/);
    // Run as pasted, in a shell whose npm is a no-op: onnxruntime-node is linked in already.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'npm'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const env = {
      ...process.env,
      PATH: [bin, dirname(process.execPath), process.env.PATH].join(delimiter),
    };
    const shell = spawnSync('bash', ['-e', '-c', code.node], { encoding: 'utf8', cwd: dir, env });
    assert.equal(shell.status, 0, shell.stderr);
    assert.equal(shell.stdout, '62951413\n');
    const py = join(dir, 'decode.py');
    writeFileSync(py, code.python);
    const python = spawnSync('python3', [py], { encoding: 'utf8', cwd: dir, env });
    assert.equal(python.status, 0, python.stderr);
    assert.equal(python.stdout, '62951413\n');
  });

  it('refuses a model without cross-attention, a graph without a run, and a single file', async () => {
    const gpt = join(dir, 'gpt');
    const t = await trm(['train', 'templates/tiny-gpt.json', '--out', gpt, '--steps', '2']);
    assert.equal(t.code, 0, t.all);
    const a = await trm(['export', gpt, '--mode', 'encoder-decoder', '--out', join(dir, 'x')]);
    assert.equal(a.code, 1);
    assert.match(
      a.all,
      /trm export: The model has no cross-attention reading the source ids, so it has no encoder to export apart; wire a cross-attention node's source port, or export it as one model\./,
    );
    const b = await trm(['export', TEMPLATE, '--mode', 'encoder-decoder', '--out', join(dir, 'y')]);
    assert.equal(b.code, 2);
    assert.match(b.all, /writes a model folder from a trained RUN .*; give the run folder\./);
    const c = await trm(['export', run, '--mode', 'encoder-decoder', '--out', join(dir, 'z.onnx')]);
    assert.equal(c.code, 2);
    assert.match(c.all, /give --out a folder, not a \.onnx file\./);
    const d = await trm(['export', run, '--mode', 'seq2seq']);
    assert.equal(d.code, 2);
    assert.match(d.all, /unknown mode "seq2seq"\. Use full, step, decode or encoder-decoder\./);
  });
});
