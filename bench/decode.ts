/**
 * `node --import tsx bench/decode.ts [--tokens=N] [--template=tiny-gpt]`: greedy decode speed
 * (new tokens per second at batch 1) of a template with its initial weights, through
 * onnxruntime per precision (fp32, int8, int4), next to the tfjs executor. Each token
 * recomputes the whole window (prompt + tokens so far, at most the context length); a
 * KV-cache column runs only the new token against cached keys/values (`--mode decode`
 * export for onnxruntime). Never part of `npm test`. `--template=recursive-lm` works too.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '../engine/graph/compile.ts';
import { parseDocument } from '../engine/graph/parse.ts';
import { generate, type NextLogits } from '../engine/infer/generate.ts';
import { contextLengthOf } from '../engine/infer/load.ts';
import { toDecodeProgram } from '../engine/graph/decode.ts';
import { cachedNextLogits } from '../engine/infer/kv-cache.ts';
import { onnxKvRun, onnxModelFrom, onnxNextLogits } from '../engine/infer/onnx-model.ts';
import { SamplingConfig } from '../engine/contract/sampling.ts';
import { tfjsKvRun, tfjsNextLogits } from '../engine/infer/tfjs-model.ts';
import type { Precision } from '../engine/onnx/emit.ts';
import { exportModel } from '../engine/onnx-runtime/export-model.ts';
import { createSession } from '../engine/onnx-runtime/verify.ts';
import { selectBackend } from '../engine/runtime/backend.ts';
import { createWeights } from '../engine/runtime/weights.ts';
import { onnxMetadata } from '../engine/infer/load.ts';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const TOKENS = Number(arg('tokens', '56'));
const name = arg('template', 'tiny-gpt');
const parsed = parseDocument(readFileSync(join(here, '..', 'templates', `${name}.json`), 'utf8'));
if (!parsed.ok) throw new Error(`templates/${name}.json does not parse`);
const doc = parsed.doc;
const context = contextLengthOf(doc);
const prompt = Array.from({ length: 8 }, (_, i) => (i * 7 + 3) % 50);
const cfg = SamplingConfig.parse({ maxNewTokens: TOKENS });

/** Best of `--repeats` runs (default 5): the machine is shared, the best run is the least disturbed. */
async function tokensPerSecond(next: NextLogits): Promise<number> {
  await generate(next, prompt, SamplingConfig.parse({ maxNewTokens: 4 }), {
    contextLength: context,
  });
  let best = 0;
  for (let r = 0; r < Number(arg('repeats', '5')); r++) {
    const t0 = performance.now();
    const out = await generate(next, prompt, cfg, { contextLength: context });
    best = Math.max(best, out.length / ((performance.now() - t0) / 1000));
  }
  return best;
}

const rows: {
  runtime: string;
  precision: string;
  recompute: number;
  kv?: number;
  bytes?: number;
  latency?: { batch1: number; batch64: number };
}[] = [];
const backend = await selectBackend(arg('backend', '') || undefined);
const program = compile(doc, { mode: 'full' }).program!;
const weights = createWeights(program, 0);
const logits = program.outputs.find((o) => o.role === 'logits')!.name;
const tokens = program.inputs.find((i) => i.role === 'tokens')!.name;
const decode = toDecodeProgram(program);
rows.push({
  runtime: `tfjs ${backend.active}`,
  precision: 'fp32',
  recompute: await tokensPerSecond(tfjsNextLogits({ program, weights, tokens, logits })),
  kv: await tokensPerSecond(
    cachedNextLogits(
      tfjsKvRun({ program: decode.program, weights, tokens, logits }, decode.cache),
      decode.cache,
    ),
  ),
});
weights.dispose();
for (const precision of ['fp32', 'fp16', 'int8', 'int8-weight', 'int4'] as Precision[]) {
  // Full-model latency at batch 1 and 64 over the context length, as verification measures it.
  const { bytes, report } = await exportModel({ doc, precision, latencyRuns: 10 });
  const m = onnxModelFrom(
    await createSession(bytes),
    await onnxMetadata(bytes, `the ${precision} export`),
  );
  const recompute = await tokensPerSecond(onnxNextLogits(m, tokens, logits));
  await m.session.release();
  const dec = await exportModel({
    doc,
    precision,
    mode: 'decode',
    latencyRuns: 0,
    heldOut: { batch: 1, length: 8 },
  });
  const k = onnxModelFrom(
    await createSession(dec.bytes),
    await onnxMetadata(dec.bytes, `the ${precision} decode export`),
  );
  const kv = await tokensPerSecond(
    cachedNextLogits(onnxKvRun(k, tokens, logits, decode.cache), decode.cache),
  );
  await k.session.release();
  rows.push({
    runtime: 'onnxruntime',
    precision,
    recompute,
    kv,
    bytes: report.fileBytes,
    latency: report.latencyMs,
  });
}
console.log(
  `${name}: greedy decode (best of runs), batch 1, prompt ${prompt.length}, ${TOKENS} new tokens, context ${context}`,
);
console.log(
  `${'runtime'.padEnd(22)} ${'precision'.padEnd(11)} ${'tokens/s'.padStart(10)} ${'KV tokens/s'.padStart(12)} ${'size KiB'.padStart(9)} ${'ms @B1'.padStart(7)} ${'ms @B64'.padStart(8)}`,
);
for (const r of rows)
  console.log(
    `${r.runtime.padEnd(22)} ${r.precision.padEnd(11)} ${r.recompute.toFixed(1).padStart(10)} ${(r.kv === undefined ? '—' : r.kv.toFixed(1)).padStart(12)} ${(r.bytes === undefined ? '—' : (r.bytes / 1024).toFixed(0)).padStart(9)} ${(r.latency?.batch1.toFixed(2) ?? '—').padStart(7)} ${(r.latency?.batch64.toFixed(1) ?? '—').padStart(8)}`,
  );
console.log(JSON.stringify({ bench: 'decode', template: name, rows }));
