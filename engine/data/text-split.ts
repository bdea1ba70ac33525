/**
 * Deterministic train/validation split of a text: the text is cut into blocks (at line ends
 * where one is near), and a seeded random choice of blocks — a `valFraction` share, at least
 * one — forms the validation split. Each split keeps its blocks in document order. Pure.
 */
import { Rng, Stream } from './rng.ts';

const MAX_BLOCKS = 200;
const MIN_BLOCK_CHARS = 256;

export interface TextSplit {
  train: string;
  validation: string;
}

/** Block boundaries: even cuts moved just past a nearby newline, never inside a surrogate pair. */
function boundaries(text: string, blocks: number): number[] {
  const size = text.length / blocks;
  const cuts = [0];
  for (let k = 1; k < blocks; k++) {
    let cut = Math.round(k * size);
    const newline = text.indexOf('\n', cut);
    if (newline >= 0 && newline - cut < size / 2) cut = newline + 1;
    const code = text.charCodeAt(cut);
    // A low surrogate: keep the pair together (cut before it, or after when that is the start).
    if (code >= 0xdc00 && code <= 0xdfff)
      cut += cut - 1 > (cuts[cuts.length - 1] as number) ? -1 : 1;
    if (cut > (cuts[cuts.length - 1] as number) && cut < text.length) cuts.push(cut);
  }
  cuts.push(text.length);
  return cuts;
}

export function splitText(text: string, valFraction: number, seed: number): TextSplit {
  const blocks = Math.min(MAX_BLOCKS, Math.max(2, Math.floor(text.length / MIN_BLOCK_CHARS)));
  const cuts = boundaries(text, blocks);
  const count = cuts.length - 1;
  if (count < 2) return { train: text, validation: '' };
  const valCount = Math.min(count - 1, Math.max(1, Math.round(valFraction * count)));
  const chosen = new Set(Rng.of(seed, Stream.split).permutation(count).slice(0, valCount));
  let train = '';
  let validation = '';
  for (let b = 0; b < count; b++) {
    const block = text.slice(cuts[b], cuts[b + 1]);
    if (chosen.has(b)) validation += block;
    else train += block;
  }
  return { train, validation };
}
