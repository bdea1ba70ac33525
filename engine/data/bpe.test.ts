import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import tokenizers from 'tokenizers';
import { BpeTokenizer } from './bpe.ts';
import { BYTE_TO_CHAR, decodeByteLevel } from './byte-level.ts';
import { createDataSource, restoreTokenizer } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'trm-bpe-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const corpus =
  Array.from(
    { length: 300 },
    (_, i) => `the cat sat on the mat ${i % 13}; the dog ate the hat — déjà vu ✓`,
  ).join('\n') + '\n';
const samples = [
  'the cat sat on the mat',
  'unseen words: zebra, quixotic, 漢字, emoji 🙂\n\ttabs',
  ' leading space',
  '',
];

describe('byte-level table', () => {
  it('maps the 256 bytes to 256 distinct characters and decodes UTF-8 across tokens', () => {
    assert.equal(new Set(BYTE_TO_CHAR).size, 256);
    assert.equal(BYTE_TO_CHAR[0x20], 'Ġ');
    const bytes = new TextEncoder().encode('é✓');
    const chars = Array.from(bytes, (b) => BYTE_TO_CHAR[b] as string);
    assert.equal(decodeByteLevel([chars.slice(0, 2).join(''), chars.slice(2).join('')]), 'é✓');
  });
});

describe('BPE tokenizer', () => {
  it('trains to the requested size, saves a tokenizer.json, reloads, and round-trips text', async () => {
    const tok = await BpeTokenizer.train(corpus, 300);
    assert.equal(tok.vocabSize, 300);
    const file = join(dir, 'tokenizer.json');
    tok.save(file);
    const json = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(json.model.type, 'BPE');
    assert.equal(json.model.merges.length, 300 - 256);
    const reloaded = BpeTokenizer.load(file);
    // The standard HF loader reads the same file and agrees.
    const hf = tokenizers.Tokenizer.fromFile(file);
    for (const text of samples) {
      const ids = await tok.encode(text);
      assert.deepEqual(await reloaded.encode(text), ids);
      assert.deepEqual(Array.from((await hf.encode(text)).getIds()), Array.from(ids));
      assert.equal(tok.decode(ids), text);
      assert.equal(await tok.decodeNative(ids), text);
    }
    // Merges compress the training text well below one token per byte.
    const ids = await tok.encode(corpus);
    assert.ok(ids.length < new TextEncoder().encode(corpus).length / 3, `${ids.length} tokens`);
  });

  it('a smaller vocabulary keeps a prefix of the same merges', async () => {
    const big = (await BpeTokenizer.train(corpus, 320)).json.model.merges;
    const small = (await BpeTokenizer.train(corpus, 280)).json.model.merges;
    assert.deepEqual(small, big.slice(0, small.length));
  });

  it('rejects malformed tokenizer files with a message naming the file', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    assert.throws(
      () => BpeTokenizer.load(bad),
      (e: Error) => e.message.includes(bad) && /invalid JSON/.test(e.message),
    );
    const wordLevel = join(dir, 'wordlevel.json');
    writeFileSync(wordLevel, JSON.stringify({ model: { type: 'WordLevel', vocab: {} } }));
    assert.throws(() => BpeTokenizer.load(wordLevel), /no BPE model/);
    assert.throws(() => BpeTokenizer.load(join(dir, 'nope.json')), /Cannot read/);
    const target = join(dir, 'no-such-folder', 'tokenizer.json');
    const trained = await BpeTokenizer.train(corpus, 260);
    assert.throws(
      () => trained.save(target),
      (e: Error) => e.message.includes(target) && /Cannot write/.test(e.message),
    );
  });

  it('a text source trains the tokenizer once, saves it, and reuses the saved file', async () => {
    const text = join(dir, 'corpus.txt');
    writeFileSync(text, corpus);
    const tokenizerFile = join(dir, 'source-tokenizer.json');
    const spec = {
      type: 'text',
      path: text,
      tokenizer: 'bpe',
      vocabSize: 290,
      tokenizerFile,
      length: 16,
    } as const;
    const first = await createDataSource(spec, 1);
    assert.ok(existsSync(tokenizerFile));
    assert.equal(first.vocabSize, 290);
    const second = await createDataSource(spec, 1);
    assert.deepEqual(second.trainBatch(0, 4), first.trainBatch(0, 4));
    const description = first.describe();
    assert.deepEqual(description.tokenizer, JSON.parse(readFileSync(tokenizerFile, 'utf8')));
    const batch = first.trainBatch(0, 1);
    assert.ok(corpus.includes(first.decode(batch.inputs)));
    const restored = await restoreTokenizer(description);
    assert.equal(restored.vocabSize, 290);
    assert.equal(restored.decode(batch.inputs), first.decode(batch.inputs));
  });

  it('masked LM over BPE adds [MASK] after the vocabulary, also in the exported tokenizer.json', async () => {
    const text = join(dir, 'mlm-corpus.txt');
    writeFileSync(text, corpus);
    const source = await createDataSource(
      {
        type: 'mlm',
        base: { type: 'text', path: text, tokenizer: 'bpe', vocabSize: 280, length: 16 },
      },
      1,
    );
    assert.equal(source.vocabSize, 281);
    const hf = tokenizers.Tokenizer.fromString(JSON.stringify(source.describe().tokenizer));
    assert.equal(hf.tokenToId('[MASK]'), 280);
    assert.equal(source.decode([...(await hf.encode('the cat')).getIds(), 280]), 'the cat[MASK]');
  });
});
