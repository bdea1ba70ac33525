import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { compile } from '../graph/compile.ts';
import { formatDiagnostic } from '../graph/diagnostics.ts';
import type { IrProgram } from '../graph/ir.ts';
import { ENCODER_STATES, splitEncoderDecoder } from '../graph/ir/encoder-decoder.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { SamplingConfig } from '../contract/sampling.ts';
import { SEQ2SEQ_VOCAB } from '../data/seq2seq-tasks.ts';
import { loadModel } from '../infer/load.ts';
import { decodeTarget, seq2seqLayoutOf, translate } from '../infer/seq2seq.ts';
import { writeFileAtomic } from '../io/durable-write.ts';
import { emitOnnx, type Opset, type Precision } from '../onnx/emit.ts';
import { initialValues } from '../onnx/initial-weights.ts';
import { checkExportFits } from '../train/preflight.ts';
import { onnxPairNextLogits } from './encoder-decoder-session.ts';
import { withPastNextLogits, type WithPastCalls } from './decoder-with-past-session.ts';
import { emitDecoderWithPast } from './export-decoder-with-past.ts';
import { PRECISION_FILES } from './hf-config.ts';
import { decodeScript, pairReadme } from './pair-readme.ts';
import { DEFAULT_THRESHOLDS } from './verdict.ts';
import { createSession } from './verify.ts';

type Session = Awaited<ReturnType<typeof createSession>>;

/*
 * An encoder–decoder as the pair a seq2seq runtime expects, in one model folder:
 *   onnx/encoder{,_fp16,…}.onnx            tokens [B, L] → encoder_hidden_states [B, S, D]
 *   onnx/decoder{,_fp16,…}.onnx            tokens, encoder_hidden_states → logits [B, L, V]
 *   onnx/decoder_model{,…}.onnx            the decoder with a KV cache, first step, and
 *   onnx/decoder_with_past_model{,…}.onnx  later steps (Optimum's split layout and the HF
 *                                          signature: engine/onnx-runtime/export-decoder-with-past.ts)
 *   onnx/encoder-decoder{,…}.verify.json   the pair's greedy decoding against the tfjs model's
 *   config.json, generation_config.json    the row layout, vocabulary and special tokens
 *   README.md, decode.mjs                  what each file is, and greedy decoding with the
 *                                          files in onnxruntime-node alone (deploy/decode.mjs)
 * The verification decodes held-out sources of the run's own data greedily — through the tfjs
 * model, through the pair in onnxruntime, and through the encoder with the cached decoder — and
 * compares the outputs and their exact match against the targets. A decoder with a node kind
 * that has no cached form goes without the two cached files (the report says why).
 */

export interface EncoderDecoderRequest {
  doc: GraphDocument;
  /** The trained run (or step-NNNNNN) folder: the tfjs reference and its recorded data. */
  run: string;
  weights: Map<string, Float32Array>;
  precision: Precision;
  opset: Opset;
  dir: string;
  /** Recorded with both files (the training config and data spec). */
  metadata: Record<string, string>;
  /** Held-out sources decoded (default 64). */
  examples?: number;
  /** Largest allowed fall of exact match (0–1); default: the precision's task threshold. */
  accuracyDrop?: number;
}

/** One held-out source the two runtimes decoded differently. */
export interface PairMismatch {
  source: string;
  tfjs: string;
  onnx: string;
}

export interface EncoderDecoderReport {
  ok: boolean;
  mode: 'encoder-decoder';
  precision: Precision;
  opset: Opset;
  /** Held-out sources decoded greedily by both. */
  sources: number;
  /** Share of sources the pair decodes to exactly the tfjs model's output. */
  agreement: number;
  /** Largest |onnx − tfjs| of the first decoding step's logits over the held-out sources. */
  maxAbsError: number;
  /** Share of sources decoded to exactly their target: tfjs, the pair. */
  exactMatch: { tfjs: number; onnx: number };
  /** The first few disagreements. */
  mismatches: PairMismatch[];
  encoderBytes: number;
  decoderBytes: number;
  /** The cached decoder's greedy decoding of the same sources, or why there is none. */
  withPast: WithPastReport | { skipped: string };
  failures: string[];
}

