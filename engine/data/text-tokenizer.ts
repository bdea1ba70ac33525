/** What the text sources need from a tokenizer. Pure. */
export interface TextTokenizer {
  readonly kind: 'char' | 'bpe';
  readonly vocabSize: number;
  encode(text: string): Promise<Int32Array>;
  /** Synchronous so the trainer and the playground can print samples without awaiting. */
  decode(ids: ArrayLike<number>): string;
  describe(): { vocab?: string[]; tokenizer?: unknown; encoding: string };
}
