import { readFileSync } from 'node:fs';
import { inSource } from '../io/source-root.ts';
import type { Precision } from '../onnx/emit.ts';

/**
 * The generic greedy decoder copied into every encoder–decoder folder (it reads config.json).
 * Found from the repository root (also from the Electron bundle); read when a folder is written.
 */
export function decodeScript(): string {
  return readFileSync(inSource('engine/onnx-runtime/deploy/decode.mjs'), 'utf8');
}

/** What the encoder–decoder folder's README.md names: its files and their tensors. */
export interface PairReadmeInput {
  graph: string;
  description: string;
  precision: Precision;
  opset: number;
  /** Source positions S and row length L. */
  source: number;
  length: number;
  vocab: readonly string[];
  special: { decoder_start_token_id: number; eos_token_id: number; pad_token_id: number };
  encoder: { file: string; inputs: string[]; outputs: string[] };
  decoder: { file: string; inputs: string[]; outputs: string[] };
  /** The cached decoder's two files, or why there are none. */
  withPast:
    | {
        init: { file: string };
        step: { file: string };
        cache: { decoder: string[]; encoder: string[] };
      }
    | { skipped: string };
  verifyFile: string;
}

const code = (s: string) => `\`${s}\``;

/** The folder's README.md: what each file is, its inputs and outputs, and how to decode. */
export function pairReadme(c: PairReadmeInput): string {
  const { source: S, length: L } = c;
  const token = (id: number) => `${code(c.vocab[id] ?? String(id))} (id ${id})`;
  const start = c.special.decoder_start_token_id;
  const rows = [
    `| ${code(c.encoder.file)} | ${code(c.encoder.inputs[0]!)} int32 [B, ${L}]: the row | ${code(c.encoder.outputs[0]!)} float32 [B, ${S}, D]: the memory |`,
    `| ${code(c.decoder.file)} | ${c.decoder.inputs.map(code).join(', ')} | ${code(c.decoder.outputs[0]!)} float32 [B, ${L}, V]: position t's logits give the token at t + 1 |`,
  ];
  if ('init' in c.withPast) {
    const w = c.withPast;
    const past = (labels: string[]) => labels.map((l) => code(`past_key_values.${l}.{key,value}`));
    const present = (labels: string[]) => labels.map((l) => code(`present.${l}.{key,value}`));
    rows.push(
      `| ${code(w.init.file)} | ${code('input_ids')} int64 [B, 1]: the start token; ${code('encoder_attention_mask')} int64 [B, ${S}]: 1 where the source is not ${code('<pad>')}; ${code('encoder_hidden_states')} | ${code('logits')} [B, 1, V]; ${present([...w.cache.decoder, ...w.cache.encoder]).join(', ')} |`,
      `| ${code(w.step.file)} | ${code('input_ids')} int64 [B, 1]: the last token; ${code('encoder_attention_mask')}; ${past(w.cache.decoder).join(', ')} (the last call's presents); ${past(w.cache.encoder).join(', ')} (the first call's, unchanged) | ${code('logits')} [B, 1, V]; ${present(w.cache.decoder).join(', ')} |`,
    );
  }
  rows.push(
    `| ${code(c.verifyFile)} | | greedy decoding of held-out sources, this folder against the tfjs model |`,
    `| ${code('config.json')} | | the row layout (${code('trm.layout')}), vocabulary (${code('trm.vocab')}), file and tensor names, special tokens |`,
    `| ${code('generation_config.json')} | | start, end and pad tokens; greedy, at most ${L - S} new tokens |`,
    `| ${code('decode.mjs')} | a source | its target, decoded greedily with the files above |`,
  );
  // A source the model reads, as the Playground's default: digits of π, at most S.
  const example = '31415926'.slice(0, S);
  return [
    `# ${c.graph}: encoder–decoder ONNX export`,
    '',
    ...(c.description ? [c.description, ''] : []),
    `Written by TRM Studio (${code('trm export --mode encoder-decoder')}; ${c.precision}, opset ${c.opset}).`,
    '',
    `A row is ${L} token ids: the source padded to ${S} with ${token(c.special.pad_token_id)}, the start`,
    `token ${token(start)} at position ${S}, then the target so far, ${code('<pad>')} to the end. Each`,
    `character of the source is one id, its index in ${code('config.json')}'s ${code('trm.vocab')};`,
    `the target ends at ${token(c.special.eos_token_id)}.`,
    '',
    '| file | inputs | outputs |',
    '| --- | --- | --- |',
    ...rows,
    '',
    '## Decode a source',
    '',
    '```sh',
    'npm i onnxruntime-node',
    `node decode.mjs ${example}`,
    '```',
    '',
    'decode.mjs needs nothing but onnxruntime-node and this folder. It encodes the source, runs',
    'the encoder once, then decodes greedily until the end token or the row is full: ' +
      ('init' in c.withPast
        ? `${code(c.withPast.init.file)} for the first token, then ${code(c.withPast.step.file)} fed one token and the caches per step (${code(c.decoder.file)}, which recomputes the whole row each step, when those two files are removed).`
        : `${code(c.decoder.file)}, recomputing the whole row each step. This export has no KV-cache decoder: ${c.withPast.skipped}`),
    '',
    'No Python example is included: the same steps run with the onnxruntime Python package, but',
    'only decode.mjs is tested against the Studio.',
    '',
  ].join('\n');
}