export interface WithPastReport {
  /** Share of sources the encoder + cached decoder decode to exactly the tfjs model's output. */
  agreement: number;
  /** Share decoded to exactly their target. */
  exactMatch: number;
  mismatches: PairMismatch[];
  /** Decoder calls while decoding them: init (first steps) and with past (each later token). */
  calls: WithPastCalls;
  initBytes: number;
  stepBytes: number;
}

export interface EncoderDecoderResult {
  report: EncoderDecoderReport;
  encoder: Uint8Array;
  decoder: Uint8Array;
  /** The encoder file, inside `dir`. */
  encoderPath: string;
  /** Every file written, relative to `dir`. */
  files: string[];
}

const MISMATCHES_KEPT = 5;

/** A program compiled in full, with a sentence when the graph is not an encoder–decoder. */
function splitOf(doc: GraphDocument) {
  const compiled = compile(doc, { mode: 'full' });
  if (!compiled.program) {
    throw new Error(
      `The graph does not compile, so it cannot be exported:\n${compiled.diagnostics.map(formatDiagnostic).join('\n')}`,
    );
  }
  checkExportFits(compiled.totalParams + compiled.uncountedParams, 'fp32');
  return { program: compiled.program, pair: splitEncoderDecoder(compiled.program) };
}

function fileOf(precision: Precision, part: string): string {
  return PRECISION_FILES[precision].file.replace(/model(?=[_.])/, part);
}

function presentNames(p: IrProgram): string[] {
  return p.outputs.filter((o) => o.role === 'present').map((o) => o.name);
}

function parameterCount(p: IrProgram): number {
  return [...p.params.values()].reduce((n, w) => n + w.shape.reduce((a, d) => a * d, 1), 0);
}

