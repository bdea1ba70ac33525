import type { SamplingConfig } from '../contract/sampling.ts';
import { parseDataSpec } from '../data/spec.ts';
import {
  SEQ2SEQ_VOCAB,
  seq2seqLayout,
  Seq2SeqToken,
  type Seq2SeqLayout,
} from '../data/seq2seq-tasks.ts';
import { generate, type GenerateOptions, type NextLogits } from './generate.ts';

/**
 * Decoding for an encoder–decoder trained on seq2seq rows (engine/data/seq2seq-tasks.ts): the
 * prompt is the source padded to n and the start token `=`; each step the decoder's logits at
 * the last filled position give the next target token, until `.` or n + 1 tokens. The model
 * sees the whole row (the rest <pad>, id 0 — what a fixed-length model's adapter pads with),
 * so greedy and beam search are `generate`'s, unchanged.
 */

/** The layout of a recorded data spec when it is a seq2seq task; undefined otherwise. */
export function seq2seqLayoutOf(dataSpec: unknown): Seq2SeqLayout | undefined {
  if ((dataSpec as { type?: unknown } | undefined)?.type !== 'seq2seq') return undefined;
  const spec = parseDataSpec(dataSpec);
  return spec.type === 'seq2seq' ? seq2seqLayout(spec.length) : undefined;
}

/** Source text (digits) to token ids; a sentence naming the problem otherwise. */
export function encodeSource(text: string, layout: Seq2SeqLayout): number[] {
  const chars = [...text.trim()];
  const bad = [...new Set(chars.filter((c) => !/^[0-9]$/.test(c)))];
  if (bad.length > 0)
    throw new Error(
      `The source may hold only digits 0–9; remove ${bad.map((c) => JSON.stringify(c)).join(', ')}.`,
    );
  if (chars.length === 0) throw new Error('The source is empty. Give at least one digit.');
  if (chars.length > layout.source)
    throw new Error(
      `The source has ${chars.length} digits but the model reads at most ${layout.source}; shorten it.`,
    );
  return chars.map((c) => Seq2SeqToken.digit0 + Number(c));
}

/** Target ids to text: digits, stopping at `.`. */
export function decodeTarget(ids: readonly number[]): string {
  let text = '';
  for (const id of ids) {
    if (id === Seq2SeqToken.end) break;
    text += SEQ2SEQ_VOCAB[id] ?? '?';
  }
  return text;
}

/**
 * Greedy (beams 1, temperature 0), sampled or beam-searched target ids for one source; `opts`
 * streams each token of the best sequence and stops on a signal (the playground).
 */
export async function translate(
  next: NextLogits,
  layout: Seq2SeqLayout,
  source: number[],
  cfg: SamplingConfig,
  opts: Pick<GenerateOptions, 'onToken' | 'signal'> = {},
): Promise<number[]> {
  const prompt = new Array<number>(layout.source).fill(layout.pad);
  prompt.splice(0, source.length, ...source);
  prompt.push(layout.start);
  // At most n target tokens and the end: the row's length, 2n + 1.
  const budget = { ...cfg, maxNewTokens: Math.min(cfg.maxNewTokens, layout.source + 1) };
  return generate(next, prompt, budget, {
    ...opts,
    contextLength: layout.length,
    stopToken: layout.end,
  });
}
