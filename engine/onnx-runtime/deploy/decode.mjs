#!/usr/bin/env node
/*
 * Greedy decoding with an encoder–decoder model folder (trm export --mode encoder-decoder),
 * with onnxruntime-node and the folder's config.json alone:
 *
 *   npm i onnxruntime-node && node decode.mjs 31415926 [MORE SOURCES…]
 *
 * prints each source's target, one a line. The encoder runs once per source; the first target
 * token comes from decoder_model.onnx, each next one from decoder_with_past_model.onnx fed only
 * the new token and the caches (its present.* back as past_key_values.*; the cross-attention
 * caches from the first step, unchanged). Without those two files it decodes with decoder.onnx,
 * recomputing the whole row for every token. Decoding stops at the end token or the row's end.
 * This file is copied into every export as is: it reads the names and sizes from config.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ort = await import('onnxruntime-node').then(
  (m) => m.default ?? m,
  () => fail('onnxruntime-node is not installed here; run npm i onnxruntime-node first.'),
);

function fail(message) {
  console.error(message);
  process.exit(1);
}

const here = dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(readFileSync(join(here, 'config.json'), 'utf8'));
const trm = config.trm;
if (config.is_encoder_decoder !== true || !trm?.layout || !trm.vocab)
  fail(`${join(here, 'config.json')} does not describe an encoder–decoder export.`);

/** S source positions; a row is the source padded to S, the start token, the target: L ids. */
const { source: S, length: L } = trm.layout;
const vocab = trm.vocab;
const PAD = config.pad_token_id;
const START = config.decoder_start_token_id;
const EOS = config.eos_token_id;
/** Target tokens a row holds, the end token included: positions S + 1 … L − 1, and one more. */
const MAX_NEW = L - S;

/** Source text to ids, one vocabulary entry per character; the special tokens are not text. */
function encode(text) {
  const special = new Set([PAD, START, EOS]);
  const ids = [...text].map((ch) => vocab.indexOf(ch));
  const unknown = [...text].filter((_, i) => ids[i] < 0 || special.has(ids[i]));
  if (unknown.length > 0)
    fail(`"${text}": the model does not read ${[...new Set(unknown)].join(', ')}.`);
  if (ids.length === 0 || ids.length > S) fail(`"${text}": give 1 to ${S} characters.`);
  return ids;
}

/** Target ids to text, up to the end token. */
function decode(ids) {
  const end = ids.indexOf(EOS);
  return (end < 0 ? ids : ids.slice(0, end)).map((id) => vocab[id]).join('');
}

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The logits [B, T, V] of row 0 at position t. */
function logitsAt(logits, t) {
  const v = logits.dims[2];
  return logits.data.subarray(t * v, (t + 1) * v);
}

/** Token ids as the session's input `name` takes them: Studio's tokens int32, HF's ids int64. */
function ids(session, name, values, dims) {
  const meta = session.inputMetadata?.find?.((m) => m.name === name);
  const type = meta?.type ?? (name === 'tokens' ? 'int32' : 'int64');
  return type === 'int64'
    ? new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims)
    : new ort.Tensor('int32', Int32Array.from(values), dims);
}

/** Only the feeds a session takes (a decoder without a source mask has no mask input). */
const pick = (session, feeds) =>
  Object.fromEntries(session.inputNames.map((name) => [name, feeds[name]]));

const open = (file) => ort.InferenceSession.create(join(here, file));
const cached = trm.decoder_with_past;
const withPast =
  cached !== undefined &&
  [cached.init.file, cached.step.file].every((f) => existsSync(join(here, f)));

const encoder = await open(trm.encoder.file);
const [init, step, decoder] = withPast
  ? [await open(cached.init.file), await open(cached.step.file), undefined]
  : [undefined, undefined, await open(trm.decoder.file)];

/** The first row: the source padded to S, the start token, <pad> to L: [1, L]. */
function firstRow(source) {
  const row = new Array(L).fill(PAD);
  row.splice(0, source.length, ...source);
  row[S] = START;
  return row;
}

/** Greedy target ids through the KV cache: one decoder call per token, after the first. */
async function withCache(source, memory) {
  const mask = ids(
    init,
    'encoder_attention_mask',
    firstRow(source)
      .slice(0, S)
      .map((id) => (id === cached.pad_id ? 0 : 1)),
    [1, S],
  );
  const labels = [...cached.cache.decoder, ...cached.cache.encoder];
  const past = {};
  /** present.{label}.{key,value} outputs become the next call's past_key_values inputs. */
  const keep = (out) => {
    for (const label of labels)
      for (const part of ['key', 'value']) {
        const present = out[`present.${label}.${part}`];
        if (present) past[`past_key_values.${label}.${part}`] = present;
      }
  };
  let out = await init.run(
    pick(init, {
      input_ids: ids(init, 'input_ids', [START], [1, 1]),
      encoder_attention_mask: mask,
      encoder_hidden_states: memory,
    }),
  );
  const target = [];
  for (;;) {
    const token = argmax(logitsAt(out.logits, out.logits.dims[1] - 1));
    target.push(token);
    if (token === EOS || target.length === MAX_NEW) return target;
    keep(out);
    out = await step.run(
      pick(step, {
        input_ids: ids(step, 'input_ids', [token], [1, 1]),
        encoder_attention_mask: mask,
        ...past,
      }),
    );
  }
}

/** Greedy target ids through the full decoder: the whole row for every token. */
async function withoutCache(source, memory) {
  const row = firstRow(source);
  const tokens = trm.decoder.inputs[0];
  const target = [];
  for (let at = S; ; at++) {
    const out = await decoder.run({
      [tokens]: ids(decoder, tokens, row, [1, L]),
      [trm.decoder.inputs[1]]: memory,
    });
    const token = argmax(logitsAt(out[trm.decoder.outputs[0]], at));
    target.push(token);
    if (token === EOS || target.length === MAX_NEW) return target;
    row[at + 1] = token;
  }
}

const sources = process.argv.slice(2);
if (sources.length === 0) fail('Usage: node decode.mjs SOURCE [MORE SOURCES…]');
for (const text of sources) {
  const source = encode(text);
  // The encoder reads the first row; the memory [1, S, D] serves every step.
  const input = trm.encoder.inputs[0];
  const memory = (await encoder.run({ [input]: ids(encoder, input, firstRow(source), [1, L]) }))[
    trm.encoder.outputs[0]
  ];
  console.log(decode(await (withPast ? withCache : withoutCache)(source, memory)));
}
