import type { ExportReport, IoSpec, TaskMetricResult } from '../../../engine/contract/api.ts';

/**
 * What the export dialog prints about one export, kept free of React so it is tested alone:
 * onnxruntime snippets naming the file's real inputs and outputs (for an encoder–decoder, the
 * folder's own decode.mjs), and the task-metric cells.
 */

type Signature = ExportReport['signature'];

/** Example sizes for dynamic axes: 1 for a batch (a first axis), 8 for any other. */
const EXAMPLE_BATCH = 1;
const EXAMPLE_LENGTH = 8;

/** Each dynamic axis name with its example size; one name gets one size everywhere. */
function dynamicSizes(sig: Signature): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const io of [...sig.inputs, ...sig.outputs])
    io.shape.forEach((d, i) => {
      if (typeof d === 'string' && !sizes.has(d))
        sizes.set(d, i === 0 ? EXAMPLE_BATCH : EXAMPLE_LENGTH);
    });
  return sizes;
}

const shapeText = (shape: IoSpec['shape']) => `[${shape.join(', ')}]`;
const count = (dims: number[]) => dims.reduce((a, d) => a * d, 1);
const str = (s: string) => JSON.stringify(s);

function notes(sig: Signature, sizes: Map<string, number>): string[] {
  const lines = [
    sizes.size
      ? `Dynamic axes get example sizes here: ${[...sizes].map(([d, n]) => `${d} = ${n}`).join(', ')}.`
      : 'Every axis is fixed.',
  ];
  if (sig.outputs.some((o) => o.name.endsWith('.next')))
    lines.push(
      "One supervision step: feed the *.init outputs back as the state inputs, then each step's *.next.",
    );
  return lines;
}

function nodeFeed(input: IoSpec, sizes: Map<string, number>): string {
  const dims = input.shape.map((d) => (typeof d === 'number' ? d : (sizes.get(d) as number)));
  const n = count(dims);
  const data =
    input.type === 'int32'
      ? `new Int32Array(${n}).fill(1)`
      : input.type === 'int64'
        ? `new BigInt64Array(${n}).fill(1n)`
        : `new Float32Array(${n})`;
  return `  ${str(input.name)}: new ort.Tensor('${input.type}', ${data}, ${JSON.stringify(dims)}), // ${shapeText(input.shape)}`;
}

function pythonFeed(input: IoSpec, sizes: Map<string, number>): string {
  const dims = input.shape.map((d) => (typeof d === 'number' ? d : (sizes.get(d) as number)));
  const tuple = `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
  const make = input.type.startsWith('int') ? 'np.ones' : 'np.zeros';
  const dtype = input.type === 'float16' ? 'np.float16' : `np.${input.type}`;
  return `    ${str(input.name)}: ${make}(${tuple}, dtype=${dtype}),  # ${shapeText(input.shape)}`;
}

/** The model folder an encoder–decoder's encoder file lies in: DIR/onnx/encoder.onnx → DIR. */
export function pairFolder(encoderPath: string): string {
  return encoderPath.replace(/[\\/][^\\/]+[\\/][^\\/]+$/, '');
}

/**
 * Decoding a source with an encoder–decoder folder: its decode.mjs runs the encoder and the
 * cached decoder in onnxruntime-node (engine/onnx-runtime/deploy/decode.mjs). The source is the
 * Playground's default, cut to the encoder's S source positions.
 */
function pairSnippets(encoderPath: string, sig: Signature): { node: string; python: string } {
  const folder = pairFolder(encoderPath);
  const positions = sig.outputs[0]?.shape[1];
  const source = '31415926'.slice(0, typeof positions === 'number' ? positions : undefined);
  const about = [
    'The folder decodes on its own: decode.mjs reads config.json, runs the encoder once, then',
    'decoder_model + decoder_with_past_model (KV cache) token by token, or decoder.onnx where',
    "those two are absent, and prints the source's target. README.md lists each file's tensors.",
  ];
  const node = `${about.map((l) => `# ${l}`).join('\n')}
cd "${folder}"
npm i onnxruntime-node
node decode.mjs ${source}`;
  const python = `import subprocess

${about.map((l) => `# ${l}`).join('\n')}
# No Python decoder is written: decode.mjs (Node, after npm i onnxruntime-node) is the tested one.
folder = ${str(folder)}
out = subprocess.run(
    ["node", "decode.mjs", "${source}"], cwd=folder, capture_output=True, text=True, check=True
)
print(out.stdout.strip())`;
  return { node, python };
}

/**
 * Loading and running this export with onnxruntime, in Node and in Python; for an encoder–decoder
 * (`path` its encoder), decoding a source with its folder's decode.mjs.
 */
export function snippets(
  path: string,
  sig: Signature,
  mode: ExportReport['mode'] = 'full',
): { node: string; python: string } {
  if (mode === 'encoder-decoder') return pairSnippets(path, sig);
  const p = str(path);
  const outputs = sig.outputs.map((o) => str(o.name)).join(', ');
  const sizes = dynamicSizes(sig);
  const comment = (mark: string) =>
    notes(sig, sizes)
      .map((l) => `${mark} ${l}`)
      .join('\n');
  const node = `import * as ort from 'onnxruntime-node';

const session = await ort.InferenceSession.create(${p});
${comment('//')}
const feeds = {
${sig.inputs.map((i) => nodeFeed(i, sizes)).join('\n')}
};
const out = await session.run(feeds);
${sig.outputs.map((o) => `console.log(${str(o.name)}, out[${str(o.name)}].dims); // ${shapeText(o.shape)}`).join('\n')}`;
  const python = `import numpy as np
import onnxruntime as ort

session = ort.InferenceSession(${p})
${comment('#')}
feeds = {
${sig.inputs.map((i) => pythonFeed(i, sizes)).join('\n')}
}
names = [${outputs}]
for name, value in zip(names, session.run(names, feeds)):
    print(name, value.shape)  # ${sig.outputs.map((o) => `${o.name} ${shapeText(o.shape)}`).join(', ')}`;
  return { node, python };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const signed = (x: number, digits: number) => `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(digits)}`;
const SHORT: Record<TaskMetricResult['metric'], string> = {
  perplexity: 'ppl',
  accuracy: 'acc',
  'exact-match': 'exact',
};

function valueOf(m: TaskMetricResult): string {
  const show = (x: number | null) =>
    x === null ? 'NaN' : m.metric === 'perplexity' ? x.toFixed(2) : pct(x);
  return `${SHORT[m.metric]} ${show(m.reference)} → ${show(m.onnx)}`;
}

/** Perplexity changes relative (%), accuracies in points. */
function deltaOf(m: TaskMetricResult): string {
  if (m.onnx === null || m.delta === null) return 'NaN';
  return m.metric === 'perplexity'
    ? `${signed((m.onnx / m.reference - 1) * 100, 2)}%`
    : `${signed(m.delta * 100, 2)} pt`;
}

/** The table's task cells for one export: the headline metric, its change, and every metric. */
export function taskCells(r: ExportReport): { value: string; delta: string; title: string } {
  if (!r.task) return { value: '—', delta: '—', title: r.taskSkipped ?? '' };
  const lines = r.task.metrics.map((m) => `${m.metric}: ${valueOf(m)} (${deltaOf(m)})`);
  const depth = r.task.depth !== null ? `, ${r.task.depth} supervision steps` : '';
  return {
    value: valueOf(r.task),
    delta: deltaOf(r.task),
    title: [`${r.task.task} on ${r.task.data}${depth} (tfjs → onnx)`, ...lines].join('\n'),
  };
}
