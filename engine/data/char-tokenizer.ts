/**
 * Character tokenizer: one id per Unicode code point seen in the corpus (both splits), sorted by
 * code point, after id 0 which stands for any character not in the vocabulary (decoded as
 * U+FFFD). Pure.
 */
import type { TextTokenizer } from './text-tokenizer.ts';

export const CHAR_UNKNOWN_ID = 0;
export const CHAR_UNKNOWN = '\uFFFD';

export class CharTokenizer implements TextTokenizer {
  readonly kind = 'char';
  private readonly ids: Map<string, number>;

  /** `vocab[0]` is the unknown marker; the rest are single code points. */
  private constructor(readonly vocab: readonly string[]) {
    this.ids = new Map(vocab.map((ch, id) => [ch, id]));
    this.ids.delete(CHAR_UNKNOWN);
  }

  static fromText(text: string): CharTokenizer {
    const chars = [...new Set(text)].sort(
      (a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number),
    );
    return new CharTokenizer([CHAR_UNKNOWN, ...chars.filter((ch) => ch !== CHAR_UNKNOWN)]);
  }

  /** Rebuilds a tokenizer from `describe().vocab` (a saved model's metadata). */
  static fromVocab(vocab: readonly string[]): CharTokenizer {
    return new CharTokenizer(vocab);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  encodeSync(text: string): Int32Array {
    const out: number[] = [];
    for (const ch of text) out.push(this.ids.get(ch) ?? CHAR_UNKNOWN_ID);
    return Int32Array.from(out);
  }

  encode(text: string): Promise<Int32Array> {
    return Promise.resolve(this.encodeSync(text));
  }

  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) text += this.vocab[ids[i] as number] ?? CHAR_UNKNOWN;
    return text;
  }

  describe() {
    return {
      vocab: [...this.vocab],
      tokenizer: { type: 'char', unknownId: CHAR_UNKNOWN_ID, vocab: [...this.vocab] },
      encoding:
        `Character-level: id 0 = unknown character (decoded as U+FFFD), ids 1..${this.vocab.length - 1} = ` +
        `the corpus's characters (Unicode code points) in code point order.`,
    };
  }
}
