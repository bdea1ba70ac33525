/**
 * Byte-level BPE through HF `tokenizers` (native binary shipped in the npm package; Node only).
 * The binding trains only with the model's default trainer (30 000 tokens), so we train that,
 * keep the first merges up to the requested size, and write a standard tokenizer.json.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import tokenizers from 'tokenizers';
import {
  byteLevelBpeJson,
  decodeByteLevel,
  type ByteLevelBpeJson,
  type Merge,
} from './byte-level.ts';
import { dataErrors } from './errors.ts';
import type { TextTokenizer } from './text-tokenizer.ts';
import { parseJsonText } from '../graph/json-text.ts';

const { Tokenizer } = tokenizers;
const require = createRequire(import.meta.url);

/** argv: tokenizers module path, training text file, output tokenizer.json. */
const TRAIN_SCRIPT = `
const [modulePath, input, output] = process.argv.slice(1);
const { Tokenizer, BPE, byteLevelPreTokenizer } = require(modulePath);
const tokenizer = new Tokenizer(BPE.empty());
tokenizer.setPreTokenizer(byteLevelPreTokenizer(false, true));
tokenizer.train([input]);
tokenizer.save(output);
`;
type HfTokenizer = InstanceType<typeof Tokenizer>;

/** Runs TRAIN_SCRIPT in a child Node (or Electron as Node) process; rejects with its stderr. */
function runTrainer(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', TRAIN_SCRIPT, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(stderr.trim() || `exit code ${code}`)),
    );
  });
}

export class BpeTokenizer implements TextTokenizer {
  readonly kind = 'bpe';
  private readonly idToToken: string[];

  private constructor(
    readonly json: ByteLevelBpeJson,
    private readonly hf: HfTokenizer,
  ) {
    this.idToToken = [];
    for (const [token, id] of Object.entries(json.model.vocab)) this.idToToken[id] = token;
  }

  /**
   * Trains on `text`, written to a temporary folder in the OS temp dir (removed after). The
   * native trainer prints progress newlines to stdout, which would break a CLI progress bar,
   * so it runs in a short child process with stdout discarded.
   */
  static async train(text: string, vocabSize: number): Promise<BpeTokenizer> {
    const dir = mkdtempSync(join(tmpdir(), 'trm-bpe-'));
    try {
      const file = join(dir, 'train.txt');
      const saved = join(dir, 'trained.json');
      writeFileSync(file, text);
      await runTrainer([require.resolve('tokenizers'), file, saved]);
      const merges = (
        JSON.parse(readFileSync(saved, 'utf8')) as { model: { merges: (Merge | string)[] } }
      ).model.merges;
      // Older files store a merge as "a b"; byte-level tokens never contain a plain space.
      const pairs = merges.map((m) => (typeof m === 'string' ? (m.split(' ') as Merge) : m));
      return BpeTokenizer.fromJson(byteLevelBpeJson(pairs, vocabSize), 'the trained tokenizer');
    } catch (error) {
      throw dataErrors.bpeTrainingFailed(error instanceof Error ? error.message : String(error));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Loads a byte-level BPE tokenizer.json (as written by `save`, or GPT-2 style from HF). */
  static load(path: string): BpeTokenizer {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw dataErrors.fileUnreadable(path, error instanceof Error ? error.message : String(error));
    }
    let json: unknown;
    try {
      json = parseJsonText(text);
    } catch (error) {
      throw dataErrors.tokenizerMalformed(
        path,
        `invalid JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return BpeTokenizer.fromJson(json, path);
  }

  static fromJson(json: unknown, where: string): BpeTokenizer {
    const j = json as Partial<ByteLevelBpeJson> | null;
    if (
      !j ||
      typeof j !== 'object' ||
      j.model?.type !== 'BPE' ||
      typeof j.model.vocab !== 'object'
    ) {
      throw dataErrors.tokenizerMalformed(where, 'it has no BPE model with a vocabulary');
    }
    if (j.decoder?.type !== 'ByteLevel' || j.pre_tokenizer?.type !== 'ByteLevel') {
      throw dataErrors.tokenizerMalformed(
        where,
        'only byte-level BPE (ByteLevel pre-tokenizer and decoder) is supported',
      );
    }
    let hf: HfTokenizer;
    try {
      hf = Tokenizer.fromString(JSON.stringify(j));
    } catch (error) {
      throw dataErrors.tokenizerMalformed(
        where,
        error instanceof Error ? error.message : String(error),
      );
    }
    return new BpeTokenizer(j as ByteLevelBpeJson, hf);
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  async encode(text: string): Promise<Int32Array> {
    if (text.length === 0) return new Int32Array(0);
    const encoding = await this.hf.encode(text);
    return Int32Array.from(encoding.getIds());
  }

  decode(ids: ArrayLike<number>): string {
    return decodeByteLevel(Array.from(ids, (id) => this.idToToken[id] ?? ''));
  }

  /** HF's own decoder (asynchronous); `decode` must agree with it. */
  decodeNative(ids: ArrayLike<number>): Promise<string> {
    return this.hf.decode(Array.from(ids), false);
  }

  /** Writes tokenizer.json atomically (temporary file + rename). */
  save(path: string): void {
    const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    try {
      writeFileSync(temp, JSON.stringify(this.json, null, 2));
      renameSync(temp, path);
    } catch (error) {
      rmSync(temp, { force: true });
      throw dataErrors.fileUnwritable(path, error instanceof Error ? error.message : String(error));
    }
  }

  describe() {
    return {
      tokenizer: this.json,
      encoding:
        `Byte-level BPE (HF tokenizers tokenizer.json): ids 0–255 are the bytes (GPT-2 byte-to-character table), ` +
        `ids 256–${this.vocabSize - 1} are merges in training order. No unknown token: every text encodes.`,
    };
  }
}
