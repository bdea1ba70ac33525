import type { GraphDocument } from '../graph/schema.ts';
import type { Precision } from '../onnx/emit.ts';
import { PRECISION_FILES } from './hf-config.ts';
import type { VerifyReport } from './verify.ts';

/** The export folder's README.md: what the model is, how it was trained and checked, how to run it. */
export interface CardInput {
  doc: GraphDocument;
  config: Record<string, unknown>;
  report: VerifyReport;
  precision: Precision;
  /** The ONNX file, relative to the folder. */
  model: string;
  parameters: number;
  hasTokenizer: boolean;
  isLm: boolean;
  training?: { config?: unknown; step?: number };
}

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(2)}%`);

function verificationTable(r: VerifyReport): string[] {
  const rows = [
    '| output | max abs error | top-1 agreement |',
    '| --- | ---: | ---: |',
    ...r.outputs.map(
      (o) =>
        `| ${o.name} | ${o.maxAbsError.toExponential(2)} | ${o.haltAgreement !== undefined ? `halt ${pct(o.haltAgreement)}` : pct(o.top1Agreement)} |`,
    ),
  ];
  const task = r.task
    ? r.task.metrics.map(
        (m) =>
          `- task ${r.task!.task} on ${r.task!.data}: ${m.metric} ${m.metric === 'perplexity' ? m.reference.toFixed(3) : pct(m.reference)} (tfjs) → ${m.metric === 'perplexity' ? m.onnx.toFixed(3) : pct(m.onnx)} (onnx)`,
      )
    : [`- task check: ${r.taskSkipped ?? 'not run'}`];
  return [
    ...rows,
    '',
    ...task,
    `- verdict: ${r.ok ? 'PASS' : `FAIL — ${r.failures.join(' ')}`}`,
    `- file size: ${(r.fileBytes / 1024).toFixed(1)} KiB${r.latencyMs ? `; onnxruntime ${r.latencyMs.batch1.toFixed(2)} ms at batch 1` : ''}`,
  ];
}

function usage(c: CardInput): string[] {
  const dtype = PRECISION_FILES[c.precision].dtype;
  const family = c.config.model_type;
  const lines: string[] = [];
  const cached = c.config.use_cache === true;
  if (c.isLm && !cached)
    lines.push(
      'This export has no KV cache: it scores whole windows. For text generation in',
      'transformers.js (which feeds only the newest token once it holds a cache), export with',
      '`trm export GRAPH --weights RUN --mode decode`.',
      '',
    );
  if (c.isLm && cached && c.hasTokenizer && (family === 'gpt2' || family === 'llama'))
    lines.push(
      'transformers.js (Node or browser), from this folder:',
      '',
      '```js',
      "import { env, pipeline } from '@huggingface/transformers';",
      "env.localModelPath = './'; // the folder that holds this one",
      'env.allowRemoteModels = false;',
      `const generate = await pipeline('text-generation', '<this folder>', { dtype: '${dtype}' });`,
      "const [out] = await generate('Once upon', { max_new_tokens: 32, do_sample: false });",
      'console.log(out.generated_text);',
      '```',
      '',
    );
  const puzzle = (c.config.trm as { puzzle?: unknown }).puzzle !== undefined;
  lines.push(
    'onnxruntime (Python):',
    '',
    '```python',
    'import json, numpy as np, onnxruntime as ort',
    `session = ort.InferenceSession("${c.model}")`,
    ...(c.hasTokenizer
      ? [
          'from tokenizers import Tokenizer',
          'ids = Tokenizer.from_file("tokenizer.json").encode("Once upon").ids',
        ]
      : puzzle
        ? [
            'config = json.load(open("config.json"))["trm"]["puzzle"]',
            '# encode one puzzle as config["encoding"] says: one id per cell',
            'ids = [1] * config["length"]',
          ]
        : ['ids = [1, 2, 3]']),
    'feeds = {"input_ids": np.array([ids], dtype=np.int64)}',
    'for i in session.get_inputs():  # an empty KV cache and an all-ones mask, where taken',
    '    if i.name.startswith("past_key_values"):',
    '        feeds[i.name] = np.zeros((1, i.shape[1], 0, i.shape[3]), np.float32)',
    '    elif i.name == "attention_mask":',
    '        feeds[i.name] = np.ones((1, len(ids)), np.int64)',
    'logits = session.run(["logits"], feeds)[0]',
    'print(logits.argmax(-1))',
    '```',
  );
  return lines;
}

export function modelCard(c: CardInput): string {
  const trm = c.config.trm as Record<string, unknown>;
  const data = trm.data !== undefined ? `\`${JSON.stringify(trm.data)}\`` : 'not recorded';
  const steps = c.training?.step;
  const family =
    c.config.model_type === 'gpt2' || c.config.model_type === 'llama'
      ? `\`${String(c.config.model_type)}\` (the graph has that family's structure, so hosts that know it can load this folder)`
      : '`trm` (no Hugging Face family matches this graph; the ONNX signature is the standard one)';
  return [
    `# ${c.doc.name}`,
    '',
    c.doc.description ?? '',
    '',
    'Exported by TRM Studio.',
    '',
    '## Model',
    '',
    `- family: ${family}`,
    `- parameters: ${c.parameters.toLocaleString('en-US')}`,
    `- vocabulary: ${String(c.config.vocab_size)}; context: ${String(c.config.n_positions ?? c.config.max_position_embeddings)} tokens`,
    `- export: ${String(trm.mode)} mode, ${c.precision} (\`${c.model}\`)`,
    `- inputs: \`input_ids\` int64 [batch, sequence]${c.isLm ? ', `attention_mask` int64 (all ones; left padding is not supported)' : ''}${Number(c.config.use_cache ? 1 : 0) ? ', `past_key_values.N.key|value` float32 [batch, heads, past, head_dim]' : ''}`,
    `- outputs: \`logits\` float32 [batch, sequence, vocabulary]${c.config.use_cache ? ', `present.N.key|value`' : ''}`,
    '',
    '## Training',
    '',
    `- data: ${data}`,
    `- steps: ${steps !== undefined ? String(steps) : 'untrained (initial weights)'}`,
    ...(c.training?.config !== undefined
      ? [`- config: \`${JSON.stringify(c.training.config)}\``]
      : []),
    '',
    '## Verification (onnxruntime against the tfjs model)',
    '',
    ...verificationTable(c.report),
    '',
    '## Usage',
    '',
    ...usage(c),
    '',
  ].join('\n');
}