/** Writes the pair and verifies its greedy decoding against the run's tfjs model. */
export async function exportEncoderDecoder(
  req: EncoderDecoderRequest,
): Promise<EncoderDecoderResult> {
  const { program, pair } = splitOf(req.doc);
  const reference = await loadModel(req.run);
  // Every onnxruntime session the check opens, released once decoding is done or it throws.
  const sessions: Session[] = [];
  const open = async (bytes: Uint8Array) => {
    const s = await createSession(bytes);
    sessions.push(s);
    return s;
  };
  const release = async () => {
    for (const s of sessions.splice(0)) await s.release();
  };
  try {
    const layout = seq2seqLayoutOf(reference.dataSpec);
    if (!layout)
      throw new Error(
        `${req.run} was not trained on seq2seq data, so there are no held-out sources to check the pair on; export a run trained on a seq2seq task (e.g. --data seq2seq-reverse).`,
      );
    const source = await reference.dataSource();
    const held = source!.validation(req.examples ?? 64);
    const { buffers } = initialValues(program);
    const missing = [...pair.encoder.params.keys(), ...pair.decoder.params.keys()].find(
      (name) => !req.weights.has(name),
    );
    if (missing)
      throw new Error(
        `The weights lack the parameter "${missing}": they belong to a different graph. Export the run this graph was trained in.`,
      );
    const emit = (p: IrProgram, part: string) =>
      emitOnnx(p, req.weights, buffers, {
        opset: req.opset,
        precision: req.precision,
        metadata: {
          'trm.graph': JSON.stringify(req.doc),
          'trm.mode': `encoder-decoder:${part}`,
          ...req.metadata,
        },
      });
    const encoderBytes = emit(pair.encoder, 'encoder');
    const decoderBytes = emit(pair.decoder, 'decoder');
    const cached = emitDecoderWithPast(pair.decoder, emit);
    const encoder = await open(encoderBytes);
    const decoder = await open(decoderBytes);
    const onnxNext = onnxPairNextLogits(encoder, decoder, pair, layout.length);
    const cachedSessions =
      'skipped' in cached
        ? undefined
        : { init: await open(cached.init), step: await open(cached.step) };
    const withPastShape =
      'skipped' in cached
        ? undefined
        : { ...cached.shape, length: layout.length, source: layout.source };
    const calls = { init: 0, step: 0 };
    const pastNext =
      cachedSessions && withPastShape
        ? withPastNextLogits(
            encoder,
            cachedSessions.init,
            cachedSessions.step,
            withPastShape,
            calls,
          )
        : undefined;
    const tfjsNext = reference.next();
    const greedy = SamplingConfig.parse({});
    const sources: number[][] = [];
    for (let r = 0; r < held.batch; r++) {
      const row = held.inputs.subarray(r * held.length, (r + 1) * held.length);
      sources.push(Array.from(row.subarray(0, layout.source)).filter((t) => t !== layout.pad));
    }
    // The first decoding step's logits for every source at once: the numeric check.
    const firstStep = sources.map((ids) => [
      ...ids,
      ...new Array<number>(layout.source - ids.length).fill(layout.pad),
      layout.start,
    ]);
    const [tfjsFirst, onnxFirst] = [await tfjsNext(firstStep), await onnxNext(firstStep)];
    let maxAbsError = 0;
    tfjsFirst.forEach((a, i) =>
      a.forEach((x, j) => {
        maxAbsError = Math.max(maxAbsError, Math.abs(x - onnxFirst[i]![j]!));
      }),
    );
    const mismatches: PairMismatch[] = [];
    const pastMismatches: PairMismatch[] = [];
    let agree = 0;
    const right = { tfjs: 0, onnx: 0, past: 0 };
    let pastAgree = 0;
    for (let r = 0; r < held.batch; r++) {
      const ids = sources[r]!;
      // The target: the row's scored positions from n, up to the end token.
      const target = decodeTarget(
        Array.from(held.targets.subarray(r * held.length + layout.source, (r + 1) * held.length)),
      );
      const tfjs = decodeTarget(await translate(tfjsNext, layout, ids, greedy));
      const onnx = decodeTarget(await translate(onnxNext, layout, ids, greedy));
      if (tfjs === onnx) agree++;
      else if (mismatches.length < MISMATCHES_KEPT)
        mismatches.push({ source: decodeTarget(ids), tfjs, onnx });
      if (tfjs === target) right.tfjs++;
      if (onnx === target) right.onnx++;
      if (pastNext) {
        const past = decodeTarget(await translate(pastNext, layout, ids, greedy));
        if (past === tfjs) pastAgree++;
        else if (pastMismatches.length < MISMATCHES_KEPT)
          pastMismatches.push({ source: decodeTarget(ids), tfjs, onnx: past });
        if (past === target) right.past++;
      }
    }
    await release();
    const n = Math.max(held.batch, 1);
    const exactMatch = { tfjs: right.tfjs / n, onnx: right.onnx / n };
    const allowed = req.accuracyDrop ?? DEFAULT_THRESHOLDS[req.precision].accuracyDrop;
    const drop = exactMatch.tfjs - exactMatch.onnx;
    const fell = (to: number, what: string) =>
      `held-out exact match fell from ${(exactMatch.tfjs * 100).toFixed(2)}% (tfjs) to ${(to * 100).toFixed(2)}% (${what}), more than the ${(allowed * 100).toFixed(1)} points allowed at ${req.precision}; export fp32, or raise --max-accuracy-drop.`;
    const failures = drop > allowed + 1e-12 ? [fell(exactMatch.onnx, 'the ONNX pair')] : [];
    const withPast: EncoderDecoderReport['withPast'] =
      'skipped' in cached
        ? { skipped: cached.skipped }
        : {
            agreement: pastAgree / n,
            exactMatch: right.past / n,
            mismatches: pastMismatches,
            calls,
            initBytes: cached.init.length,
            stepBytes: cached.step.length,
          };
    if ('exactMatch' in withPast && exactMatch.tfjs - withPast.exactMatch > allowed + 1e-12)
      failures.push(fell(withPast.exactMatch, 'the encoder with the cached decoder'));
    const report: EncoderDecoderReport = {
      ok: failures.length === 0,
      mode: 'encoder-decoder',
      precision: req.precision,
      opset: req.opset,
      sources: held.batch,
      agreement: agree / n,
      maxAbsError,
      exactMatch,
      mismatches,
      encoderBytes: encoderBytes.length,
      decoderBytes: decoderBytes.length,
      withPast,
      failures,
    };
    const logits = pair.decoder.outputs[0]!;
    const special = {
      decoder_start_token_id: layout.start,
      eos_token_id: layout.end,
      pad_token_id: layout.pad,
    };
    // The cached decoder, Optimum's split layout with the HF signature: decoder_model on the
    // first step (its present.{i}.encoder.* are the cross-attention caches, computed once),
    // decoder_with_past_model after it; input_ids are the decoder's tokens from the start
    // token on (row position `start`), encoder_attention_mask is 1 where the source id is
    // not pad_id. Absent from config.json (with the reason in the verify.json) when the
    // decoder has none.
    const decoderWithPast =
      'skipped' in cached
        ? { skipped: cached.skipped }
        : {
            layout: 'optimum-split',
            signature: 'hf',
            init: {
              file: fileOf(req.precision, 'decoder_model'),
              inputs: cached.programs.init.inputs.map((i) => i.name),
              outputs: ['logits', ...presentNames(cached.programs.init)],
            },
            step: {
              file: fileOf(req.precision, 'decoder_with_past_model'),
              inputs: cached.programs.step.inputs.map((i) => i.name),
              outputs: ['logits', ...presentNames(cached.programs.step)],
            },
            start: cached.shape.start,
            pad_id: cached.shape.padId,
            cache: { decoder: cached.shape.decoder, encoder: cached.shape.encoder },
          };
    const config = {
      architectures: ['TrmEncoderDecoder'],
      model_type: 'trm-encoder-decoder',
      is_encoder_decoder: true,
      use_cache: !('skipped' in cached),
      vocab_size: logits.shape[logits.shape.length - 1],
      ...special,
      trm: {
        producer: 'trm-studio',
        graph: req.doc.name,
        description: req.doc.description ?? '',
        mode: 'encoder-decoder',
        precision: req.precision,
        opset: req.opset,
        parameters: parameterCount(program),
        encoder: {
          file: fileOf(req.precision, 'encoder'),
          inputs: pair.encoder.inputs.map((i) => i.name),
          outputs: [ENCODER_STATES],
        },
        decoder: {
          file: fileOf(req.precision, 'decoder'),
          inputs: pair.decoder.inputs.map((i) => i.name),
          outputs: [logits.name],
        },
        // Both files take the whole row: the source padded to S, the start token, the target
        // so far, <pad> to the row length; the decoder's logits at the last filled position
        // give the next target token.
        layout: { source: layout.source, length: layout.length },
        ...('skipped' in decoderWithPast ? {} : { decoder_with_past: decoderWithPast }),
        vocab: SEQ2SEQ_VOCAB,
        data: reference.dataSpec,
      },
    };
    const verifyFile = fileOf(req.precision, 'encoder-decoder').replace(/\.onnx$/, '.verify.json');
    const files: Record<string, string | Uint8Array> = {
      [fileOf(req.precision, 'encoder')]: encoderBytes,
      [fileOf(req.precision, 'decoder')]: decoderBytes,
      [verifyFile]: JSON.stringify(report, null, 2),
      ...('skipped' in cached
        ? {}
        : {
            [fileOf(req.precision, 'decoder_model')]: cached.init,
            [fileOf(req.precision, 'decoder_with_past_model')]: cached.step,
          }),
      'config.json': JSON.stringify(config, null, 2),
      'generation_config.json': JSON.stringify(
        { ...special, max_new_tokens: layout.source + 1, num_beams: 1, do_sample: false },
        null,
        2,
      ),
      'README.md': pairReadme({
        ...config.trm,
        ...config.trm.layout,
        special,
        withPast: decoderWithPast,
        verifyFile,
      }),
      'decode.mjs': decodeScript(),
    };
    await mkdir(join(req.dir, 'onnx'), { recursive: true });
    for (const [name, data] of Object.entries(files))
      await writeFileAtomic(join(req.dir, name), data, name);
    return {
      report,
      encoder: encoderBytes,
      decoder: decoderBytes,
      encoderPath: join(req.dir, fileOf(req.precision, 'encoder')),
      files: Object.keys(files),
    };
  } finally {
    await release();
    await reference.dispose();
  }
}
