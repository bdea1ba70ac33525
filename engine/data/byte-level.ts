/**
 * Byte-level BPE without the native library: GPT-2's byte ↔ printable-character table, the
 * tokenizer.json layout we write, and synchronous decoding. Pure.
 */

/** GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the others to U+0100 onward. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(printable(b) ? b : 256 + extra++));
  return out;
})();

const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((ch, b) => [ch, b]));

/** Concatenated byte-level token strings → text (invalid UTF-8 becomes U+FFFD, as HF does). */
export function decodeByteLevel(tokens: readonly string[]): string {
  const bytes: number[] = [];
  for (const token of tokens) {
    for (const ch of token) {
      const b = CHAR_TO_BYTE.get(ch);
      if (b !== undefined) bytes.push(b);
    }
  }
  return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
}

export type Merge = [string, string];

/** The subset of HF's tokenizer.json we write and read. */
export interface ByteLevelBpeJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: unknown[];
  normalizer: null;
  pre_tokenizer: {
    type: 'ByteLevel';
    add_prefix_space: boolean;
    trim_offsets: boolean;
    use_regex: boolean;
  };
  post_processor: null;
  decoder: {
    type: 'ByteLevel';
    add_prefix_space: boolean;
    trim_offsets: boolean;
    use_regex: boolean;
  };
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: Merge[];
  };
}

/**
 * A GPT-2 style tokenizer.json: ids 0..255 are the 256 bytes (so any text encodes, no unknown
 * token), then one id per merge result in merge order, up to `vocabSize` ids. Merges come from
 * training, which adds them greedily — so a prefix of the merge list is exactly what training
 * with a smaller vocabulary would have produced.
 */
export function byteLevelBpeJson(merges: readonly Merge[], vocabSize: number): ByteLevelBpeJson {
  const vocab: Record<string, number> = {};
  let size = 0;
  for (const ch of BYTE_TO_CHAR) vocab[ch] = size++;
  const kept: Merge[] = [];
  for (const [a, b] of merges) {
    if (vocab[a] === undefined || vocab[b] === undefined) break;
    const token = a + b;
    if (vocab[token] === undefined) {
      if (size >= vocabSize) break;
      vocab[token] = size++;
    }
    kept.push([a, b]);
  }
  const byteLevel = {
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  } as const;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: kept,
    },
  };
}
