import { parseCommand, type Out } from '../command.ts';
import { SamplingConfig } from '../../contract/sampling.ts';

export const GENERATE_USAGE = `Usage: trm generate MODEL --prompt TEXT [options]

MODEL is an exported .onnx file, a trainer checkpoint folder (run or step-NNNNNN), or an
encoder–decoder model folder (trm export --mode encoder-decoder).

  --prompt TEXT        the text to continue (an encoder–decoder: the source, e.g. 31415)
  --max-tokens N       tokens to generate (default 64)
  --temperature T      0 = greedy (default), higher = more random
  --top-k K            sample among the K most likely tokens (0 = all)
  --top-p P            sample within the smallest set holding P of the probability
  --beams N            beam search with N beams (deterministic)
  --seed N             sampler seed (default 0)
  --no-kv              recompute the whole window for every token (no KV cache)`;

function numberOption(
  v: string | undefined,
  name: string,
  integer: boolean,
): number | undefined | Error {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)))
    return new Error(`--${name} must be a ${integer ? 'whole number' : 'number'}, not "${v}".`);
  return n;
}

/** Characters of the prompt a char tokenizer does not know (each once, in order). */
export function unknownCharacters(prompt: string, vocab: readonly string[]): string[] {
  const known = new Set(vocab);
  return [...new Set([...prompt].filter((ch) => !known.has(ch)))];
}

export async function generateCommand(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(
    argv,
    {
      prompt: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      beams: { type: 'string' },
      seed: { type: 'string' },
      'no-kv': { type: 'boolean' },
    },
    GENERATE_USAGE,
    out,
  );
  if (typeof args === 'number') return args;
  const v = args.values;
  const path = args.positionals[0];
  if (!path) {
    out.error(`trm generate: missing MODEL.\n\n${GENERATE_USAGE}`);
    return 2;
  }
  if (v.prompt === undefined) {
    out.error(`trm generate: missing --prompt TEXT.\n\n${GENERATE_USAGE}`);
    return 2;
  }
  const raw = {
    maxNewTokens: numberOption(v['max-tokens'], 'max-tokens', true),
    temperature: numberOption(v.temperature, 'temperature', false),
    topK: numberOption(v['top-k'], 'top-k', true),
    topP: numberOption(v['top-p'], 'top-p', false),
    beams: numberOption(v.beams, 'beams', true),
    seed: numberOption(v.seed, 'seed', true),
  };
  for (const x of Object.values(raw)) {
    if (x instanceof Error) {
      out.error(x.message);
      return 2;
    }
  }
  const parsed = SamplingConfig.safeParse(
    Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined)),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    out.error(`Invalid ${String(issue.path[0])}: ${issue.message}.`);
    return 2;
  }
  const cfg = parsed.data;
  // An encoder–decoder model folder decodes through onnxruntime alone: with the KV-cache
  // decoder when the folder has one, unless --no-kv asks for the full decoder.
  const { loadPairFolder } = await import('../../onnx-runtime/encoder-decoder-session.ts');
  let pair;
  try {
    pair = await loadPairFolder(path, { withPast: !v['no-kv'] });
  } catch (e) {
    out.error((e as Error).message);
    return 1;
  }
  if (pair) {
    try {
      const { decodeTarget, encodeSource, translate } = await import('../../infer/seq2seq.ts');
      const source = encodeSource(v.prompt, pair.layout);
      out.log(decodeTarget(await translate(pair.next, pair.layout, source, cfg)));
      return 0;
    } catch (e) {
      out.error((e as Error).message);
      return 1;
    } finally {
      await pair.dispose();
    }
  }
  const { loadModel } = await import('../../infer/load.ts');
  let model;
  try {
    model = await loadModel(path);
  } catch (e) {
    out.error((e as Error).message);
    return 1;
  }
  try {
    const { seq2seqLayoutOf } = await import('../../infer/seq2seq.ts');
    const layout = seq2seqLayoutOf(model.dataSpec);
    if (layout) {
      const { decodeTarget, encodeSource, translate } = await import('../../infer/seq2seq.ts');
      const target = await translate(model.next(), layout, encodeSource(v.prompt, layout), cfg);
      out.log(decodeTarget(target));
      return 0;
    }
    const tokenizer = await model.tokenizer();
    if (!tokenizer) {
      out.error(
        `${path} records no tokenizer, so the prompt cannot be turned into tokens. Export with --weights CHECKPOINT (which records the training data) or --tokenizer FILE.`,
      );
      return 1;
    }
    if (tokenizer.kind === 'char') {
      const vocab = tokenizer.describe().vocab ?? [];
      const unknown = unknownCharacters(v.prompt, vocab);
      if (unknown.length > 0) {
        out.error(
          `The prompt has characters the model's tokenizer never saw: ${unknown.map((c) => JSON.stringify(c)).join(', ')}. Remove them or replace them with characters from its ${vocab.length - 1}-character vocabulary.`,
        );
        return 1;
      }
    }
    const prompt = Array.from(await tokenizer.encode(v.prompt));
    if (prompt.length === 0) {
      out.error('The prompt is empty. Give at least one character with --prompt.');
      return 2;
    }
    const { generate } = await import('../../infer/generate.ts');
    const next = v['no-kv'] ? model.next() : (model.cachedNext?.() ?? model.next());
    const write = out.write ?? ((s: string) => out.log(s));
    const streaming = !!out.write;
    write(v.prompt);
    const tokens: number[] = [];
    let shown = '';
    const tokensOut = await generate(next, prompt, cfg, {
      contextLength: model.contextLength,
      onToken: (t) => {
        tokens.push(t);
        if (!streaming) return;
        const text = tokenizer.decode(tokens);
        // Byte-level BPE may end mid-character; hold back until the character completes.
        if (text.endsWith('\uFFFD')) return;
        write(text.slice(shown.length));
        shown = text;
      },
    });
    const text = tokenizer.decode(tokensOut);
    if (streaming) write(`${text.slice(shown.length)}\n`);
    else write(text);
    return 0;
  } catch (e) {
    out.error((e as Error).message);
    return 1;
  } finally {
    await model.dispose();
  }
}
