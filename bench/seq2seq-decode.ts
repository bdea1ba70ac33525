/**
 * `node --import tsx bench/seq2seq-decode.ts FOLDER [--repeats=5]`: per-token greedy decoding
 * time of an exported encoder–decoder (`trm export RUN --mode encoder-decoder --out FOLDER`)
 * in onnxruntime, with the cached decoder (decoder_model + decoder_with_past_model: the new
 * token only) and with the full decoder (decoder.onnx: the whole row every token). Sources:
 * 4–8 digits, the same for both. Prints one JSON object, then a table. Never part of `npm test`.
 */
import { performance } from 'node:perf_hooks';
import { SamplingConfig } from '../engine/contract/sampling.ts';
import { translate } from '../engine/infer/seq2seq.ts';
import { loadPairFolder } from '../engine/onnx-runtime/encoder-decoder-session.ts';

const folder = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (!folder) throw new Error('Give the exported model folder: bench/seq2seq-decode.ts FOLDER');
const repeats = Number(
  process.argv.find((a) => a.startsWith('--repeats='))?.slice('--repeats='.length) ?? '5',
);
const sources = Array.from({ length: 32 }, (_, i) =>
  Array.from({ length: 4 + (i % 5) }, (_, j) => 3 + ((i * 7 + j * 3) % 10)),
);
const greedy = SamplingConfig.parse({});

/** Best of `repeats` passes over every source: milliseconds per generated token. */
async function msPerToken(withPast: boolean) {
  const pair = await loadPairFolder(folder!, { withPast });
  if (!pair) throw new Error(`${folder} holds no encoder–decoder (config.json).`);
  if (withPast && !pair.withPast) throw new Error(`${folder} has no decoder with past.`);
  let best = Infinity;
  let tokens = 0;
  for (let r = 0; r < repeats + 1; r++) {
    tokens = 0;
    const t0 = performance.now();
    for (const s of sources) tokens += (await translate(pair.next, pair.layout, s, greedy)).length;
    // The first pass warms the sessions up.
    if (r > 0) best = Math.min(best, (performance.now() - t0) / tokens);
  }
  await pair.dispose();
  return { msPerToken: best, tokens };
}

const withPast = await msPerToken(true);
const full = await msPerToken(false);
const result = {
  folder,
  sources: sources.length,
  tokens: withPast.tokens,
  msPerToken: { withPast: withPast.msPerToken, full: full.msPerToken },
  speedup: full.msPerToken / withPast.msPerToken,
};
console.log(JSON.stringify(result));
console.log('decoder                         ms/token');
console.log(`with past (KV cache)            ${withPast.msPerToken.toFixed(3)}`);
console.log(`full (whole row every token)    ${full.msPerToken.toFixed(3)}`);
console.log(`speed-up                        ${result.speedup.toFixed(2)}×`);
