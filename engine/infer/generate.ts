import type { SamplingConfig } from '../contract/sampling.ts';
import { createRng, logSoftmax, pickToken } from './sampling.ts';

/**
 * Next-token logits for a batch of sequences (each already at most the context length):
 * returns one Float32Array of vocabulary logits per sequence, for its last position.
 * The tfjs model, an ONNX session and a KV-cached session all implement this.
 */
export type NextLogits = (sequences: number[][]) => Promise<Float32Array[]>;

export interface GenerateOptions {
  contextLength: number;
  /** Stop when this token is produced. */
  stopToken?: number;
  /** Called with each new token of the best sequence (streaming). */
  onToken?: (token: number) => void;
  signal?: AbortSignal;
}

function window(ids: number[], context: number): number[] {
  return ids.length > context ? ids.slice(ids.length - context) : ids;
}

/** Sampling or greedy decoding (beams = 1), or beam search (beams > 1). Returns new tokens only. */
export async function generate(
  next: NextLogits,
  prompt: number[],
  cfg: SamplingConfig,
  opts: GenerateOptions,
): Promise<number[]> {
  if (prompt.length === 0) throw new Error('The prompt is empty. Type at least one character.');
  if (cfg.beams > 1) return beamSearch(next, prompt, cfg, opts);
  const rng = createRng(cfg.seed);
  const ids = [...prompt];
  const out: number[] = [];
  for (let i = 0; i < cfg.maxNewTokens; i++) {
    if (opts.signal?.aborted) break;
    const [logits] = await next([window(ids, opts.contextLength)]);
    const token = pickToken(logits as Float32Array, cfg, rng);
    ids.push(token);
    out.push(token);
    opts.onToken?.(token);
    if (token === opts.stopToken) break;
  }
  return out;
}

interface Beam {
  tokens: number[];
  score: number;
  done: boolean;
}

/** Beam search on summed log-probabilities; all live beams advance in one batched call. */
export async function beamSearch(
  next: NextLogits,
  prompt: number[],
  cfg: SamplingConfig,
  opts: GenerateOptions,
): Promise<number[]> {
  let beams: Beam[] = [{ tokens: [], score: 0, done: false }];
  for (let step = 0; step < cfg.maxNewTokens; step++) {
    if (opts.signal?.aborted) break;
    const live = beams.filter((b) => !b.done);
    if (live.length === 0) break;
    const logits = await next(
      live.map((b) => window([...prompt, ...b.tokens], opts.contextLength)),
    );
    const candidates: Beam[] = beams.filter((b) => b.done);
    live.forEach((beam, i) => {
      const lp = logSoftmax(logits[i] as Float32Array);
      const top = Array.from(lp.keys())
        .sort((a, b) => (lp[b] as number) - (lp[a] as number))
        .slice(0, cfg.beams);
      for (const t of top) {
        candidates.push({
          tokens: [...beam.tokens, t],
          score: beam.score + (lp[t] as number),
          done: t === opts.stopToken,
        });
      }
    });
    beams = candidates.sort((a, b) => b.score - a.score).slice(0, cfg.beams);
  }
  const best = beams[0] as Beam;
  for (const t of best.tokens) opts.onToken?.(t);
  return best.tokens;
}
